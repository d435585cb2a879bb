import t from 'tap';
import { diffModels, sameValue } from '../../src/runtime/reload';
import type { Model, VrrpInstance } from '../../src/config/model';

const loc = (line: number) => ({ file: 'k.conf', line, col: 1 });

function inst(name: string, over: Record<string, unknown> = {}): VrrpInstance {
  return {
    name, loc: loc(1), state: 'BACKUP', interface: 'eth0', vrid: 51, priority: 100, advertIntMs: 1000, version: 2, family: 'inet',
    virtualIpaddress: [{ address: '192.0.2.100', prefixLen: 32, family: 'inet', loc: loc(5) }],
    trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], unicastPeers: [],
    ...over,
  } as unknown as VrrpInstance;
}

function model(over: Partial<Record<keyof Model, unknown>> = {}): Model {
  return {
    globalDefs: { routerId: 'lb1', notificationEmail: [] },
    vrrpScripts: [{ name: 'chk', loc: loc(1), intervalMs: 1000, weight: 2 }],
    trackFiles: [], trackProcesses: [], vrrpSyncGroups: [],
    vrrpInstances: [inst('VI_1', { trackScript: [{ name: 'chk', reverse: false, loc: loc(9) }] }), inst('VI_2', { vrid: 52 }), inst('VI_3', { vrid: 53 })],
    staticAddresses: [], staticRoutes: [], staticRules: [], virtualServerGroups: [], virtualServers: [], hasScripts: true,
    ...over,
  } as unknown as Model;
}

t.test('identical models (locations moved) → all unchanged', async (t) => {
  const a = model();
  const b = model({ vrrpInstances: a.vrrpInstances.map((i) => ({ ...i, loc: loc(100) })) });
  const d = diffModels(a, b);
  t.same(d.unchanged, ['VI_1', 'VI_2', 'VI_3']);
  t.same([d.changed, d.added, d.removed, d.globalDefs], [[], [], [], []]);
});

t.test('added, removed, changed in place vs restart', async (t) => {
  const a = model();
  const b = model({
    vrrpInstances: [
      inst('VI_1', { trackScript: [{ name: 'chk', reverse: false, loc: loc(9) }], priority: 90, virtualIpaddress: [] }),
      inst('VI_2', { vrid: 99 }),
      inst('VI_4', { vrid: 54 }),
    ],
  });
  const d = diffModels(a, b);
  t.same(d.changed, [
    { name: 'VI_1', fields: ['priority', 'virtualIpaddress'], restart: false },
    { name: 'VI_2', fields: ['vrid'], restart: true },
  ]);
  t.same(d.added, ['VI_4']);
  t.same(d.removed, ['VI_3']);
  t.same(d.unchanged, []);
});

t.test('a changed vrrp_script marks the instances that track it', async (t) => {
  const d = diffModels(model(), model({ vrrpScripts: [{ name: 'chk', loc: loc(1), intervalMs: 2000, weight: 2 }] }));
  t.same(d.scripts.changed, ['chk']);
  t.same(d.changed, [{ name: 'VI_1', fields: ['tracker:script:chk'], restart: false }]);
  t.same(d.unchanged, ['VI_2', 'VI_3']);
});

t.test('sync group change marks its members; global change listed', async (t) => {
  const g = { name: 'G', loc: loc(1), members: ['VI_2'], trackInterface: [], trackScript: [], trackFile: [], trackProcess: [], syncGroupTrackingWeight: false };
  const withG = (grp: unknown) => model({
    vrrpSyncGroups: [grp],
    vrrpInstances: [inst('VI_1'), inst('VI_2', { vrid: 52, syncGroup: 'G' })],
    globalDefs: { routerId: grp === g ? 'lb1' : 'lb2', notificationEmail: [] },
  });
  const d = diffModels(withG(g), withG({ ...g, syncGroupTrackingWeight: true }));
  t.same(d.syncGroups.changed, ['G']);
  t.same(d.changed, [{ name: 'VI_2', fields: ['syncGroup:G'], restart: false }]);
  t.same(d.globalDefs, ['routerId']);
});

t.test('sameValue', async (t) => {
  t.ok(sameValue({ a: [1, { b: 2, loc: 1 }] }, { a: [1, { b: 2, loc: 2 }] }));
  t.notOk(sameValue({ a: [1, 2] }, { a: [2, 1] }));
  t.ok(sameValue({ a: 1, b: undefined }, { a: 1 }));
  t.notOk(sameValue({ a: 1 }, { a: '1' }));
});

t.test('in place vs rebuild: peers added/removed and auth in place; multicast<->unicast, VMAC, interface rebuild', async (t) => {
  const peer = (a: string) => ({ address: a, loc: loc(3) });
  const uni = inst('VI_1', { unicastPeers: [peer('192.0.2.2')] });
  const cases: Array<[string, VrrpInstance, VrrpInstance, boolean]> = [
    ['unicast peer added', uni, inst('VI_1', { unicastPeers: [peer('192.0.2.2'), peer('192.0.2.3')] }), false],
    ['auth changed', inst('VI_1'), inst('VI_1', { auth: { type: 'PASS', pass: 'x' } }), false],
    ['advert_int, preempt, garp', inst('VI_1'), inst('VI_1', { advertIntMs: 500, nopreempt: true, garpMasterRepeat: 2 }), false],
    ['multicast -> unicast', inst('VI_1'), uni, true],
    ['unicast -> multicast', uni, inst('VI_1'), true],
    ['use_vmac', inst('VI_1'), inst('VI_1', { useVmac: {} }), true],
    ['interface', inst('VI_1'), inst('VI_1', { interface: 'eth1' }), true],
    ['version', inst('VI_1'), inst('VI_1', { version: 3 }), true],
  ];
  for (const [what, a, b, restart] of cases) {
    const d = diffModels(model({ vrrpInstances: [a] }), model({ vrrpInstances: [b] }));
    t.equal(d.changed[0]?.restart, restart, `${what}: ${restart ? 'rebuild' : 'in place'}`);
  }
});
