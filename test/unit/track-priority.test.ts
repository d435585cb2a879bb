import t from 'tap';
import { clampPriority, computePriority, faultLogLine, instanceTrackRefs, type TrackedItem } from '../../src/track/priority';
import type { Model, VrrpInstance } from '../../src/config/model';

const item = (over: Partial<TrackedItem>): TrackedItem => ({ kind: 'script', name: 's', weight: 0, reverse: false, state: 'up', ...over });

t.test('weight table (man5)', async (t) => {
  const rows: Array<[number, boolean, 'up' | 'down', number]> = [
    [10, false, 'up', 110],
    [10, false, 'down', 100],
    [-10, false, 'up', 100],
    [-10, false, 'down', 90],
    [10, true, 'up', 90],
    [10, true, 'down', 100],
    [-10, true, 'up', 100],
    [-10, true, 'down', 110],
  ];
  for (const [weight, reverse, state, want] of rows) {
    const r = computePriority({ basePriority: 100, items: [item({ weight, reverse, state })] });
    t.equal(r.effectivePriority, want, `weight ${weight} reverse ${reverse} ${state}`);
    t.equal(r.fault, false);
  }
});

t.test('weight 0: down → FAULT; reverse: up → FAULT', async (t) => {
  const down = item({ state: 'down', name: 'chk' });
  t.same(computePriority({ basePriority: 100, items: [down] }), {
    effectivePriority: 100, fault: true, faultReasons: ['script chk down'], faultItems: [down],
  });
  t.equal(faultLogLine('VI_1', down), '(VI_1): entering FAULT state due to script chk');
  t.equal(faultLogLine('VI_1', item({ kind: 'interface', name: 'eth1' })), '(VI_1): entering FAULT state (interface eth1 down)');
  t.equal(faultLogLine('VI_1', { ...item({ kind: 'file', name: 'tf' }), value: 3 }), '(VI_1): entering FAULT state (tracked file tf has status 3)');
  t.equal(computePriority({ basePriority: 100, items: [item({ state: 'up' })] }).fault, false);
  t.equal(computePriority({ basePriority: 100, items: [item({ state: 'up', reverse: true })] }).fault, true);
  t.equal(computePriority({ basePriority: 100, items: [item({ state: 'down', reverse: true })] }).fault, false);
  t.equal(computePriority({ basePriority: 100, items: [item({ kind: 'interface', name: 'eth0', state: 'down' })] }).faultReasons[0], 'interface eth0 down');
});

t.test('init state contributes nothing and is not a fault', async (t) => {
  const r = computePriority({ basePriority: 100, items: [item({ state: 'init', weight: 5 }), item({ state: 'init', weight: 0 }), item({ state: 'init', weight: -5 })] });
  t.same(r, { effectivePriority: 100, fault: false, faultReasons: [], faultItems: [] });
});

t.test('sum of several trackers and clamping', async (t) => {
  const items = [item({ weight: 2 }), item({ weight: -30, state: 'down' }), item({ kind: 'process', weight: 5 })];
  t.equal(computePriority({ basePriority: 100, items }).effectivePriority, 77);
  t.equal(computePriority({ basePriority: 250, items: [item({ weight: 50 })] }).effectivePriority, 254, 'never reaches 255');
  t.equal(computePriority({ basePriority: 10, items: [item({ weight: -50, state: 'down' })] }).effectivePriority, 1, 'never below 1');
  t.equal(computePriority({ basePriority: 255, items: [item({ weight: -50, state: 'down' })] }).effectivePriority, 255, 'owner unchanged');
  t.equal(clampPriority(255, 10), 255);
});

t.test('track_file: value × weight, weight 0 → FAULT on non-zero, < -253 → FAULT', async (t) => {
  const f = (value: number | undefined, weight: number, reverse = false): TrackedItem => {
    const it = item({ kind: 'file', name: 'f', weight, reverse, state: 'init' });
    if (value !== undefined) it.value = value;
    return it;
  };
  t.equal(computePriority({ basePriority: 100, items: [f(3, 5)] }).effectivePriority, 115);
  t.equal(computePriority({ basePriority: 100, items: [f(3, 5, true)] }).effectivePriority, 85);
  t.equal(computePriority({ basePriority: 100, items: [f(-2, 10)] }).effectivePriority, 80);
  t.equal(computePriority({ basePriority: 100, items: [f(0, 0)] }).fault, false);
  t.same(computePriority({ basePriority: 100, items: [f(7, 0)] }).faultReasons, ['tracked file f has status 7']);
  t.equal(computePriority({ basePriority: 100, items: [f(-254, 1)] }).fault, true);
  t.equal(computePriority({ basePriority: 100, items: [f(-253, 1)] }).fault, false);
  t.equal(computePriority({ basePriority: 100, items: [f(undefined, 10)] }).effectivePriority, 100, 'unread file: nothing');
});

t.test('sync group members: own weights ignored (act as weight 0) unless sync_group_tracking_weight', async (t) => {
  const own = item({ weight: -20, state: 'down', name: 'own' });
  const grp = item({ weight: -20, state: 'down', name: 'grp', fromGroup: true });
  const inGroup = computePriority({ basePriority: 100, items: [own], inSyncGroup: true });
  t.equal(inGroup.fault, true, 'weighted member tracker down → FAULT');
  t.equal(inGroup.effectivePriority, 100);
  const allowed = computePriority({ basePriority: 100, items: [own], inSyncGroup: true, syncGroupTrackingWeight: true });
  t.same([allowed.fault, allowed.effectivePriority], [false, 80]);
  const fromGroup = computePriority({ basePriority: 100, items: [grp], inSyncGroup: true });
  t.same([fromGroup.fault, fromGroup.effectivePriority], [false, 80]);
});

t.test('instanceTrackRefs resolves weights and group trackers', async (t) => {
  const loc = { file: 'k.conf', line: 1, col: 1 };
  const inst = {
    name: 'VI_1', syncGroup: 'G',
    trackInterface: [{ name: 'eth1', weight: 0, reverse: false, loc }],
    trackScript: [{ name: 'chk', reverse: false, loc }, { name: 'chk2', weight: -7, reverse: true, loc }, { name: 'missing', reverse: false, loc }],
    trackFile: [{ name: 'tf', reverse: false, loc }],
    trackProcess: [],
  } as unknown as VrrpInstance;
  const model = {
    vrrpScripts: [{ name: 'chk', weight: 2, weightReverse: false }, { name: 'chk2', weight: 3, weightReverse: false }],
    trackFiles: [{ name: 'tf', weight: 5, weightReverse: true }],
    trackProcesses: [{ name: 'p', weight: 0, weightReverse: false }],
    vrrpSyncGroups: [{ name: 'G', trackInterface: [], trackScript: [], trackFile: [], trackProcess: [{ name: 'p', reverse: false, loc }] }],
  } as unknown as Model;
  t.same(instanceTrackRefs(model, inst), [
    { kind: 'interface', name: 'eth1', weight: 0, reverse: false },
    { kind: 'script', name: 'chk', weight: 2, reverse: false },
    { kind: 'script', name: 'chk2', weight: -7, reverse: true },
    { kind: 'file', name: 'tf', weight: 5, reverse: true },
    { kind: 'process', name: 'p', weight: 0, reverse: false, fromGroup: true },
  ]);
});
