/**
 * Run a daemon in a lab host with its own /tmp (a bind mount in a private mount namespace), so
 * the dumps it writes to /tmp/keepalived.* land in a test directory and never meet another
 * test's or the host's. The spawned pid is the daemon's own (ip netns exec, unshare and sh all exec).
 */
import fs from 'node:fs';
import path from 'node:path';
import { OutputWatcher, type Lab, type LabHost } from './netns';
import { NODE_FLAGS, MAIN, type RunningDaemon } from './daemon';
import { KEEPALIVED_BIN } from './keepalived';

export interface PrivateTmpDaemon extends RunningDaemon {
  /** What the daemon sees as /tmp. */
  tmp: string;
}

export function startWithPrivateTmp(lab: Lab, host: LabHost, impl: 'ours' | 'keepalived', config: string, extraArgs: string[] = []): PrivateTmpDaemon {
  // Not under /tmp: the daemon's /tmp is the bind mount, and its config must stay visible. Removed at lab teardown.
  const dir = fs.mkdtempSync(`/var/tmp/tk-${impl}-${host.name}-`);
  lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
  const tmp = path.join(dir, 'tmp');
  fs.mkdirSync(tmp);
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, config);
  const bin = impl === 'keepalived' ? [KEEPALIVED_BIN ?? '/usr/sbin/keepalived'] : [process.execPath, ...NODE_FLAGS, MAIN];
  const argv = [
    ...bin, '-n', '-l', '-D', '-G', '-f', conf,
    '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
    ...extraArgs,
  ];
  const cp = lab.spawn(host.ns, ['unshare', '-m', 'sh', '-c', 'mount --bind "$0" /tmp && exec "$@"', tmp, ...argv]);
  const out = new OutputWatcher(cp);
  const exited = new Promise<number | null>((r) => cp.on('exit', (code) => r(code)));
  return { host, cp, out, dir, conf, exited, tmp };
}
