/**
 * vrrp_sync_group: members move together (keepalived-features.md §(d) vrrp_sync_group).
 * Pure: given the members' current states and one member's transition, return the forced
 * transitions for the others ({type:'force', to} events for the FSM) and the group's own
 * state change for group-level notify.
 *
 *  - a member enters MASTER → every member in BACKUP is forced to MASTER;
 *  - a member leaves MASTER for BACKUP → every member still MASTER is forced to BACKUP;
 *  - a member enters FAULT → every member not in FAULT is forced to FAULT;
 *  - a member leaves FAULT → the others leave FAULT for BACKUP only when no member still
 *    has a fault of its own (a forced FAULT is not a fault of one's own).
 * Group state: MASTER when all members are MASTER, FAULT when any is FAULT, else BACKUP.
 * Applying the forced events and feeding the resulting transitions back in is idempotent.
 */

export type MemberState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
export type GroupState = 'BACKUP' | 'MASTER' | 'FAULT';

export interface MemberView {
  name: string;
  state: MemberState;
  /** The member's own trackers/interfaces put it in FAULT (not a forced FAULT). */
  ownFault: boolean;
}

export interface SyncGroupView {
  name: string;
  members: readonly MemberView[];
  /** Group state before this transition (what group notify last reported). */
  state: GroupState;
}

export interface ForceEvent {
  instance: string;
  event: { type: 'force'; to: 'MASTER' | 'BACKUP' | 'FAULT'; reason: string };
}

export interface SyncResult {
  forces: ForceEvent[];
  groupState: GroupState;
  /** Set when the group state changed: run the group's notify hooks for this state. */
  groupNotify?: GroupState;
  /** keepalived's "VRRP_Group(%s) Syncing instances to %s state", when anything is forced. */
  log?: string;
}

export function groupStateOf(states: readonly MemberState[]): GroupState {
  if (states.some((s) => s === 'FAULT')) return 'FAULT';
  if (states.length > 0 && states.every((s) => s === 'MASTER')) return 'MASTER';
  return 'BACKUP';
}

function targetFor(
  from: MemberState,
  to: MemberState,
  members: readonly MemberView[],
): { to: 'MASTER' | 'BACKUP' | 'FAULT'; which: (m: MemberView) => boolean } | undefined {
  if (to === 'MASTER') return { to: 'MASTER', which: (m) => m.state === 'BACKUP' };
  if (to === 'FAULT') return { to: 'FAULT', which: (m) => m.state !== 'FAULT' };
  if (to === 'BACKUP' && from === 'MASTER') return { to: 'BACKUP', which: (m) => m.state === 'MASTER' };
  if (to === 'BACKUP' && from === 'FAULT') {
    if (members.some((m) => m.ownFault)) return undefined;
    return { to: 'BACKUP', which: (m) => m.state === 'FAULT' };
  }
  return undefined;
}

/**
 * `member` has just moved `from` → `to`; `group.members` holds the states BEFORE the move
 * for the others (the mover's entry is overridden with `to`).
 */
export function syncOnTransition(group: SyncGroupView, member: string, from: MemberState, to: MemberState): SyncResult {
  const members = group.members.map((m) => (m.name === member ? { ...m, state: to } : m));
  const target = targetFor(from, to, members);
  const forces: ForceEvent[] = [];
  if (target) {
    for (const m of members) {
      if (m.name !== member && target.which(m)) forces.push({ instance: m.name, event: { type: 'force', to: target.to, reason: `sync group ${group.name}` } });
    }
  }
  const forced = new Map(forces.map((f) => [f.instance, f.event.to] as const));
  const groupState = groupStateOf(members.map((m) => forced.get(m.name) ?? m.state));
  const out: SyncResult = { forces, groupState };
  if (groupState !== group.state) out.groupNotify = groupState;
  if (forces.length > 0 && target) out.log = `VRRP_Group(${group.name}) Syncing instances to ${target.to} state`;
  return out;
}
