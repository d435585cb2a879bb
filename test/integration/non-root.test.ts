/**
 * Non-root operation: the daemon runs as nobody with only CAP_NET_ADMIN + CAP_NET_RAW (setpriv,
 * as README shows; the same as systemd's User= + AmbientCapabilities=), pid files and control
 * socket in a directory it owns (-p/-r/-c). It becomes MASTER, adds the VIP, and removes it at
 * SIGTERM. A script_user it cannot become: the script is disabled and never run, logged as
 * keepalived 2.2.7 logs it (run side by side here), while the instance stays MASTER; a script of
 * its own user runs.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, OutputWatcher, isRoot, sleep, waitFor } from '../support/netns';
import { MAIN, NODE_FLAGS, tmpDir } from '../support/daemon';
import { KEEPALIVED_BIN } from '../support/keepalived';

const NOBODY = 65534;
const SETPRIV = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups',
  '--inh-caps=-all,+net_admin,+net_raw', '--ambient-caps=-all,+net_admin,+net_raw', '--bounding-set=-all,+net_admin,+net_raw'];

function config(dir: string): string {
  return `global_defs {
  router_id nonroot
  script_user daemon
}
vrrp_script chk_other_user {
  script "${dir}/other.sh"
  interval 1
  weight -50
}
vrrp_script chk_own_user {
  script "${dir}/own.sh"
  interval 1
  user nobody
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 71
  priority 100
  advert_int 1
  notify ${dir}/notify.sh
  track_script {
    chk_other_user
    chk_own_user
  }
  virtual_ipaddress {
    198.51.100.71/24
  }
}
`;
}

/** A script that leaves a mark with the uid it ran as (and fails, when running it would cost weight). */
function script(dir: string, name: string, status: number): void {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\necho "$(id -u)" >> ${dir}/${name}.ran\nexit ${status}\n`);
  fs.chmodSync(p, 0o755);
}

for (const impl of ['tskeepalived', 'keepalived'] as const) {
  t.test(`${impl} as nobody with CAP_NET_ADMIN+CAP_NET_RAW: MASTER with the VIP; a script_user it cannot become is disabled`, {
    skip: (!isRoot() && 'needs root') || (impl === 'keepalived' && !KEEPALIVED_BIN && 'keepalived not installed'),
  }, async (t) => {
    const lab = await Lab.create(t, { hosts: 1 });
    const host = lab.host(1);
    const dir = tmpDir(`nr-${impl}`);
    fs.chmodSync(dir, 0o755);
    const run = path.join(dir, 'run');
    fs.mkdirSync(run);
    fs.chownSync(run, NOBODY, NOBODY);
    // The marks are written by the scripts as whoever they run as.
    fs.chmodSync(dir, 0o777);
    script(dir, 'other.sh', 1);
    script(dir, 'own.sh', 0);
    script(dir, 'notify.sh', 0);
    const conf = path.join(dir, 'keepalived.conf');
    fs.writeFileSync(conf, config(dir), { mode: 0o644 });
    lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
    const args = ['-n', '-l', '-D', '-f', conf, '-p', `${run}/keepalived.pid`, '-r', `${run}/vrrp.pid`, '-c', `${run}/checkers.pid`];
    const argv = impl === 'keepalived' ? [KEEPALIVED_BIN as string, ...args] : [process.execPath, ...NODE_FLAGS, MAIN, '-G', ...args];
    // Not tap's NODE_OPTIONS/TAP_* (its loader writes into the checkout, which nobody cannot).
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(NODE_OPTIONS|TAP|_TAPJS)/.test(k)));
    const cp = lab.spawn(host.ns, [...SETPRIV, ...argv], { env });
    const out = new OutputWatcher(cp);
    const exited = new Promise<number | null>((r) => cp.on('exit', (c) => r(c)));
    t.teardown(() => {
      if (!t.passing()) t.comment(`${impl} log:\n${out.text}`);
    });

    t.ok(await waitFor(() => lab.hasAddress(host, '198.51.100.71'), 20_000), 'becomes MASTER and adds the VIP');
    t.ok(out.has('(VI_1) Entering MASTER STATE'), 'MASTER');
    const status = fs.readFileSync(`/proc/${cp.pid}/status`, 'utf8');
    t.match(status, new RegExp(`^Uid:\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}\\s+${NOBODY}$`, 'm'), 'runs as nobody');
    t.match(status, /^CapEff:\s+0000000000003000$/m, 'with CAP_NET_ADMIN and CAP_NET_RAW only');
    t.ok(fs.existsSync(`${run}/vrrp.pid`), 'pid file written where -r says');

    t.ok(out.has(`Unable to set uid:gid 1:1 for script ${dir}/other.sh - disabling`), 'the script of another user is disabled, in keepalived\'s words');
    t.ok(out.has('Disabling track script chk_other_user due to insecure'), 'and the tracker says so');
    t.ok(out.has(`Unable to set uid:gid 1:1 for script ${dir}/notify.sh - disabling`), 'so is the notify script');
    if (impl === 'tskeepalived') {
      t.ok(await waitFor(() => fs.existsSync(`${dir}/own.sh.ran`), 5000), 'a script of its own user runs');
      t.equal(fs.readFileSync(`${dir}/own.sh.ran`, 'utf8').split('\n')[0], String(NOBODY), 'as nobody');
    } else {
      // Measured: keepalived 2.2.7's script child calls setgroups even for its own user, which
      // fails without CAP_SETGID, so it never runs any script when not root. Ours does.
      t.ok(await out.waitFor("Couldn't setgroups: 65534 (Operation not permitted)", 5000), "keepalived cannot run even its own user's script");
    }
    await sleep(2500);
    t.notOk(fs.existsSync(`${dir}/other.sh.ran`), 'the disabled check script never ran');
    t.notOk(fs.existsSync(`${dir}/notify.sh.ran`), 'nor the notify script');
    t.ok(await lab.hasAddress(host, '198.51.100.71'), 'still MASTER: the disabled script did not fail the instance');

    process.kill(cp.pid as number, 'SIGTERM');
    t.equal(await Promise.race([exited, sleep(10_000).then(() => 'timeout')]), 0, 'exits 0 on SIGTERM');
    t.notOk(await lab.hasAddress(host, '198.51.100.71'), 'VIP removed at stop');
  });
}
