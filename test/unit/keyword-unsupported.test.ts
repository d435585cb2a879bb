// The keyword declaration mechanism: an `unsupported` keyword (or value) is warned once, with its
// location, as "accepted for compatibility but not implemented"; a table entry without a
// consumer is refused. The walk over every table lives in keyword-coverage.test.ts.
import t from 'tap';
import { instance, load, withCode } from './config-helpers';
import { int, oneOf, str, table, type KwSpec } from '../../src/config/keywords/types';
import { buildFromTable, unsupportedMessage } from '../../src/config/build';
import { Diagnostics } from '../../src/config/diagnostics';
import { parseConfigText } from '../../src/config/parser';
import { formatDiagnostic } from '../../src/config/diagnostics';

t.test('an unsupported keyword is warned once, at its first use, with file:line:col', async (t) => {
  const r = load(`global_defs {\n  enable_snmp_vrrp\n  enable_snmp_vrrp\n  vrrp_no_swap\n}\n${instance('  vrf blue')}${instance('  vrf red', 'VI_2').replace('51', '52')}`);
  const w = withCode(r, 'ERR_CONFIG_UNSUPPORTED');
  t.same(w.map((d) => [d.loc?.line, d.loc?.col, d.severity]), [[2, 3, 'warning'], [4, 3, 'warning'], [12, 3, 'warning']]);
  t.equal(formatDiagnostic(w[0]!), 'test.conf:2:3: warning: enable_snmp_vrrp is accepted for compatibility but not implemented by tskeepalived (SNMP is not supported)');
  t.match(w[2]!.message, /^vrf is accepted for compatibility but not implemented by tskeepalived \(.+\)$/);
  t.ok(r.model, 'the model is still built');
});

t.test('a supported keyword is not warned', async (t) => {
  const r = load(`global_defs {\n  router_id LB1\n}\n${instance('  priority 150\n  nopreempt')}`);
  t.same(withCode(r, 'ERR_CONFIG_UNSUPPORTED'), []);
});

t.test('an unsupported value of a supported keyword is warned, a supported one is not', async (t) => {
  const tbl = table('demo', { mode: oneOf(['ON', 'ODD'], { caseInsensitive: true, use: 'runtime/instance.ts', unsupportedValues: { ODD: 'demo reason' } }) });
  const diags = new Diagnostics();
  buildFromTable(parseConfigText('mode odd\nmode odd\nmode on\n', 'demo.conf', { configId: 'demo' }).nodes, tbl, diags);
  const w = diags.items.filter((d) => d.code === 'ERR_CONFIG_UNSUPPORTED');
  t.equal(w.length, 1, 'once per keyword and value');
  t.equal(w[0]!.message, 'mode ODD is accepted for compatibility but not implemented by tskeepalived (demo reason)');
});

t.test('auth_type AH and PASS are implemented: neither is warned as unsupported', async (t) => {
  for (const type of ['ah', 'AH', 'PASS']) {
    const r = load(instance(`  authentication {\n    auth_type ${type}\n    auth_pass secret\n  }`));
    t.same(withCode(r, 'ERR_CONFIG_UNSUPPORTED'), [], type);
    t.equal(r.model?.vrrpInstances[0]?.auth?.type, type.toUpperCase());
  }
});

t.test('a table entry must name exactly one consumer', async (t) => {
  t.throws(() => table('x', { a: { kind: 'int' } as unknown as KwSpec }), /keyword 'a' in x must declare exactly one of use\/unsupported/);
  t.throws(() => table('x', { a: { kind: 'int', use: 'runtime/instance.ts', unsupported: 'no' } as unknown as KwSpec }), /exactly one/);
  t.doesNotThrow(() => table('x', { a: { kind: 'int', use: 'runtime/instance.ts' } }));
  t.equal(unsupportedMessage('kw', 'why'), 'kw is accepted for compatibility but not implemented by tskeepalived (why)');
});

t.test('the constructors do not compile without a consumer (checked by tsc)', async (t) => {
  // Each line below is a compile error today; if the types ever allowed it, tsc would fail the
  // build with "Unused '@ts-expect-error' directive".
  // @ts-expect-error no consumer
  const a: KwSpec = int(1, 2, {});
  // @ts-expect-error both consumers
  const b: KwSpec = str({ use: 'runtime/instance.ts', unsupported: 'x' });
  // @ts-expect-error field without use
  const c: KwSpec = str({ unsupported: 'x', field: 'y' });
  t.ok(a && b && c);
});
