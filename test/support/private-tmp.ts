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

/**
 * `fullTmpfsKb`: the daemon's /tmp is instead a tmpfs of that size, filled to the last block
 * before the daemon starts (a full /tmp when dumps are requested).
 */
export function startWithPrivateTmp(lab: Lab, host: LabHost, impl: 'ours' | 'keepalived', config: string, extraArgs: string[] = [], o: { fullTmpfsKb?: number } = {}): PrivateTmpDaemon {
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
  // A checkout under /tmp (CI clones to /tmp/x) must stay visible to the daemon (its code, and
  // node_modules for NODE_OPTIONS from the test runner): it is bound back in at the same path.
  const root = path.resolve(path.dirname(MAIN), '..', '..', '..');
  const rel = path.relative('/tmp', root);
  const under = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  // sh -c SCRIPT TMP ROOT REL ARGV...: $0 the directory that becomes /tmp, $1 the checkout, $2 its path under /tmp
  const steps = [
    ...(o.fullTmpfsKb ? [`mount -t tmpfs -o size=${o.fullTmpfsKb}k,mode=1777 tmpfs "$0"`] : []),
    ...(under ? ['mkdir -p "$0/$2" && mount --bind "$1" "$0/$2"'] : []),
  ];
  const fill = o.fullTmpfsKb ? 'dd if=/dev/zero of="$0/fill" bs=4k 2>/dev/null; ' : '';
  const script = `${steps.map((x) => `${x} && `).join('')}${fill}mount --rbind "$0" /tmp && shift 2 && exec "$@"`;
  const cp = lab.spawn(host.ns, ['unshare', '-m', 'sh', '-c', script, tmp, root, rel, ...argv]);
  const out = new OutputWatcher(cp);
  const exited = new Promise<number | null>((r) => cp.on('exit', (code) => r(code)));
  return { host, cp, out, dir, conf, exited, tmp };
}
