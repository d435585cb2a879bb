/**
 * Configuration bombs are refused with an error that names the limit, and diagnostics stay
 * bounded. (Timings are printed by scripts; here only outcomes and memory are asserted.)
 */
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { parseConfigText } from '../../src/config/parser';
import { Diagnostics, MAX_DIAGNOSTICS } from '../../src/config/diagnostics';

const limitErrors = (diags: ReadonlyArray<{ code: string; message: string }>) => diags.filter((d) => /TOO_LARGE|MACRO_LOOP|INCLUDE_LOOP/.test(d.code));

t.test('nested ~SEQ: the one-liner that took 3.9 GB is refused, naming the limit', async (t) => {
  const before = process.memoryUsage().rss;
  const r = loadConfigText('~SEQ(a,-65536,1,30) ~SEQ(b,1,1,30) ~SEQ(c,1,1,30) x $a$b$c\n', 'bomb.conf', { configId: 'x' });
  const grew = process.memoryUsage().rss - before;
  t.match(limitErrors(r.diagnostics).map((d) => d.message).join('\n'), /more than 50000 lines \(the limit on expanded lines\)/);
  t.ok(r.diagnostics.length <= MAX_DIAGNOSTICS + 2, `diagnostics bounded (${r.diagnostics.length})`);
  t.ok(grew < 200e6, `memory grew ${Math.round(grew / 1e6)} MB (< 200 MB)`);
  t.comment(`rss +${Math.round(grew / 1e6)} MB`);
});

t.test('a ~SEQ with too many iterations is refused', async (t) => {
  const r = parseConfigText('~SEQ(i,1,1,10000000) x $i\n', 'k.conf', { configId: 'x' });
  t.match(r.diagnostics.map((d) => d.message).join('\n'), /more than 100000 iterations/);
});

t.test('recursive $MACROs are refused with the depth/step limit named', async (t) => {
  const direct = parseConfigText('$A=$A $A\nx $A\n', 'k.conf', { configId: 'x' });
  t.ok(direct.diagnostics.length > 0);
  const multi = parseConfigText('$B=\\\n$B\\\n$B\n$B\n', 'k.conf', { configId: 'x' });
  t.match(limitErrors(multi.diagnostics).map((d) => d.message).join('\n'), /nested more than 32 deep|expansion steps|limit on expanded lines/);
});

t.test('include fan-out (each file includes the next twice, 30 deep = 2^30 reads) is refused', async (t) => {
  const files = new Map<string, string>();
  for (let i = 0; i < 30; i++) files.set(`/c/f${i}.conf`, `include f${i + 1}.conf\ninclude f${i + 1}.conf\n`);
  files.set('/c/f30.conf', 'global_defs {\n router_id r\n}\n');
  let reads = 0;
  const r = parseConfigText(files.get('/c/f0.conf') as string, '/c/f0.conf', {
    configId: 'x',
    readFile: (p) => {
      reads++;
      const s = files.get(p);
      if (s === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
      return s;
    },
    glob: () => [],
  });
  t.ok(reads <= 1001, `${reads} reads`);
  t.match(limitErrors(r.diagnostics).map((d) => d.message).join('\n'), /more than 1000 include files read \(the limit on included files\)/);
});

t.test('diagnostics are bounded; the closing item keeps the worst severity and the count', async (t) => {
  const d = new Diagnostics();
  for (let i = 0; i < MAX_DIAGNOSTICS + 500; i++) d.warn('W', `w${i}`);
  t.notOk(d.hasError());
  d.fatal('F', 'late fatal');
  t.equal(d.items.length, MAX_DIAGNOSTICS + 1);
  t.ok(d.hasFatal(), 'a suppressed fatal still counts');
  t.match(d.items[MAX_DIAGNOSTICS], { code: 'ERR_CONFIG_TOO_MANY_DIAGNOSTICS', severity: 'fatal', message: /501 more diagnostics not shown \(the limit is 1000\)/ });
  d.error('ERR_CONFIG_TOO_LARGE', 'limit');
  t.equal(d.items[d.items.length - 1]?.code, 'ERR_CONFIG_TOO_LARGE', 'limit errors are always kept');
});
