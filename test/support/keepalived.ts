/**
 * The real keepalived (Debian package) as a peer in the namespace lab, for interop tests.
 * keepalived forks a VRRP child even with -n; `crash()` SIGKILLs the whole tree so the child
 * cannot send its priority-0 advert (killing only the parent is a clean stop for keepalived).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, OutputWatcher, type LabHost } from './netns';
import { startDaemon, tmpDir, type RunningDaemon } from './daemon';

export const KEEPALIVED_BIN = ['/usr/sbin/keepalived', '/sbin/keepalived'].find((p) => fs.existsSync(p));

export function startKeepalived(lab: Lab, host: LabHost, config: string): RunningDaemon {
  if (!KEEPALIVED_BIN) throw new Error('keepalived is not installed (apt-get install keepalived)');
  const dir = tmpDir(`ka-${host.name}`);
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, config);
  const cp = lab.spawn(host.ns, [
    KEEPALIVED_BIN, '-n', '-l', '-D', '-G', '-f', conf,
    '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
    '-b', path.join(dir, 'bfd.pid'),
  ]);
  const out = new OutputWatcher(cp);
  const exited = new Promise<number | null>((r) => cp.on('exit', (code) => r(code)));
  return { host, cp, out, dir, conf, exited };
}

/**
 * The interop tests' lab: ours on h1, keepalived on h2, the master-to-be at priority 100 and
 * the other at 90 (`oursIsMaster` says which).
 */
export async function interopLab(t: { teardown(fn: () => unknown): void }, oursIsMaster: boolean): Promise<{
  lab: Lab; hOurs: LabHost; hKa: LabHost; pOurs: number; pKa: number; master: LabHost; backup: LabHost;
}> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [hOurs, hKa] = [lab.host(1), lab.host(2)];
  const [pOurs, pKa] = oursIsMaster ? [100, 90] : [90, 100];
  const [master, backup] = oursIsMaster ? [hOurs, hKa] : [hKa, hOurs];
  return { lab, hOurs, hKa, pOurs, pKa, master, backup };
}

/** Starts a daemon in a lab host: ours (startDaemon) or keepalived (startKeepalived). */
export type Starter = (lab: Lab, host: LabHost, config: string) => RunningDaemon;

/** The starter of `impl`, for tests run the same way against keepalived 2.2.7 and ours. */
export function starterOf(impl: 'keepalived' | 'ours'): Starter {
  return impl === 'keepalived' ? startKeepalived : (lab, host, config) => startDaemon(lab, host, config);
}

/**
 * A real crash of a process tree (keepalived's parent and children): no priority-0 advert, no
 * BFD AdminDown. Stopped top-down first, then killed: killing a child while its parent runs lets
 * keepalived's parent respawn it (seen: a new BFD child sent Down packets after the "crash"),
 * and killing the parent first lets the children shut down cleanly. A parent is stopped before
 * its children are listed, so none can appear unseen. Returns the time the whole tree was
 * stopped (it sends nothing after that).
 */
export function crashTree(pid: number): number {
  const stopped: number[] = [];
  const stop = (p: number): void => {
    try {
      process.kill(p, 'SIGSTOP');
    } catch {
      return; // gone
    }
    stopped.push(p);
    let kids: string[] = [];
    try {
      kids = execFileSync('pgrep', ['-P', String(p)], { encoding: 'utf8', timeout: 2000 }).split('\n').filter(Boolean);
    } catch {
      /* none */
    }
    for (const k of kids) stop(Number(k));
  };
  stop(pid);
  const stoppedAt = Date.now();
  for (const p of stopped) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return stoppedAt;
}

/** keepalived's complaints about packets it could not accept. */
export const KEEPALIVED_PACKET_COMPLAINTS = /invalid|checksum|mismatch|not present in|expected \d+ VIPs|wrong VRRP version|received an? .*auth|Invalid/;
