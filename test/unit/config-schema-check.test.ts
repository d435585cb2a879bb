// The start-up schema interpreter (config/schema-check) against ajv on the same schema: for
// configurations generated from the keyword tables (every block and keyword, valid values and
// broken ones) and for built trees mutated at random, both must agree on validity, assign the
// same defaults, and the daemon's path (validateSchema) must give ajv's diagnostics word for word.
import t from 'tap';
import { parseConfigText } from '../../src/config/parser';
import { buildFromTable, type Json } from '../../src/config/build';
import { Diagnostics } from '../../src/config/diagnostics';
import { topTable } from '../../src/config/keywords/top';
import type { BlockTable, KwSpec } from '../../src/config/keywords/types';
import { configSchema, validateSchema, validateWithAjv } from '../../src/config/schema';
import { schemaValid } from '../../src/config/schema-check';
import { seededRandom } from '../support/seeded-random';

const rnd = seededRandom(0x5c4e3a);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;

function value(spec: KwSpec, broken: boolean): string {
  const lo = spec.min ?? 0;
  const hi = spec.max ?? lo + 1000;
  switch (spec.kind) {
    case 'int':
      return broken ? String(pick([lo - 1, hi + 1, 'x'])) : String(Math.floor(lo + rnd() * (hi - lo + 1)));
    case 'num':
      return broken ? String(pick([lo - 1, hi + 1, 'y'])) : (lo + rnd() * (hi - lo)).toFixed(2);
    case 'str':
      return spec.enum && !(broken && rnd() < 0.5) ? pick(spec.enum) : pick(['eth0', 'abc', '192.0.2.1']);
    case 'bool':
      return broken ? 'maybe' : pick(['', 'on', 'off', 'yes', 'no']);
    case 'flag':
      return '';
    case 'words':
      return broken ? '' : 'a b c';
    case 'script':
      return broken ? '' : '"/bin/true arg"';
    default:
      return '';
  }
}

const LINE_SAMPLES = ['192.0.2.10/24 dev eth0', '198.51.100.0/24 via 192.0.2.1', 'chk_x weight 10', 'eth1', 'VI_1', '2001:db8::1/64', 'from 192.0.2.0/24 table 100'];

function blockText(tbl: BlockTable, depth: number, broken: number): string[] {
  const out: string[] = [];
  for (const [kw, spec] of Object.entries(tbl.keywords)) {
    if (rnd() < 0.45 && !spec.required) continue;
    const bad = rnd() < broken;
    if (spec.kind === 'block') {
      if (depth > 3) continue;
      const args = spec.keepArgs ? (tbl.name === 'virtual_server' || kw === 'real_server' ? ' 192.0.2.20 80' : ` B${Math.floor(rnd() * 3)}`) : '';
      const inner = bad && rnd() < 0.5 ? [] : blockText(spec.block as BlockTable, depth + 1, broken);
      out.push(`${kw}${args} {`, ...inner.map((l) => `  ${l}`), '}');
    } else if (spec.kind === 'lines') {
      const n = bad ? 0 : 1 + Math.floor(rnd() * 2);
      out.push(`${kw}${spec.keepArgs ? ' G1' : ''} {`, ...Array.from({ length: n }, () => `  ${pick(LINE_SAMPLES)}`), '}');
    } else {
      const v = value(spec, bad);
      out.push(v === '' ? kw : `${kw} ${v}`);
      if (spec.repeat && rnd() < 0.3) out.push(`${kw} ${value(spec, false)}`);
    }
  }
  return out;
}

function built(text: string): Json {
  const diags = new Diagnostics();
  const nodes = parseConfigText(text, 'gen.conf', { configId: 'test', readFile: () => '' }).nodes;
  const root = buildFromTable(nodes, topTable, diags);
  root.globalDefs ??= {};
  return root;
}

const strip = (root: Json): string => JSON.stringify(root);

t.test('generated configurations: same validity, defaults and diagnostics as ajv', async (t) => {
  let valid = 0;
  let invalid = 0;
  for (let i = 0; i < 400; i++) {
    const text = blockText(topTable, 0, i % 4 === 0 ? 0 : i % 4 === 1 ? 0.02 : 0.15).join('\n');
    const damage = i % 3 === 2 ? 0.03 : 0;
    const seed = Math.floor(rnd() * 2 ** 31);
    const make = (): Json => {
      const r = built(text);
      if (damage) mutateWith(r, damage, seededRandom(seed));
      return r;
    };
    const a = make();
    const b = make();
    const c = make();
    const d = make();
    const ajvOk = validateWithAjv(a, new Diagnostics());
    const fastOk = schemaValid(configSchema, b);
    if (ajvOk !== fastOk) {
      t.fail(`validity differs (ajv ${ajvOk}, interpreter ${fastOk}) for:\n${text}`);
      continue;
    }
    if (ajvOk) {
      valid++;
      if (strip(a) !== strip(b)) t.fail(`defaults differ for:\n${text}`);
    } else invalid++;
    const da = new Diagnostics();
    const dd = new Diagnostics();
    validateWithAjv(c, da);
    validateSchema(d, dd);
    if (JSON.stringify(da.items) !== JSON.stringify(dd.items) || strip(c) !== strip(d)) t.fail(`validateSchema differs from ajv for:\n${text}`);
  }
  t.ok(valid > 50, `valid configurations: ${valid}`);
  t.ok(invalid > 50, `invalid configurations: ${invalid}`);
});

/** Random damage to a built tree: wrong types, out-of-range numbers, required properties removed. */
function mutateWith(x: unknown, p: number, r: () => number): void {
  if (x === null || typeof x !== 'object' || ![Object, Array].includes((x as object).constructor as ObjectConstructor)) return;
  const o = x as Record<string, unknown>;
  const choices: unknown[] = [undefined, 'str', -1, 1e9, 2.5, true, [], {}, null, ['a']];
  for (const k of Object.keys(o)) {
    if (k === '$locs' || k === 'loc') continue;
    if (r() < p) {
      o[k] = choices[Math.floor(r() * choices.length)];
      if (o[k] === undefined) delete o[k];
    } else mutateWith(o[k], p, r);
  }
}

t.test('defaults: deep copies, assigned before required, none inside if', async (t) => {
  const schema = {
    type: 'object',
    properties: { a: { type: 'object', default: {}, properties: { n: { type: 'integer', default: 3 } } }, b: { type: 'array', default: [] } },
    required: ['a'],
  };
  const x: Record<string, unknown> = {};
  const y: Record<string, unknown> = {};
  t.equal(schemaValid(schema, x), true, 'a required property filled by its default is present');
  schemaValid(schema, y);
  t.same(x, { a: { n: 3 }, b: [] }, 'nested default applied inside the defaulted object');
  t.not(x.b, y.b, 'each default is a fresh copy');
  const cond = { type: 'object', allOf: [{ if: { properties: { k: { const: 'A' }, z: { default: 1 } } }, then: { properties: { v: { type: 'integer', default: 7 } } } }] };
  const m: Record<string, unknown> = { k: 'A' };
  t.equal(schemaValid(cond, m), true);
  t.same(m, { k: 'A', v: 7 }, 'then applies its defaults, if does not');
  const n: Record<string, unknown> = { k: 'B' };
  schemaValid(cond, n);
  t.same(n, { k: 'B' }, 'then not taken');
  t.equal(schemaValid({ type: 'integer', minimum: 1, maximum: 5 }, 6), false);
  t.equal(schemaValid({ type: 'integer' }, 2.5), false);
  t.equal(schemaValid({ type: ['integer'] }, 2), true);
  t.equal(schemaValid({ type: 'number' }, Infinity), false);
  t.equal(schemaValid({ enum: ['x', 'y'] }, 'z'), false);
});
