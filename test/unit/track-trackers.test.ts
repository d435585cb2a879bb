import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FakeClock } from '../support/fake-clock';
import { MemoryLogger } from '../../src/observe/log';
import { Trackers, scriptFailureText, trackerSpecsFromModel } from '../../src/runtime/trackers';
import type { RunOptions, ScriptOutcome, ScriptResult, ScriptRunner } from '../../src/notify/exec';
import type { ProcessInfo } from '../../src/track/process-match';
import type { Model } from '../../src/config/model';

/** A runner whose runs the test finishes by hand. */
class FakeRunner implements ScriptRunner {
  runs: Array<{ argv: readonly string[]; opts: RunOptions | undefined; finish: (o: ScriptOutcome) => void }> = [];
  run(argv: readonly string[], opts?: RunOptions): Promise<ScriptResult> {
    return new Promise((resolve) => {
      this.runs.push({ argv, opts, finish: (outcome) => resolve({ outcome, stdout: '', stderr: '', durationMs: 0 }) });
    });
  }
  last() {
    const r = this.runs[this.runs.length - 1];
    if (!r) throw new Error('no run');
    return r;
  }
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function setup(extra: Partial<ConstructorParameters<typeof Trackers>[0]> = {}) {
  const clock = new FakeClock();
  const log = new MemoryLogger();
  const runner = new FakeRunner();
  const changes: Array<[string, string, unknown]> = [];
  const tr = new Trackers({ clock, log, runner, onChange: (k, n, s) => changes.push([k, n, s]), ...extra });
  return { clock, log, runner, changes, tr };
}

t.test('script runs at start and every interval, with timeout = interval by default', async (t) => {
  const { clock, runner, tr } = setup();
  tr.addScript({ name: 'chk', script: '/bin/check "a b"', intervalMs: 2000 });
  tr.start();
  t.equal(runner.runs.length, 1);
  t.same(runner.last().argv, ['/bin/check', 'a b']);
  t.equal(runner.last().opts?.timeoutMs, 2000);
  runner.last().finish({ kind: 'exited', status: 0 });
  await flush();
  clock.advance(1999);
  t.equal(runner.runs.length, 1, 'not before the interval');
  clock.advance(1);
  t.equal(runner.runs.length, 2);
  tr.stop();
});

t.test('never two runs of one script: a busy tick is skipped and logged', async (t) => {
  const { clock, runner, log, tr } = setup();
  tr.addScript({ name: 'slow', script: '/bin/slow', intervalMs: 1000, timeoutMs: 3000 });
  tr.start();
  clock.advance(1000);
  t.equal(runner.runs.length, 1);
  t.ok(log.has('Track script slow is running, expect idle - skipping run'));
  clock.advance(2000);
  t.ok(log.has('Track script slow is being timed out, expect idle - skipping run'));
  runner.last().finish({ kind: 'timed_out' });
  await flush();
  t.ok(log.has('VRRP_Script(slow) timed_out'));
  clock.advance(1000);
  t.equal(runner.runs.length, 2, 'next tick after the run ended launches again');
  tr.stop();
});

t.test('rise/fall and change events with keepalived log lines', async (t) => {
  const { clock, runner, log, changes, tr } = setup();
  tr.addScript({ name: 'chk', script: '/bin/chk', intervalMs: 1000, rise: 2, fall: 2 });
  tr.start();
  const step = async (o: ScriptOutcome): Promise<void> => {
    runner.last().finish(o);
    await flush();
    clock.advance(1000);
  };
  await step({ kind: 'exited', status: 0 });
  t.same(changes, [['script', 'chk', 'up']], 'first result applies at once');
  t.ok(log.has('VRRP_Script(chk) succeeded'));
  await step({ kind: 'exited', status: 1 });
  t.equal(changes.length, 1, 'one failure < fall');
  await step({ kind: 'exited', status: 1 });
  t.same(changes[1], ['script', 'chk', 'down']);
  t.ok(log.has('VRRP_Script(chk) failed (exited with status 1)'));
  await step({ kind: 'signalled', signal: 'SIGTERM' });
  await step({ kind: 'exited', status: 0 });
  t.equal(changes.length, 2, 'one success < rise');
  await step({ kind: 'exited', status: 0 });
  t.same(changes[2], ['script', 'chk', 'up']);
  t.equal(tr.scriptState('chk'), 'up');
  tr.stop();
});

t.test('failure texts', async (t) => {
  t.equal(scriptFailureText('x', { kind: 'signalled', signal: 'SIGKILL' }), 'VRRP_Script(x) failed (due to signal 9)');
  t.equal(scriptFailureText('x', { kind: 'exited', status: 3 }), 'VRRP_Script(x) failed (exited with status 3)');
  t.equal(scriptFailureText('x', { kind: 'timed_out' }), 'VRRP_Script(x) timed_out');
});

t.test('user lookup: uid/gid passed to the runner; unknown user disables', async (t) => {
  const lookup = (u: string) => (u === 'ks' ? { uid: 1234, gid: 99 } : undefined);
  const { runner, log, tr } = setup({ lookup, scriptUser: { user: 'ks' }, self: { uid: 0, gid: 0, capSetuid: true, capSetgid: true } });
  tr.addScript({ name: 'a', script: '/bin/a', intervalMs: 1000 });
  tr.addScript({ name: 'b', script: '/bin/b', intervalMs: 1000, user: 'nobody-here' });
  tr.start();
  t.equal(runner.runs.length, 1);
  t.same([runner.last().opts?.uid, runner.last().opts?.gid], [1234, 99]);
  t.ok(tr.scriptDisabled('b'));
  t.ok(log.has("Script user 'nobody-here' does not exist"));
  tr.stop();
});

t.test("non-root daemon: a script_user it cannot become disables the script (never run), as keepalived; its own user runs", async (t) => {
  const lookup = (u: string) => (u === 'ks' ? { uid: 1234, gid: 99 } : u === 'me' ? { uid: 65534, gid: 65534 } : undefined);
  const self = { uid: 65534, gid: 65534, capSetuid: false, capSetgid: false };
  const { runner, log, tr } = setup({ lookup, scriptUser: { user: 'ks' }, self });
  tr.addScript({ name: 'a', script: '/bin/a', intervalMs: 1000 });
  tr.addScript({ name: 'b', script: '/bin/b', intervalMs: 1000, user: 'me' });
  tr.start();
  t.ok(tr.scriptDisabled('a'), 'disabled');
  t.ok(log.has('Unable to set uid:gid 1234:99 for script /bin/a - disabling'));
  t.ok(log.has('Disabling track script a due to insecure'));
  t.same(runner.runs.map((r) => [r.argv[0], r.opts?.uid, r.opts?.gid]), [['/bin/b', undefined, undefined]], 'only our own user\'s script runs, without a switch');
  t.same(tr.items([{ kind: 'script', name: 'a', weight: 10 } as never]).map((i) => i.state), ['init'], 'a disabled script does not count against the instance');
  tr.stop();
});

t.test('track_process with delay; flapping back inside the delay is ignored', async (t) => {
  let procs: ProcessInfo[] = [{ pid: 10, comm: 'myd', argv: ['myd'] }];
  const { clock, changes, log, tr } = setup({ readProc: () => procs, procPollMs: 500 });
  tr.addProcess({ name: 'p', process: ['myd'], delayMs: 2000 });
  tr.start();
  t.same(changes, [['process', 'p', 'up']], 'initial state without delay');
  procs = [];
  clock.advance(500);
  t.equal(changes.length, 1, 'loss delayed');
  clock.advance(1000);
  procs = [{ pid: 11, comm: 'myd', argv: ['myd'] }];
  clock.advance(500);
  clock.advance(3000);
  t.equal(changes.length, 1, 'came back within delay: no change');
  procs = [];
  clock.advance(500);
  clock.advance(1999);
  t.equal(changes.length, 1);
  clock.advance(1);
  t.same(changes[1], ['process', 'p', 'down']);
  t.ok(log.has('Quorum lost for tracked process p'));
  tr.stop();
});

t.test('items() merges live states into references', async (t) => {
  const { runner, tr } = setup({ readProc: () => [] });
  tr.addScript({ name: 's', script: '/x', intervalMs: 1000 });
  tr.addProcess({ name: 'p', process: ['nothing'] });
  tr.start();
  runner.last().finish({ kind: 'exited', status: 0 });
  await flush();
  t.same(tr.items([
    { kind: 'script', name: 's', weight: 2, reverse: false },
    { kind: 'process', name: 'p', weight: 0, reverse: false },
    { kind: 'interface', name: 'eth0', weight: 0, reverse: false, state: 'down' },
  ]).map((i) => i.state), ['up', 'down', 'down']);
  tr.stop();
});

t.test('trackerSpecsFromModel keeps only referenced trackers', async (t) => {
  const model = {
    vrrpInstances: [{ trackScript: [{ name: 'used' }], trackFile: [], trackProcess: [{ name: 'p' }] }],
    vrrpSyncGroups: [{ trackScript: [], trackFile: [{ name: 'f' }], trackProcess: [] }],
    vrrpScripts: [
      { name: 'used', script: { argv: ['/bin/true'], user: 'u' }, intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3, initFail: true },
      { name: 'unused', script: { argv: ['/bin/false'] }, intervalMs: 1000, timeoutMs: 1000, rise: 1, fall: 1, initFail: false },
    ],
    trackFiles: [{ name: 'f', file: '/tmp/f', initFile: { value: 1, overwrite: false } }],
    trackProcesses: [{ name: 'p', process: 'nginx', processArgs: ['-g'], paramMatch: 'initial', fullCommand: false, quorum: 1, delayMs: 100 }],
  } as unknown as Model;
  const s = trackerSpecsFromModel(model);
  t.same(s.scripts.map((x) => x.name), ['used']);
  t.same(s.scripts[0], { name: 'used', script: ['/bin/true'], intervalMs: 1000, timeoutMs: 500, rise: 2, fall: 3, initFail: true, user: 'u' });
  t.same(s.files, [{ name: 'f', path: '/tmp/f', initFile: { value: 1, overwrite: false } }]);
  t.same(s.processes, [{ name: 'p', process: ['nginx', '-g'], fullCommand: false, quorum: 1, paramMatch: 'initial', delayMs: 100 }]);
});

t.test('reconfigure keeps unchanged trackers and their state, restarts changed ones', async (t) => {
  const { clock, runner, log, changes, tr } = setup({ readProc: () => [] });
  const a = { name: 'a', script: '/a', intervalMs: 1000 };
  const b = { name: 'b', script: '/b', intervalMs: 1000 };
  tr.addScript(a);
  tr.addScript(b);
  tr.start();
  for (const r of runner.runs) r.finish({ kind: 'exited', status: 0 });
  await flush();
  t.same([tr.scriptState('a'), tr.scriptState('b')], ['up', 'up']);
  const res = tr.reconfigure({ scripts: [a, { ...b, intervalMs: 500 }, { name: 'c', script: '/c', intervalMs: 1000 }], files: [], processes: [{ name: 'p', process: ['x'] }] });
  t.same(res, { kept: ['a'], restarted: ['b'], added: ['c', 'p'], removed: [] });
  t.equal(tr.scriptState('a'), 'up', 'kept its state');
  t.equal(tr.scriptState('b'), 'init', 'restarted from scratch');
  t.ok(log.has('VRRP_Script(a) considered successful on reload'));
  t.equal(tr.processState('p'), 'down');
  const before = changes.length;
  const res2 = tr.reconfigure({ scripts: [a], files: [], processes: [] });
  t.same(res2.removed, ['b', 'c', 'p']);
  // late results of removed scripts are ignored
  for (const r of runner.runs) r.finish({ kind: 'exited', status: 1 });
  await flush();
  t.equal(changes.filter((c, i) => i >= before && c[1] !== 'a').length, 0);
  clock.advance(1000);
  t.equal(runner.runs.filter((r) => r.argv[0] === '/b').length, 2, 'b no longer scheduled after removal');
  tr.stop();
});

t.test('track_file: the truncation of a rewrite is not reported as a transient 0; a file left empty reads 0 at the re-read', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-tf-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'v');
  fs.writeFileSync(file, '5\n');
  const { clock, changes, tr } = setup({ filePollMs: 1000 });
  tr.addFile({ name: 'tf', path: file });
  tr.start();
  t.teardown(() => tr.stop());
  t.same(changes, [['file', 'tf', 5]], 'value read at start');
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 20; i++) await new Promise((r) => setTimeout(r, 10));
  };
  // what writeFile / `echo 7 > f` do: truncate (one inotify event), then write (another)
  const fd = fs.openSync(file, 'w');
  await settle();
  fs.writeSync(fd, '7\n');
  fs.closeSync(fd);
  await settle();
  t.same(changes.slice(1), [['file', 'tf', 7]], 'straight from 5 to 7, no 0 in between');
  fs.truncateSync(file, 0);
  await settle();
  t.same(changes.slice(2), [], 'an empty file is not read on its watch event');
  clock.advance(1000);
  t.same(changes.slice(2), [['file', 'tf', 0]], 'a file left empty reads 0 at the periodic re-read');
});
