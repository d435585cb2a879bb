/**
 * vrrp_script tracking with real scripts, a real clock and the real ScriptRunner:
 * a hung script is killed (with its children) and counts as failure, rise/fall on a
 * script that follows a flag file, reversed weights through computePriority, signals
 * and exit statuses logged in keepalived's words.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '../support/netns';
import { SystemClock } from '../../src/runtime/clock';
import { Trackers } from '../../src/runtime/trackers';
import { MemoryLogger } from '../../src/observe/log';
import { computePriority } from '../../src/track/priority';
import type { TrackState } from '../../src/track/rise-fall';

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-trk-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function script(dir: string, name: string, body: string): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, 0o755);
  return p;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function make(t: { teardown(fn: () => void): void }) {
  const log = new MemoryLogger();
  const changes: Array<[string, string, TrackState | number]> = [];
  const tr = new Trackers({ clock: new SystemClock(), log, onChange: (k, n, s) => changes.push([k, n, s]) });
  t.teardown(() => tr.stop());
  return { log, changes, tr };
}

t.test('a hung script is killed at its timeout, with its children, and counts as failure', async (t) => {
  const dir = tmpdir(t);
  const pids = path.join(dir, 'pids');
  const hang = script(dir, 'hang.sh', `sleep 60 &\necho $! > ${pids}\nwait`);
  const { log, changes, tr } = make(t);
  tr.addScript({ name: 'hang', script: hang, intervalMs: 600, timeoutMs: 300 });
  tr.start();
  t.ok(await waitFor(() => log.has('VRRP_Script(hang) timed_out'), 5000), 'timed_out logged');
  t.same(changes[0], ['script', 'hang', 'down']);
  const child = Number(fs.readFileSync(pids, 'utf8'));
  t.ok(child > 0);
  t.ok(await waitFor(() => !alive(child), 2000), 'the script\'s child (sleep) was killed too');
});

t.test('interval shorter than the run: runs are skipped, never overlapped', async (t) => {
  const dir = tmpdir(t);
  const count = path.join(dir, 'count');
  const slow = script(dir, 'slow.sh', `echo x >> ${count}\nsleep 0.7`);
  const { log, tr } = make(t);
  tr.addScript({ name: 'slow', script: slow, intervalMs: 200, timeoutMs: 2000 });
  tr.start();
  t.ok(await waitFor(() => log.has('VRRP_Script(slow) succeeded'), 5000));
  tr.stop();
  t.ok(log.has('Track script slow is running, expect idle - skipping run'));
  const runs = fs.readFileSync(count, 'utf8').trim().split('\n').length;
  t.ok(runs <= 2, `only ${runs} run(s) started while each takes 0.7 s`);
});

t.test('rise/fall follow a flag file; reversed weight moves the priority the other way', async (t) => {
  const dir = tmpdir(t);
  const flag = path.join(dir, 'ok');
  const chk = script(dir, 'chk.sh', `test -e ${flag}`);
  const { log, changes, tr } = make(t);
  fs.writeFileSync(flag, '');
  tr.addScript({ name: 'chk', script: chk, intervalMs: 100, rise: 3, fall: 2 });
  tr.start();
  const prio = (): number =>
    computePriority({ basePriority: 100, items: tr.items([{ kind: 'script', name: 'chk', weight: 10, reverse: true }]) }).effectivePriority;
  t.ok(await waitFor(() => tr.scriptState('chk') === 'up', 3000), 'up');
  t.equal(prio(), 90, '+10 reverse while up → 90');
  fs.unlinkSync(flag);
  t.ok(await waitFor(() => tr.scriptState('chk') === 'down', 3000), 'down after fall');
  t.ok(log.has('VRRP_Script(chk) failed (exited with status 1)'));
  t.equal(prio(), 100);
  fs.writeFileSync(flag, '');
  const t0 = Date.now();
  t.ok(await waitFor(() => tr.scriptState('chk') === 'up', 3000), 'up again after rise');
  t.ok(Date.now() - t0 >= 150, 'rise 3 at 100 ms needs at least ~2 intervals');
  t.same(changes.map((c) => c[2]), ['up', 'down', 'up']);
});

t.test('signals logged with their number; init_fail starts down', async (t) => {
  const dir = tmpdir(t);
  const sig = script(dir, 'sig.sh', 'kill -TERM $$');
  const { log, tr } = make(t);
  tr.addScript({ name: 'sig', script: sig, intervalMs: 1000, initFail: true });
  t.equal(tr.scriptState('sig'), 'down');
  tr.start();
  // A script already 'down' (init_fail) that fails again does not flip, so nothing is logged
  // for it; a second script without init_fail flips and logs the signal number.
  const sig2 = script(dir, 'sig2.sh', 'kill -TERM $$');
  tr.addScript({ name: 'sig2', script: sig2, intervalMs: 1000 });
  t.ok(await waitFor(() => log.has('VRRP_Script(sig2) failed (due to signal 15)'), 3000));
  t.equal(tr.scriptState('sig'), 'down');
  t.notOk(log.has('VRRP_Script(sig) failed'), 'no flip, no line for the init_fail script');
});
