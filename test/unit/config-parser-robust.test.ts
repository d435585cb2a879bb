import t from 'tap';
import { parseConfigText } from '../../src/config/parser';
import { nearest, editDistance } from '../../src/config/suggest';

const opts = {
  configId: 'x',
  readFile: (p: string): string => {
    throw Object.assign(new Error(`ENOENT ${p}`), { code: 'ENOENT' });
  },
  glob: (): string[] => [],
};
const ms = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e6;

function instances(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    parts.push(
      `vrrp_instance VI_${i} {\n  state BACKUP\n  interface eth0\n  virtual_router_id ${(i % 255) + 1}\n  priority 100\n  advert_int 1\n` +
        `  authentication {\n    auth_type PASS\n    auth_pass secret\n  }\n  virtual_ipaddress {\n    192.0.2.${i % 250}/24 dev eth0 label eth0:1\n  }\n` +
        `  track_script {\n    chk\n  }\n  notify "/usr/local/bin/notify.sh arg1 arg2"\n  # comment\n  nopreempt\n}\n`,
    );
  }
  return parts.join('');
}

t.test('10,000 instances (~200k lines) lex and parse fast', async (t) => {
  const text = instances(10_000);
  t.ok(text.split('\n').length >= 190_000, 'about 200k lines');
  // CPU time rather than wall time: the figure must not depend on what else the machine runs.
  const cpu0 = process.cpuUsage();
  const r = parseConfigText(text, '/big.conf', opts);
  const cpu = process.cpuUsage(cpu0);
  const took = (cpu.user + cpu.system) / 1000;
  t.comment(`parse of 10,000 instances: ${took.toFixed(0)} ms CPU`);
  t.equal(r.nodes.length, 10_000);
  t.same(r.diagnostics, []);
  t.ok(took < 1000, `under 1 s of CPU (took ${took.toFixed(0)} ms)`);
});

t.test('truncated input at every point never throws', async (t) => {
  const text = instances(2) + '$M= \\\n a \\\n~SEQ(I, 1, 3) x ${I} "q\n@x y\ninclude nothere\n';
  let withDiag = 0;
  for (let cut = 0; cut <= text.length; cut++) {
    const r = parseConfigText(text.slice(0, cut), '/t.conf', opts);
    if (r.diagnostics.length > 0) withDiag++;
  }
  t.ok(withDiag > text.length / 2, `most truncations are diagnosed (${withDiag}/${text.length + 1})`);
  const r = parseConfigText(instances(1).slice(0, 60), '/t.conf', opts);
  t.same(r.diagnostics.map((d) => d.code), ['ERR_CONFIG_MISSING_BRACE'], 'a cut block is reported');
});

t.test('binary input is refused with a diagnostic', async (t) => {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff);
  const bytes = Buffer.alloc(1 << 20);
  for (let i = 0; i < bytes.length; i++) bytes[i] = rnd();
  const start = process.hrtime.bigint();
  const r = parseConfigText(bytes.toString('latin1'), '/bin.conf', opts);
  t.same(r.diagnostics.map((d) => d.code), ['ERR_CONFIG_BINARY']);
  t.equal(r.nodes.length, 0);
  t.ok(ms(start) < 2000, 'quickly');
  // Binary-ish text without NUL bytes (control characters, stray braces) still parses without throwing.
  const noisy = Array.from({ length: 200_000 }, (_, i) => String.fromCharCode(1 + (i * 7919) % 254)).join('');
  const r2 = parseConfigText(noisy, '/noise.conf', opts);
  t.ok(r2.nodes.length > 0, 'noise parsed into (meaningless) nodes');
});

t.test('10 MB input returns quickly', async (t) => {
  const line = 'garbage_keyword with some args } { "quoted # text" ! comment\n';
  const text = line.repeat(Math.ceil((10 * 1024 * 1024) / line.length));
  const start = process.hrtime.bigint();
  const r = parseConfigText(text, '/huge.conf', opts);
  const took = ms(start);
  t.comment(`10 MB: ${took.toFixed(0)} ms, ${r.diagnostics.length} diagnostics`);
  t.ok(r.diagnostics.length > 0, 'unbalanced braces are reported');
  t.ok(took < 10_000, `bounded time (${took.toFixed(0)} ms)`);
  const one = 'x'.repeat(10 * 1024 * 1024);
  const r2 = parseConfigText(one, '/oneline.conf', opts);
  t.equal(r2.nodes[0]?.keyword.length, one.length, 'a single 10 MB word');
});

t.test('nearest keyword suggestion', async (t) => {
  const kws = ['virtual_router_id', 'virtual_ipaddress', 'priority', 'state', 'interface', 'advert_int', 'nopreempt'];
  const rows: [string, string | undefined][] = [
    ['virtual_router_idd', 'virtual_router_id'],
    ['virtual_routerid', 'virtual_router_id'],
    ['priorty', 'priority'],
    ['PRIORITY', 'priority'],
    ['intreface', 'interface'],
    ['advert_in', 'advert_int'],
    ['zzzzzz', undefined],
    ['st', undefined],
    ['', undefined],
  ];
  for (const [w, want] of rows) t.equal(nearest(w, kws), want, `${w} → ${want}`);
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(editDistance('abc', 'abc'), 0);
  t.equal(editDistance('abc', 'xyzxyzxyz', 2), 3, 'gives up past the limit');
});
