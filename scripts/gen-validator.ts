/**
 * Build step (npm run build): writes dist/src/config/schema-validator.js, the config schema's
 * ajv validator as standalone code, so the daemon and `-t` do not compile the schema at
 * start-up. src/config/schema.ts uses it only when its hash matches the schema in the build.
 */
import fs from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import standaloneCode from 'ajv/dist/standalone';
import { AJV_OPTIONS, configSchema, schemaHash } from '../src/config/schema';

const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true } });
const code = standaloneCode(ajv, ajv.compile(configSchema));
const out = path.resolve(__dirname, '../src/config/schema-validator.js');
fs.writeFileSync(out, `${code}\nmodule.exports.validate = module.exports.default || module.exports;\nmodule.exports.hash = ${JSON.stringify(schemaHash())};\n`);
process.stdout.write(`gen-validator: ${path.relative(process.cwd(), out)} (${code.length} bytes)\n`);
