#!/usr/bin/env node
// Runs the compiled test suites with tap and ends with one plain line: "N passed, N failed, N skipped".
// Pure unit/sim suites run in parallel; suites that build namespace labs or run daemons run one file
// at a time so their timing is not disturbed by each other. Usage: node scripts/run-tests.js [group...]
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const groups = process.argv.slice(2);
const all = [
  { name: 'unit', dirs: ['unit', 'sim'], jobs: 2, timeout: 300 },
  { name: 'integration', dirs: ['integration', 'interop'], jobs: 1, timeout: 600 },
];
const selected = groups.length ? all.filter((g) => groups.includes(g.name)) : all;

function files(dir) {
  const abs = path.join(root, 'dist', 'test', dir);
  if (!fs.existsSync(abs)) return [];
  const out = [];
  for (const e of fs.readdirSync(abs, { withFileTypes: true })) {
    const p = path.join(abs, e.name);
    if (e.isDirectory()) out.push(...files(path.join(dir, e.name)));
    else if (e.name.endsWith('.test.js')) out.push(path.relative(root, p));
  }
  return out.sort();
}

let pass = 0, fail = 0, skip = 0, todo = 0, exitBad = false;
const tapBin = path.join(root, 'node_modules', '.bin', 'tap');
for (const g of selected) {
  const list = g.dirs.flatMap(files);
  if (!list.length) continue;
  console.log(`\n=== ${g.name}: ${list.length} files ===`);
  const r = spawnSync(tapBin, ['--reporter=tap', `--jobs=${g.jobs}`, `--timeout=${g.timeout}`, ...list], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 512 << 20,
    env: { ...process.env, TAP_RCFILE: path.join(root, '.taprc') },
  });
  process.stdout.write(r.stdout || '');
  process.stderr.write(r.stderr || '');
  const m = /# \{ ([^}]*) \}/.exec((r.stdout || '').split('\n').reverse().find((l) => l.startsWith('# {')) || '');
  const counts = {};
  if (m) for (const kv of m[1].split(',')) { const [k, v] = kv.split(':').map((s) => s.trim()); counts[k] = Number(v); }
  pass += counts.pass || 0;
  fail += counts.fail || 0;
  skip += counts.skip || 0;
  todo += counts.todo || 0;
  if (r.status !== 0) {
    exitBad = true;
    if (!counts.fail) fail += 1; // a crashed runner must not look green
  }
}
console.log(`${pass} passed, ${fail} failed, ${skip} skipped`);
process.exit(fail > 0 || exitBad ? 1 : 0);
