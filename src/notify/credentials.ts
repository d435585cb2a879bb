/**
 * Can this process run a script as another user? Starting a script as `script_user` takes
 * setgroups/setgid (CAP_SETGID) and setuid (CAP_SETUID) unless the ids are our own. A daemon run
 * without root (only CAP_NET_ADMIN + CAP_NET_RAW) cannot switch; keepalived 2.2.7 then logs
 * `Unable to set uid:gid U:G for script PATH - disabling` and never runs that script (measured:
 * a track script is disabled "due to insecure", the instance runs on without it).
 */
import fs from 'node:fs';
import type { Ids } from './script-policy';

export interface SelfCredentials {
  uid: number;
  gid: number;
  /** CAP_SETUID (7) / CAP_SETGID (6) in the effective set. */
  capSetuid: boolean;
  capSetgid: boolean;
}

/** Effective capability bits from /proc/self/status's CapEff line (hex). */
export function parseCapEff(status: string): bigint {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(status);
  return m?.[1] ? BigInt(`0x${m[1]}`) : 0n;
}

export function selfCredentials(statusFile = '/proc/self/status'): SelfCredentials {
  let caps = 0n;
  try {
    caps = parseCapEff(fs.readFileSync(statusFile, 'utf8'));
  } catch {
    // no /proc: assume nothing beyond our own ids
  }
  return {
    uid: process.geteuid?.() ?? 0,
    gid: process.getegid?.() ?? 0,
    capSetuid: (caps & (1n << 7n)) !== 0n,
    capSetgid: (caps & (1n << 6n)) !== 0n,
  };
}

/**
 * The ids to pass to the spawner ({} = run as ourselves), or undefined when this process cannot
 * switch to them. A different user always gets its gid too (setgroups then drops our
 * supplementary groups), so CAP_SETGID is needed for any switch, CAP_SETUID for another uid.
 */
export function switchIds(ids: Ids, self: SelfCredentials): { uid?: number; gid?: number } | undefined {
  const otherUid = ids.uid !== self.uid;
  if (!otherUid && ids.gid === self.gid) return {};
  if (!self.capSetgid || (otherUid && !self.capSetuid)) return undefined;
  return otherUid ? { uid: ids.uid, gid: ids.gid } : { gid: ids.gid };
}

/** keepalived's message for a script it cannot run as its user. */
export function cannotSwitchMessage(ids: Ids, cmd: string): string {
  return `Unable to set uid:gid ${ids.uid}:${ids.gid} for script ${cmd} - disabling`;
}
