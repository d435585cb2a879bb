import t from 'tap';
import type { FsmEvent } from '../../src/vrrp/types';
import { groupStateOf, syncOnTransition, type MemberView, type SyncGroupView } from '../../src/vrrp/sync-group';

const m = (name: string, state: MemberView['state'], ownFault = false): MemberView => ({ name, state, ownFault });
const g = (members: MemberView[], state: SyncGroupView['state']): SyncGroupView => ({ name: 'G1', members, state });

t.test('one member to MASTER pulls the BACKUP members', async (t) => {
  const r = syncOnTransition(g([m('A', 'BACKUP'), m('B', 'BACKUP'), m('C', 'BACKUP')], 'BACKUP'), 'A', 'BACKUP', 'MASTER');
  t.same(r.forces, [
    { instance: 'B', event: { type: 'force', to: 'MASTER', reason: 'sync group G1' } },
    { instance: 'C', event: { type: 'force', to: 'MASTER', reason: 'sync group G1' } },
  ]);
  t.equal(r.groupState, 'MASTER');
  t.equal(r.groupNotify, 'MASTER');
  t.equal(r.log, 'VRRP_Group(G1) Syncing instances to MASTER state');
});

t.test('feeding the forced transitions back is idempotent', async (t) => {
  const r = syncOnTransition(g([m('A', 'MASTER'), m('B', 'BACKUP')], 'MASTER'), 'B', 'BACKUP', 'MASTER');
  t.same(r.forces, []);
  t.equal(r.groupNotify, undefined, 'group already reported MASTER');
  t.equal(r.log, undefined);
});

t.test('one member to FAULT puts all in FAULT', async (t) => {
  const r = syncOnTransition(g([m('A', 'MASTER', true), m('B', 'MASTER')], 'MASTER'), 'A', 'MASTER', 'FAULT');
  t.same(r.forces, [{ instance: 'B', event: { type: 'force', to: 'FAULT', reason: 'sync group G1' } }]);
  t.equal(r.groupNotify, 'FAULT');
});

t.test('leaving FAULT releases the others only when no member still has its own fault', async (t) => {
  const stillFaulty = syncOnTransition(g([m('A', 'FAULT'), m('B', 'FAULT', true), m('C', 'FAULT')], 'FAULT'), 'A', 'FAULT', 'BACKUP');
  t.same(stillFaulty.forces, []);
  const clear = syncOnTransition(g([m('A', 'FAULT'), m('B', 'FAULT'), m('C', 'FAULT')], 'FAULT'), 'A', 'FAULT', 'BACKUP');
  t.same(clear.forces.map((f) => [f.instance, f.event.to]), [['B', 'BACKUP'], ['C', 'BACKUP']]);
  t.equal(clear.groupNotify, 'BACKUP');
});

t.test('a MASTER member dropping to BACKUP takes the others down', async (t) => {
  const r = syncOnTransition(g([m('A', 'MASTER'), m('B', 'MASTER')], 'MASTER'), 'A', 'MASTER', 'BACKUP');
  t.same(r.forces, [{ instance: 'B', event: { type: 'force', to: 'BACKUP', reason: 'sync group G1' } }]);
  t.equal(r.log, 'VRRP_Group(G1) Syncing instances to BACKUP state');
});

t.test('group state', async (t) => {
  t.equal(groupStateOf(['MASTER', 'MASTER']), 'MASTER');
  t.equal(groupStateOf(['MASTER', 'BACKUP']), 'BACKUP');
  t.equal(groupStateOf(['MASTER', 'FAULT']), 'FAULT');
  t.equal(groupStateOf(['INIT', 'BACKUP']), 'BACKUP');
});

t.test('force events are FSM events', async (t) => {
  const r = syncOnTransition(g([m('A', 'BACKUP'), m('B', 'BACKUP')], 'BACKUP'), 'A', 'BACKUP', 'MASTER');
  const ev: FsmEvent[] = r.forces.map((f) => f.event);
  t.equal(ev.length, 1);
});
