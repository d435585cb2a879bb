// No silent no-op: every keyword of every table declares its consumer (`use`: a module that reads
// its model field) or `unsupported` (a reason, warned by -t and at start-up). This walks the
// grammar and checks each `use` against the source tree, then runs -t on a config that uses every
// unsupported keyword and counts one warning per keyword.
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { keywordEntries, type KeywordEntry } from '../../src/config/keywords/walk';
import { unsupportedMessage } from '../../src/config/build';
import { main } from '../../src/cli/main';

const root = path.resolve(__dirname, '../../..');
const SRC = path.join(root, 'src');
const entries = keywordEntries();
const where = (e: KeywordEntry): string => [...e.path, e.keyword].join(' > ');

const sources = new Map<string, string>();
function source(rel: string): string | undefined {
  if (!sources.has(rel)) {
    const file = path.join(SRC, rel);
    sources.set(rel, fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '');
  }
  return sources.get(rel) || undefined;
}

/** Every .ts file under src/ outside src/config, as [relative path, text]. */
function runtimeSources(): [string, string][] {
  const out: [string, string][] = [];
  const walk = (dir: string): void => {
    for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith('.ts')) out.push([path.relative(SRC, p), fs.readFileSync(p, 'utf8')]);
    }
  };
  for (const d of fs.readdirSync(SRC)) if (d !== 'config' && fs.statSync(path.join(SRC, d)).isDirectory()) walk(path.join(SRC, d));
  return out;
}

/** The field is read in `text`: a property access (`m.field`, `m?.field`) or a destructuring. */
function reads(text: string, field: string): boolean {
  return new RegExp(`\\??\\.${field}\\b`).test(text) || new RegExp(`[{,]\\s*${field}\\s*[,}:](?![^{]*=>)`).test(text);
}

const model = fs.readFileSync(path.join(SRC, 'config/model.ts'), 'utf8');

t.test('the walk reaches every table', async (t) => {
  const tables = new Set(entries.map((e) => e.table.name));
  for (const n of ['top level', 'global_defs', 'vrrp_instance', 'authentication', 'vrrp_sync_group', 'vrrp_script', 'track_file',
    'vrrp_track_process', 'virtual_server', 'real_server', 'SSL', 'url', 'host', 'TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'SMTP_CHECK',
    'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'MISC_CHECK', 'FILE_CHECK', 'BFD_CHECK']) t.ok(tables.has(n), n);
  t.ok(entries.length > 400, `${entries.length} keyword entries`);
});

t.test('every keyword declares exactly one consumer, and a declared module really reads its model field', async (t) => {
  const outside = runtimeSources();
  let used = 0;
  for (const e of entries) {
    const { use, unsupported } = e.spec;
    if ((use === undefined) === (unsupported === undefined)) {
      t.fail(`${where(e)}: declares ${use === undefined ? 'neither' : 'both'} use and unsupported`);
      continue;
    }
    if (unsupported !== undefined) {
      if (unsupported.trim().length < 8) t.fail(`${where(e)}: unsupported needs a real reason, got '${unsupported}'`);
      continue;
    }
    used++;
    const field = e.spec.field ?? (e.spec.to as string);
    const text = source(use as string);
    if (!text) {
      t.fail(`${where(e)}: use '${use}' is not a module under src/`);
      continue;
    }
    if (!new RegExp(`readonly ${field}\\??:`).test(model)) t.fail(`${where(e)}: '${field}' is not a field of config/model.ts (set \`field\`)`);
    if (!reads(text, field)) t.fail(`${where(e)}: ${use} does not read '${field}'`);
    if ((use as string).startsWith('config/')) {
      // Allowed only for keywords whose whole effect is on the configuration check.
      if (use !== 'config/validate.ts') t.fail(`${where(e)}: a config module other than validate.ts cannot consume a keyword`);
    } else if (!outside.some(([, s]) => reads(s, field))) t.fail(`${where(e)}: nothing outside src/config reads '${field}'`);
  }
  t.ok(used > 250, `${used} keywords consumed`);
});

/** Argument text that the keyword accepts (the warning must come out whatever the value). */
function arg(e: KeywordEntry): string {
  const s = e.spec;
  switch (s.kind) {
    case 'int':
    case 'num':
      return ` ${s.min !== undefined && s.min > 0 ? s.min : s.max !== undefined && s.max < 1 ? s.max : 1}`;
    case 'str':
      return ` ${s.enum?.[0] ?? 'x'}`;
    case 'words':
      return ' x'.repeat(Math.max(1, s.minArgs ?? 1));
    case 'script':
      return ' /bin/true';
    case 'lines':
      return ' {\n}';
    default:
      return '';
  }
}

const BLOCK_ARGS: Record<string, string> = { vrrp_instance: 'VI_1', vrrp_sync_group: 'G1', virtual_server: '192.0.2.1 80', real_server: '192.0.2.2 80' };
const BLOCK_BODY: Record<string, string[]> = {
  global_defs: ['enable_script_security'],
  vrrp_instance: ['interface eth0', 'virtual_router_id 51', 'virtual_ipaddress {\n192.0.2.100/24\n}'],
  vrrp_sync_group: ['group {\nVI_1\n}'],
  virtual_server: ['protocol TCP', 'lvs_sched rr'],
  BFD_CHECK: ['name b1'],
  url: ['path /'],
};

/** A config with every unsupported keyword (and value) once, nested in its block. */
function everyUnsupported(): { text: string; expected: string[] } {
  const expected = new Set<string>();
  const body = new Map<string, string[]>(); // path key → lines
  const add = (p: readonly string[], line: string): void => {
    const k = p.join('\0');
    if (!body.has(k)) body.set(k, []);
    body.get(k)?.push(line);
  };
  for (const e of entries) {
    if (e.spec.unsupported !== undefined) {
      expected.add(unsupportedMessage(e.keyword, e.spec.unsupported));
      // A block keyword is written with its body below (it may hold more unsupported keywords).
      if (e.spec.kind !== 'block') add(e.path, `${e.keyword}${arg(e)}`);
      else add(e.path.concat(e.keyword), '');
    }
    for (const [v, reason] of Object.entries(e.spec.unsupportedValues ?? {})) {
      expected.add(unsupportedMessage(`${e.keyword} ${v}`, reason));
      add(e.path, `${e.keyword} ${v}`);
    }
  }
  // Every block on the way to a line must be written too.
  for (const k of [...body.keys()]) {
    const p = k.split('\0');
    for (let i = 1; i < p.length; i++) add(p.slice(0, i), '');
  }
  const render = (p: string[]): string => {
    const own = (body.get(p.join('\0')) ?? []).filter((l) => l !== '');
    const kids = [...body.keys()].map((k) => k.split('\0')).filter((q) => q.length === p.length + 1 && q.slice(0, p.length).join('\0') === p.join('\0') && q[0] !== '');
    const lines = [...(BLOCK_BODY[p[p.length - 1] as string] ?? []), ...own];
    for (const q of kids) {
      const kw = q[q.length - 1] as string;
      lines.push(`${kw}${BLOCK_ARGS[kw] ? ` ${BLOCK_ARGS[kw]}` : ''} {\n${render(q)}\n}`);
    }
    return lines.join('\n');
  };
  const top = (body.get('') ?? []).filter((l) => l !== '');
  const kids = [...body.keys()].filter((k) => k !== '' && !k.includes('\0')).map((k) => [k]);
  const text = [...top, ...kids.map((q) => `${q[0]}${BLOCK_ARGS[q[0] as string] ? ` ${BLOCK_ARGS[q[0] as string]}` : ''} {\n${render(q)}\n}`)].join('\n');
  return { text: `${text}\n`, expected: [...expected].sort() };
}

t.test('-t on a config using every unsupported keyword prints exactly one warning for each', async (t) => {
  const { text, expected } = everyUnsupported();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tska-kw-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'every-unsupported.conf');
  fs.writeFileSync(file, text);
  let err = '';
  // Interfaces: whatever the generated config names exists (the host's are not this test's business).
  const code = await main(['-t', '-f', file], { out: () => undefined, err: (s: string) => (err += s) } as never, undefined, { interfaceExists: () => 'present' });
  const lines = err.split('\n').filter((l) => l.includes('is accepted for compatibility but not implemented by tskeepalived'));
  const messages = lines.map((l) => l.replace(/^.*?: warning: /, ''));
  for (const l of lines) t.match(l, new RegExp(`^${file.replace(/[.]/g, '\\.')}:\\d+:\\d+: warning: `), 'file:line:col, ranked as a warning');
  t.same([...messages].sort(), expected, 'one warning per unsupported keyword, no more, no less');
  t.ok(expected.length > 50, `${expected.length} unsupported keywords`);
  const errors = err.split('\n').filter((l) => / (error|fatal): /.test(l));
  t.same(errors, [], 'the generated config is otherwise valid');
  t.equal(code, 0);
});
