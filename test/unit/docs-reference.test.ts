// The reference generated from the grammar: README's keyword table is what the generator writes,
// the man pages render without groff warnings and list every keyword with its status, and
// --help carries the generated keyword summary.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { confManPage, helpKeywordSummary, keywordDocs, mainManPage, readmeKeywordTable, withReadmeTable, README_BEGIN } from '../../src/docs/reference';
import { USAGE } from '../../src/cli/args';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '../../..');
const docs = keywordDocs();

t.test("README's generated keyword table is up to date (node scripts/gen-docs.js --readme)", async (t) => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  t.ok(readme.includes(README_BEGIN), 'README has the markers');
  const fresh = withReadmeTable(readme, readmeKeywordTable(docs));
  t.equal(fresh, readme, 'README matches the generator');
  t.match(readmeKeywordTable(docs), /\| vrrp_instance \| \d+ of \d+ \|/);
});

t.test('the table and the man page name every unsupported keyword with its reason', async (t) => {
  const table = readmeKeywordTable(docs);
  const page = confManPage(docs);
  const unsupported = docs.filter((d) => d.unsupported !== undefined);
  t.ok(unsupported.length > 100);
  for (const d of unsupported) t.ok(table.includes(`\`${d.keyword}\``) && table.includes(d.unsupported as string), `README: ${d.keyword}`);
  t.equal((page.match(/Not implemented: /g) ?? []).length, unsupported.length, 'one "Not implemented" per unsupported keyword');
  t.equal((page.match(/^\.TP$/gm) ?? []).length, docs.length, 'one entry per keyword');
  t.equal((page.match(/Supported \(read by /g) ?? []).length, docs.length - unsupported.length);
});

t.test('build output is the generator output', async (t) => {
  t.equal(fs.readFileSync(path.join(root, 'dist/man/keepalived.conf.5'), 'utf8'), confManPage(docs));
  t.equal(fs.readFileSync(path.join(root, 'dist/man/keepalived.8'), 'utf8'), mainManPage(USAGE, docs));
});

t.test('the man pages render (groff without warnings, man -l)', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tska-man-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const conf = path.join(dir, 'keepalived.conf.5');
  const eight = path.join(dir, 'keepalived.8');
  fs.writeFileSync(conf, confManPage(docs));
  fs.writeFileSync(eight, mainManPage(USAGE, docs));
  for (const f of [conf, eight]) {
    const g = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', f], { encoding: 'utf8', timeout: 30_000 });
    t.equal(g.status, 0, `groff ${path.basename(f)}`);
    t.equal(g.stderr, '', `no groff warnings for ${path.basename(f)}`);
  }
  const text = execFileSync('man', ['-l', conf], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200', MAN_KEEP_FORMATTING: '' }, timeout: 30_000 });
  t.match(text, /KEEPALIVED\.CONF\(5\)/);
  t.match(text, /VRRP_INSTANCE\n\s+.*\n[\s\S]*priority <INTEGER 1\.\.255>\n\s+Supported \(read by runtime\/instance\.ts\)\. Default: 100\./);
  t.match(text, /enable_snmp_vrrp \[\.\.\.\]\n\s+Not implemented: SNMP is not supported\./);
  for (const d of docs) if (!text.includes(d.keyword)) t.fail(`man page lacks ${d.keyword}`);
  const eightText = execFileSync('man', ['-l', eight], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '200' }, timeout: 30_000 });
  for (const flag of ['--use-file', '--config-test', '--dont-fork', '--namespace']) t.ok(eightText.includes(flag), `keepalived(8) documents ${flag}`);
});

t.test('--help ends with the generated keyword summary', async (t) => {
  let err = '';
  const code = await main(['--help'], { out: () => undefined, err: (s: string) => (err += s) });
  t.equal(code, 0);
  t.ok(err.startsWith(USAGE));
  t.ok(err.endsWith(helpKeywordSummary(docs)));
  t.match(helpKeywordSummary(docs), new RegExp(`^Configuration: ${docs.length} keywords accepted, ${docs.filter((d) => !d.unsupported).length} implemented`));
});
