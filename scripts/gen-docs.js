#!/usr/bin/env node
// Generates the reference from the keyword tables (run by `npm run build`, after tsc):
//   dist/man/keepalived.8, dist/man/keepalived.conf.5   (man -l dist/man/keepalived.conf.5)
// With --readme, also rewrites README.md's generated keyword table (between its marker comments);
// test/unit/docs-reference fails when README differs from what this would write.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const ref = require(path.join(root, 'dist/src/docs/reference.js'));
const { USAGE } = require(path.join(root, 'dist/src/cli/args.js'));

const man = path.join(root, 'dist/man');
fs.mkdirSync(man, { recursive: true });
const docs = ref.keywordDocs();
fs.writeFileSync(path.join(man, 'keepalived.conf.5'), ref.confManPage(docs));
fs.writeFileSync(path.join(man, 'keepalived.8'), ref.mainManPage(USAGE, docs));

if (process.argv.includes('--readme')) {
  const file = path.join(root, 'README.md');
  const text = ref.withReadmeTable(fs.readFileSync(file, 'utf8'), ref.readmeKeywordTable(docs));
  if (text === undefined) {
    process.stderr.write(`gen-docs: README.md has no ${ref.README_BEGIN} ... ${ref.README_END} markers\n`);
    process.exit(1);
  }
  fs.writeFileSync(file, text);
}
