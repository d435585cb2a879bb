/**
 * Fault matrix (issue #14): notify scripts that misbehave, run against keepalived 2.2.7 (when
 * installed, to observe) and ours. h1 (priority 100) starts alone and becomes MASTER; h2 then
 * starts at priority 150 (h1 goes BACKUP) and is stopped (h1 MASTER again), twice.
 *  - `notify` never exits on MASTER (it logs its start, then sleeps forever): every later
 *    transition must still happen on time and its hook must still start at once;
 *  - `notify` forks a daemon on every call (setsid + background, the script itself exits): the
 *    daemon process must not accumulate children or fds over the transitions.
 * At stop nothing started by the daemon in its session is left running (hanging hooks killed);
 * a daemon that left with setsid is the operator's and is left alone, as keepalived leaves it.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const skip = !isRoot() && 'needs root';

function script(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return p;
}

/** Pids in a namespace whose command line contains `marker`. */
function pidsWith(lab: Lab, h: LabHost, marker: string): number[] {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'pids', h.ns], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out.split('\n').map(Number).filter((pid) => {
    if (!(pid > 1)) return false;
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(marker);
    } catch {
      return false;
    }
  });
}

function fdCount(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}
function childCount(pid: number): number {
  let n = 0;
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) n += fs.readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).length;
  } catch {
    return -1;
  }
  return n;
}
/** keepalived's VRRP child, or our daemon itself. */
function vrrpPid(d: RunningDaemon, impl: string): number {
  if (impl === 'ours') return d.cp.pid as number;
  return Number(fs.readFileSync(path.join(d.dir, 'vrrp.pid'), 'utf8').trim());
}

const cfgWith = (notify: string, priority: number, state: 'MASTER' | 'BACKUP'): string =>
  vrrpConfig({ state, priority, global: 'enable_script_security\n  script_user root', extra: `notify ${notify}` });

for (const impl of ['keepalived', 'ours'] as const) {
  const implSkip = skip || (impl === 'keepalived' && !KEEPALIVED_BIN && 'keepalived not installed');
  const start = (lab: Lab, h: LabHost, cfg: string): RunningDaemon => (impl === 'keepalived' ? startKeepalived(lab, h, cfg) : startDaemon(lab, h, cfg));

  /** h2 at 150 comes and goes `rounds` times; returns how long h1 took to change state each time. */
  async function flap(t: Test, lab: Lab, d1: RunningDaemon, rounds: number): Promise<void> {
    const h2 = lab.host(2);
    for (let i = 0; i < rounds; i++) {
      const b = d1.out.count(/Entering BACKUP STATE/);
      const d2 = startDaemon(lab, h2, vrrpConfig({ state: 'BACKUP', priority: 150 }));
      const t0 = Date.now();
      t.ok(await waitFor(() => (d1.out.count(/Entering BACKUP STATE/) > b ? true : undefined), 15_000), `round ${i + 1}: h1 yields to h2 (${Date.now() - t0} ms after h2 started)`);
      const m = d1.out.count(/Entering MASTER STATE/);
      d2.cp.kill('SIGTERM');
      const t1 = Date.now();
      await d2.exited;
      t.ok(await waitFor(() => (d1.out.count(/Entering MASTER STATE/) > m ? true : undefined), 5000), `round ${i + 1}: h1 MASTER again ${Date.now() - t1} ms after h2's stop (priority 0: Skew_Time 0.6 s)`);
    }
  }

  t.test(`${impl}: a notify script that never exits: transitions and later hooks on time, nothing left after stop`, { skip: implSkip, timeout: 240_000 }, async (t) => {
    const lab = await Lab.create(t, { hosts: 2 });
    const dir = tmpDir('fnotify');
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.chmodSync(dir, 0o755);
    const log = path.join(dir, 'hooks.log');
    const hang = script(dir, 'hang-notify.sh', `echo "$3 $(date +%s%N)" >> ${log}\n[ "$3" = MASTER ] && exec sleep 100000 # hang-marker\nexit 0`);
    const d1 = start(lab, lab.host(1), cfgWith(hang, 100, 'BACKUP'));
    logsOnFailure(t, d1);
    t.ok(await d1.out.waitFor('Entering MASTER STATE', 30_000), 'h1 MASTER');
    await sleep(500);
    await flap(t, lab, d1, 2);
    await sleep(1000);
    const lines = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);
    t.comment(`${impl}: hooks started: ${lines.join(',')}`);
    // BACKUP (start), MASTER, then per round BACKUP, MASTER: every hook started although MASTER's never ends
    t.same(lines.slice(-5), ['MASTER', 'BACKUP', 'MASTER', 'BACKUP', 'MASTER'], 'every transition ran its hook, in order');
    const hanging = pidsWith(lab, lab.host(1), 'sleep 100000');
    t.comment(`${impl}: hanging hooks running before stop: ${hanging.length}`);
    d1.cp.kill('SIGTERM');
    await Promise.race([d1.exited, sleep(10_000)]);
    await sleep(1500);
    const left = pidsWith(lab, lab.host(1), 'sleep 100000');
    t.comment(`${impl}: hanging hooks left after stop: ${left.length}`);
    t.same(left, [], 'no hook left running after stop (keepalived 2.2.7 kills them too, observed)');
  });

  t.test(`${impl}: a notify script that forks a daemon: no accumulated children or fds`, { skip: implSkip, timeout: 240_000 }, async (t) => {
    const lab = await Lab.create(t, { hosts: 2 });
    const dir = tmpDir('fnotify');
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.chmodSync(dir, 0o755);
    const log = path.join(dir, 'hooks.log');
    // double fork: a subshell backgrounds a setsid'd daemon and exits; the daemon keeps running
    const forker = script(dir, 'fork-notify.sh', `echo "$3" >> ${log}\n( setsid sleep 200000 & ) # fork-marker\nexit 0`);
    const d1 = start(lab, lab.host(1), cfgWith(forker, 100, 'BACKUP'));
    logsOnFailure(t, d1);
    t.ok(await d1.out.waitFor('Entering MASTER STATE', 30_000), 'h1 MASTER');
    await sleep(1000);
    const pid = vrrpPid(d1, impl);
    const fd0 = fdCount(pid);
    const ch0 = childCount(pid);
    await flap(t, lab, d1, 3);
    await sleep(1500);
    const fd1 = fdCount(pid);
    const ch1 = childCount(pid);
    const daemons = pidsWith(lab, lab.host(1), 'sleep 200000').length;
    t.comment(`${impl}: fds ${fd0} -> ${fd1}, children ${ch0} -> ${ch1}, forked daemons running ${daemons}`);
    t.same(fs.readFileSync(log, 'utf8').trim().split('\n').slice(-7), ['MASTER', 'BACKUP', 'MASTER', 'BACKUP', 'MASTER', 'BACKUP', 'MASTER'], 'every transition ran its hook');
    t.ok(daemons >= 7, 'the forked daemons keep running');
    if (impl === 'ours') {
      t.equal(fd1, fd0, 'ours: no fd accumulated');
      t.equal(ch1, ch0, 'ours: no child accumulated');
    }
    d1.cp.kill('SIGTERM');
    await Promise.race([d1.exited, sleep(10_000)]);
    await sleep(1000);
    t.comment(`${impl}: forked daemons left after stop: ${pidsWith(lab, lab.host(1), 'sleep 200000').length}`);
  });
}
