/**
 * The addon's vfork spawn + pidfd exit watch (native/src/spawn.c) through NativeScriptRunner:
 * exit statuses, signals, a timeout that kills the whole process group, uid/gid drop, missing
 * commands, hundreds of concurrent children all reaped, and child_process.spawn working
 * alongside (libuv must not reap our children, nor we its). Also prints the parent CPU cost per
 * spawn against ProcessScriptRunner, which is the reason this exists.
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessScriptRunner, type ScriptResult } from '../../src/notify/exec';
import { NativeScriptRunner } from '../../src/notify/native-runner';
import { isNativeError, loadNative } from '../../src/net/native';
import { isRoot, waitFor } from '../support/netns';

const D = { discardOutput: true } as const;
const dir = mkdtempSync(join(tmpdir(), 'tsk-nspawn-'));
chmodSync(dir, 0o777); // the uid test writes here as nobody
t.teardown(() => rmSync(dir, { recursive: true, force: true }));

/** Children of this process still in /proc (zombies included): must be none after a run. */
function myChildren(): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push(Number(d));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Alive = present and not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const runner = new NativeScriptRunner({ fallback: { run: () => Promise.reject(new Error('fallback must not be used')) } });

t.test('the addon is available and used', async (t) => {
  t.equal(runner.native, true);
});

t.test('exit statuses', async (t) => {
  t.same((await runner.run(['true'], D)).outcome, { kind: 'exited', status: 0 });
  t.same((await runner.run(['false'], D)).outcome, { kind: 'exited', status: 1 });
  t.same((await runner.run(['sh', '-c', 'exit 3'], D)).outcome, { kind: 'exited', status: 3 });
  t.same((await runner.run(['/bin/sh', '-c', 'exit 255'], D)).outcome, { kind: 'exited', status: 255 });
  // argv reaches the program intact (spaces, empty strings, unicode)
  const f = join(dir, 'args');
  const r = await runner.run(['sh', '-c', 'printf "%s|" "$@" > "$0"', f, 'a b', '', 'ü'], D);
  t.same(r.outcome, { kind: 'exited', status: 0 });
  t.equal(readFileSync(f, 'utf8'), 'a b||ü|');
});

t.test('a script without "#!" is not run (as keepalived 2.2.7, observed) and says why (keepalived is silent)', async (t) => {
  const f = join(dir, 'noshebang.sh');
  const out = join(dir, 'noshebang.out');
  writeFileSync(f, `printf "%s|" "$@" > ${out}\n`, { mode: 0o755 });
  const r = await runner.run([f, 'INSTANCE', 'VI_1', 'MASTER'], { ...D, execPath: f });
  t.equal(r.outcome.kind, 'spawn_error', 'a spawn error, not a silent success');
  t.match(r.outcome.kind === 'spawn_error' ? r.outcome.message : '', /ENOEXEC|Exec format error/, 'naming the exec format error');
  t.throws(() => readFileSync(out), 'the script did not run');
});

t.test('stdio is /dev/null and the child leads its own session', async (t) => {
  const f = join(dir, 'stdio');
  const r = await runner.run(['sh', '-c', 'l=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2); s=$(ps -o sid= -o pgid= -p $$); printf "%s\\n%s\\n%s\\n" "$l" "$s" $$ > "$0"', f], D);
  t.same(r.outcome, { kind: 'exited', status: 0 });
  const lines = readFileSync(f, 'utf8').trim().split('\n');
  t.same(lines.slice(0, 3), ['/dev/null', '/dev/null', '/dev/null']);
  const pid = lines[4]?.trim();
  t.same(lines[3]?.trim().split(/\s+/), [pid, pid], 'sid = pgid = pid');
});

t.test('signals are reported by name; default dispositions restored', async (t) => {
  t.same((await runner.run(['sh', '-c', 'kill -TERM $$'], D)).outcome, { kind: 'signalled', signal: 'SIGTERM' });
  t.same((await runner.run(['sh', '-c', 'kill -KILL $$'], D)).outcome, { kind: 'signalled', signal: 'SIGKILL' });
  // Node ignores SIGPIPE; a script must not inherit that (exec keeps SIG_IGN). grep reads its
  // own status (exec'd, not forked: a waiting dash blocks signals itself).
  const f = join(dir, 'sigign');
  await runner.run(['sh', '-c', 'exec grep SigIgn /proc/self/status > "$0"', f], D);
  t.match(readFileSync(f, 'utf8'), /SigIgn:\s+0+\s*$/, 'no ignored signals in the child');
  const m = await runner.run(['sh', '-c', 'exec grep SigBlk /proc/self/status > "$0"', f], D);
  t.same(m.outcome, { kind: 'exited', status: 0 });
  t.match(readFileSync(f, 'utf8'), /SigBlk:\s+0+\s*$/, 'no blocked signals in the child');
});

t.test('timeout kills the script and its children', async (t) => {
  const f = join(dir, 'pids');
  const started = Date.now();
  const r = await runner.run(['sh', '-c', 'echo $$ > "$0"; sleep 30 & echo $! >> "$0"; sleep 30', f], { ...D, timeoutMs: 400 });
  t.same(r.outcome, { kind: 'timed_out' });
  t.ok(Date.now() - started < 5000, 'returned soon after the timeout');
  const pids = readFileSync(f, 'utf8').trim().split('\n').map(Number);
  t.equal(pids.length, 2);
  const gone = await waitFor(() => (pids.every((p) => !alive(p)) ? true : undefined), 3000);
  t.ok(gone, `script and background child are dead (${pids.join(',')})`);
});

t.test('uid/gid: runs as nobody', { skip: !isRoot() && 'needs root' }, async (t) => {
  const f = join(dir, 'ids');
  const script = join(dir, 'ids.sh');
  writeFileSync(script, `#!/bin/sh\n{ id -u; id -g; id -G; } > ${f}\n`, { mode: 0o755 });
  const r = await runner.run([script], { ...D, uid: 65534, gid: 65534 });
  t.same(r.outcome, { kind: 'exited', status: 0 });
  t.same(readFileSync(f, 'utf8').trim().split('\n'), ['65534', '65534', '65534'], 'uid, gid and supplementary groups dropped');
  // Without ids it stays root.
  await runner.run([script], D);
  t.equal(readFileSync(f, 'utf8').split('\n')[0], '0');
  // The parent (this test process) is untouched by the child's setuid.
  t.equal(process.getuid?.(), 0);
});

t.test('missing or unusable commands are spawn errors', async (t) => {
  const bare = await runner.run(['tsk-no-such-command-xyz'], D);
  t.equal(bare.outcome.kind, 'spawn_error');
  t.match(bare.outcome, { message: /tsk-no-such-command-xyz.*ENOENT/ });
  const path = await runner.run([join(dir, 'missing.sh')], D);
  t.match(path.outcome, { kind: 'spawn_error', message: /missing\.sh: no such file/ });
  const noexec = join(dir, 'noexec.sh');
  writeFileSync(noexec, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  t.match((await runner.run([noexec], D)).outcome, { kind: 'spawn_error', message: /not executable/ });
  t.match((await runner.run([], D)).outcome, { kind: 'spawn_error', message: /empty command/ });
  t.same(myChildren(), [], 'failed spawns leave no zombie');
});

t.test('addon entry: argument errors and errno-style errors', async (t) => {
  const a = loadNative();
  t.throws(() => a.spawnProcess([], {}), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => a.spawnProcess(['true', 'a\0b'], {}), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => a.spawnProcess(['true'], { uid: -2 }), { code: 'ERR_INVALID_ARG_VALUE' });
  let err: unknown;
  try {
    a.spawnProcess(['tsk-no-such-command-xyz'], {});
  } catch (e) {
    err = e;
  }
  t.ok(isNativeError(err), 'errno error');
  t.match(err, { code: 'ENOENT', errno: -2, syscall: 'execvp' });
  // The pool-thread variant reports the same error through its callback, and rejects bad input at once.
  const asyncErr = await new Promise<unknown>((resolve) => a.spawnProcessAsync(['tsk-no-such-command-xyz'], {}, (e) => resolve(e)));
  t.match(asyncErr, { code: 'ENOENT', syscall: 'execvp' });
  t.throws(() => a.spawnProcessAsync([], {}, () => undefined), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => a.spawnProcessAsync(['true'], {}, 5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  // Sync spawn + watchExit round trip.
  const s = a.spawnProcess(['sh', '-c', 'exit 5'], {});
  t.ok(s.pid > 0 && s.pidfd > 2, 'pid and pidfd');
  const ex = await new Promise((resolve) => a.watchExit(s.pidfd, (e, r) => resolve([e, r])));
  t.same(ex, [null, { status: 5 }]);
});

t.test('300 concurrent runs are all reaped with the right status', async (t) => {
  const runs: Promise<ScriptResult>[] = [];
  for (let i = 0; i < 300; i++) runs.push(runner.run(['sh', '-c', `sleep 0.$((${i} % 5)); exit ${i % 7}`], { ...D, timeoutMs: 20000 }));
  const results = await Promise.all(runs);
  const wrong = results.map((r, i) => ({ i, o: r.outcome })).filter(({ i, o }) => !(o.kind === 'exited' && o.status === i % 7));
  t.same(wrong, [], 'every status matches its run');
  t.same(myChildren(), [], 'no zombies or leftovers');
});

t.test('child_process.spawn and ProcessScriptRunner work alongside', async (t) => {
  const nodeChild = (code: number): Promise<number | null> =>
    new Promise((resolve) => {
      const c = spawn('sh', ['-c', `sleep 0.2; exit ${code}`], { stdio: 'ignore' });
      c.on('exit', (status) => resolve(status));
    });
  const proc = new ProcessScriptRunner();
  const natives: Promise<ScriptResult>[] = [];
  const nodes: Promise<number | null>[] = [];
  const procs: Promise<ScriptResult>[] = [];
  for (let i = 0; i < 50; i++) {
    natives.push(runner.run(['sh', '-c', `sleep 0.1; exit ${i % 5}`], D));
    nodes.push(nodeChild((i % 5) + 10));
    if (i % 5 === 0) procs.push(proc.run(['sh', '-c', 'echo out; exit 4']));
  }
  const [n, c, p] = await Promise.all([Promise.all(natives), Promise.all(nodes), Promise.all(procs)]);
  t.same(n.map((r) => r.outcome), n.map((_, i) => ({ kind: 'exited', status: i % 5 })), 'native statuses');
  t.same(c, c.map((_, i) => (i % 5) + 10), 'child_process exit codes (libuv still reaps its own)');
  t.same(p.map((r) => [r.outcome, r.stdout]), p.map(() => [{ kind: 'exited', status: 4 }, 'out\n']), 'ProcessScriptRunner with output');
  t.same(myChildren(), [], 'no leftovers');
});

t.test('output wanted: captured through pipes by the native runner; a given env is the whole env', async (t) => {
  const r = await runner.run(['sh', '-c', 'echo hi; echo oops >&2; echo "A=$A HOME=$HOME"']);
  t.same(r.outcome, { kind: 'exited', status: 0 });
  t.equal(r.stdout, 'hi\nA= HOME=\n', 'stdout; the default environment has no HOME');
  t.equal(r.stderr, 'oops\n');
  const e = await runner.run(['sh', '-c', 'echo "A=$A"'], { env: { A: '1', PATH: '/usr/bin:/bin' } });
  t.equal(e.stdout, 'A=1\n');
  const none = new NativeScriptRunner({ addon: null, fallback: { run: () => Promise.resolve({ outcome: { kind: 'exited', status: 9 }, stdout: '', stderr: '', durationMs: 0 }) } });
  t.equal(none.native, false);
  t.same((await none.run(['true'], D)).outcome, { kind: 'exited', status: 9 }, 'no addon → fallback');
  t.same(myChildren(), [], 'no zombie');
});

t.test('parent CPU per spawn: native vs ProcessScriptRunner', async (t) => {
  const N = 300;
  const measure = async (r: { run: NativeScriptRunner['run'] }): Promise<number> => {
    const before = process.cpuUsage();
    for (let b = 0; b < N; b += 30) {
      const batch: Promise<ScriptResult>[] = [];
      for (let i = 0; i < 30; i++) batch.push(r.run(['true'], D));
      const res = await Promise.all(batch);
      if (res.some((x) => x.outcome.kind !== 'exited')) throw new Error('run failed');
    }
    const u = process.cpuUsage(before);
    return (u.user + u.system) / N; // µs of this process's CPU per spawn (children not counted)
  };
  await measure(runner); // warm-up
  const nat = await measure(runner);
  const proc = await measure(new ProcessScriptRunner());
  t.comment(`parent CPU per spawn: native ${nat.toFixed(0)} µs, ProcessScriptRunner ${proc.toFixed(0)} µs (×${(proc / nat).toFixed(1)})`);
  t.ok(nat < proc, 'native spawn is cheaper than child_process');
  t.same(myChildren(), []);
});
