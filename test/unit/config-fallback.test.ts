// A value that fails validation is never used: keepalived 2.2.7's fallback replaces it (config/fallback).
// Each row was measured with Debian's keepalived 2.2.7: `keepalived -t -l -D -f x.conf` in a private
// network namespace with a veth eth0; `said` is keepalived's own line (stderr), `used` the value it
// then runs with. test/interop/config-test-codes.test.ts runs the binary on such configs.
import t from 'tap';
import { errors, instance, load } from './config-helpers';
import type { VrrpInstance, GlobalDefs } from '../../src/config/model';
import { applyFallbacks, fallbackAction, fallbackNote } from '../../src/config/fallback';

interface Row {
  line: string;
  /** keepalived's message for it. */
  said: string;
  /** The model field and the value keepalived runs with. */
  field: keyof VrrpInstance;
  used: unknown;
  /** Our diagnostic must say which value is used. */
  note: RegExp;
}

const rows: Row[] = [
  { line: 'priority 300', said: '(VI_1) Priority not valid! must be between 1 & 255. Using default 100', field: 'priority', used: 100, note: /using the default 100/ },
  { line: 'priority 0', said: '(VI_1) Priority not valid! must be between 1 & 255. Using default 100', field: 'priority', used: 100, note: /using the default 100/ },
  { line: 'priority abc', said: "invalid number 'abc' ... Using default 100", field: 'priority', used: 100, note: /using the default 100/ },
  { line: 'advert_int 0', said: '(VI_1) Advert interval (0) not valid! Must be > 0 - ignoring', field: 'advertIntMs', used: 1000, note: /using the default 1/ },
  { line: 'advert_int 300', said: '(VI_1) Advert interval (300) not valid! Must be > 0 - ignoring', field: 'advertIntMs', used: 1000, note: /using the default 1/ },
  { line: 'advert_int abc', said: '(VI_1) Advert interval (abc) not valid! Must be > 0 - ignoring', field: 'advertIntMs', used: 1000, note: /using the default 1/ },
  { line: 'preempt_delay 2000', said: '(VI_1) Preempt_delay not valid! must be between 0-1000', field: 'preemptDelayMs', used: 0, note: /using the default 0/ },
  { line: 'garp_master_repeat 0', said: '(VI_1): garp_master_repeat must be greater than 0, setting to 1', field: 'garpMasterRepeat', used: 1, note: /using 1 instead/ },
  { line: 'garp_master_refresh_repeat 0', said: '(VI_1): garp_master_refresh_repeat must be greater than 0, setting to 1', field: 'garpMasterRefreshRepeat', used: 1, note: /using 1 instead/ },
  // No instance default: the global value (vrrp_garp_master_delay, default 5 s) applies.
  { line: 'garp_master_delay 5000', said: "(VI_1): garp_master_delay '5000' invalid - ignoring", field: 'garpMasterDelayMs', used: 5000, note: /ignored/ },
  { line: 'garp_master_delay -1', said: "(VI_1): garp_master_delay '-1' invalid - ignoring", field: 'garpMasterDelayMs', used: 5000, note: /ignored/ },
  { line: 'garp_master_refresh -1', said: "(VI_1): Invalid garp_master_refresh '-1' - ignoring", field: 'garpMasterRefreshMs', used: 0, note: /ignored/ },
  { line: 'garp_lower_prio_delay 5000', said: "(VI_1): garp_lower_prio_delay '5000' invalid - ignoring", field: 'garpLowerPrioDelayMs', used: 5000, note: /ignored/ },
  { line: 'down_timer_adverts 0', said: "(VI_1): Invalid down_timer_adverts [1:100] '0'", field: 'downTimerAdverts', used: 3, note: /ignored/ },
  { line: 'version 4', said: '(VI_1): Version must be either 2 or 3', field: 'version', used: 2, note: /ignored/ },
  { line: 'state FOO', said: "(VI_1) unknown state 'FOO', defaulting to BACKUP", field: 'state', used: 'BACKUP', note: /using the default BACKUP/ },
];

for (const r of rows) {
  t.test(`${r.line}: keepalived "${r.said}"`, async (t) => {
    const res = load(instance(`  ${r.line}`));
    const errs = errors(res);
    t.ok(errs.length > 0, 'reported as an error (keepalived -t exits 5)');
    t.match(errs.map((d) => d.message).join('\n'), r.note, 'the diagnostic says what is used instead');
    const vi = res.model?.vrrpInstances[0];
    t.ok(vi, 'the instance still runs');
    t.same(vi?.[r.field], r.used, `${String(r.field)} is keepalived's fallback, never the bad value`);
  });
}

t.test('values keepalived 2.2.7 accepts are accepted (garp delays up to 4294 s)', async (t) => {
  const res = load(instance('  garp_master_delay 300\n  garp_lower_prio_delay 300'));
  t.same(errors(res), []);
  t.equal(res.model?.vrrpInstances[0]?.garpMasterDelayMs, 300_000);
});

t.test('global_defs: the same rule', async (t) => {
  const cases: [string, keyof GlobalDefs, unknown][] = [
    ['vrrp_garp_master_repeat 0', 'garpMasterRepeat', 1], // keepalived: "setting to 1"
    ['vrrp_garp_master_refresh_repeat 0', 'garpMasterRefreshRepeat', 1],
    ['vrrp_garp_master_delay 5000', 'garpMasterDelayMs', 5000], // "invalid - ignoring": default 5 s
    ['vrrp_down_timer_adverts 200', 'vrrpDownTimerAdverts', 3],
  ];
  for (const [line, field, used] of cases) {
    const res = load(`global_defs {\n  ${line}\n}\n${instance()}`);
    t.ok(errors(res).length > 0, `${line} is an error`);
    t.same(res.model?.globalDefs[field], used, `${line} → ${String(used)}`);
  }
  const v = load(`global_defs {\n  vrrp_version 4\n}\n${instance()}`);
  t.equal(v.model?.vrrpInstances[0]?.version, 2, 'vrrp_version 4 ignored ("VRRP Error: Version must be either 2 or 3")');
});

t.test('an invalid virtual_router_id: keepalived does not start the instance, nor do we', async (t) => {
  for (const vrid of ['0', '256', 'abc']) {
    const text = `vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id ${vrid}\n  virtual_ipaddress {\n    192.0.2.100/24\n  }\n}\n${instance('', 'VI_2')}`;
    const res = load(text);
    t.ok(errors(res).length > 0, `vrid ${vrid}: error`);
    t.same(res.model?.vrrpInstances.map((v) => v.name), ['VI_2'], `vrid ${vrid}: VI_1 is dropped, VI_2 still runs`);
  }
  const msg = errors(load(instance().replace('virtual_router_id 51', 'virtual_router_id 0')))[0]?.message ?? '';
  t.match(msg, /vrrp_instance VI_1 is not used/);
});

t.test('the priority never reaches the owner priority 255 through an out-of-range value', async (t) => {
  const res = load(instance('  state MASTER\n  priority 300'));
  t.equal(res.model?.vrrpInstances[0]?.priority, 100);
});

t.test('fallback module', async (t) => {
  t.same(fallbackAction(undefined, 100), { kind: 'set', value: 100, isDefault: true });
  t.same(fallbackAction({ value: 1 }, 5), { kind: 'set', value: 1, isDefault: false });
  t.same(fallbackAction(undefined, undefined), { kind: 'drop' });
  t.same(fallbackAction({ refuse: true }, undefined), { kind: 'refuse' });
  t.equal(fallbackNote({ kind: 'refuse' }, 'vrrp_instance X'), '; vrrp_instance X is not used');
  const root = { a: [{ v: 1 }, { v: 0 }, { v: 0 }], b: { x: 9, y: 3 } };
  applyFallbacks(root, [
    { ptr: '/a/1/v', action: { kind: 'refuse' } },
    { ptr: '/a/2/v', action: { kind: 'refuse' } },
    { ptr: '/a/2/v', action: { kind: 'refuse' } },
    { ptr: '/b/x', action: { kind: 'drop' } },
    { ptr: '/b/y', action: { kind: 'set', value: 1, isDefault: false } },
  ]);
  t.same(root, { a: [{ v: 1 }], b: { y: 1 } }, 'elements removed once each, from the top down');
});
