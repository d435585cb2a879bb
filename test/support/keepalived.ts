/**
 * The real keepalived (Debian package) as a peer in the namespace lab, for interop tests.
 * keepalived forks a VRRP child even with -n; `crash()` SIGKILLs the whole tree so the child
 * cannot send its priority-0 advert (killing only the parent is a clean stop for keepalived).
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, OutputWatcher, type LabHost } from './netns';
import { tmpDir, type RunningDaemon } from './daemon';

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

/** SIGKILL keepalived's children first, then the parent: a real crash, no priority-0 advert. */
export function crashTree(pid: number): void {
  let kids: string[] = [];
  try {
    kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    /* none */
  }
  for (const k of kids) crashTree(Number(k));
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

/** keepalived's complaints about packets it could not accept. */
export const KEEPALIVED_PACKET_COMPLAINTS = /invalid|checksum|mismatch|not present in|expected \d+ VIPs|wrong VRRP version|received an? .*auth|Invalid/;
