import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HOOK_BACKLOG_MAX, HookRunner, lookupUser, scriptSecurityProblem } from '../../src/notify/hooks';
import { MemoryLogger } from '../../src/observe/log';
import type { RunOptions, ScriptResult, ScriptRunner } from '../../src/notify/exec';

/** Runner that records start/end and finishes each run after a per-script virtual delay. */
class SlowRunner implements ScriptRunner {
  events: string[] = [];
  opts: Array<RunOptions | undefined> = [];
  constructor(private readonly delays: Record<string, number>) {}
  async run(argv: readonly string[], opts?: RunOptions): Promise<ScriptResult> {
    const id = argv.join(' ');
    this.opts.push(opts);
    this.events.push(`start ${id}`);
    await new Promise((r) => setTimeout(r, this.delays[argv[0] ?? ''] ?? 0));
    this.events.push(`end ${id}`);
    return { outcome: { kind: 'exited', status: argv[0] === '/fail' ? 3 : 0 }, stdout: 'hello\n', stderr: '', durationMs: 1 };
  }
}

t.test('per-key queue: hooks of one instance never overtake each other', async (t) => {
  const runner = new SlowRunner({ '/slow': 40, '/fast': 0 });
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log, runner });
  void hooks.enqueue('VI_1', [{ argv: ['/slow', 'MASTER'], keyword: 'notify_master' }, { argv: ['/fast', 'MASTER'], keyword: 'notify' }]);
  void hooks.enqueue('VI_1', [{ argv: ['/fast', 'BACKUP'], keyword: 'notify' }]);
  void hooks.enqueue('VI_2', [{ argv: ['/fast', 'OTHER'], keyword: 'notify' }]);
  await hooks.idle();
  const vi1 = runner.events.filter((e) => !e.includes('OTHER'));
  t.same(vi1, ['start /slow MASTER', 'end /slow MASTER', 'start /fast MASTER', 'end /fast MASTER', 'start /fast BACKUP', 'end /fast BACKUP']);
  t.ok(runner.events.indexOf('end /fast OTHER') < runner.events.indexOf('end /slow MASTER'), 'another instance is not blocked');
  t.ok(log.has('notify_master script `/slow MASTER` stdout: hello'));
});

t.test(`an instance flapping faster than its hooks run: at most ${HOOK_BACKLOG_MAX} transitions wait, the oldest are dropped and logged`, async (t) => {
  const runner = new SlowRunner({ '/slow': 30 });
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log, runner });
  // 100 transitions while each hook takes 30 ms: the first hook starts, the other 99 come before it ends
  const states = Array.from({ length: 100 }, (_, i) => (i % 2 ? 'BACKUP' : 'MASTER') + i);
  const settled: string[] = [];
  const transition = (st: string): void => void hooks.enqueue('INSTANCE:VI_1', [{ argv: ['/slow', st], keyword: 'notify' }]).then(() => settled.push(st));
  transition(states[0] as string);
  await new Promise((r) => setImmediate(r)); // its hook has started
  for (const st of states.slice(1)) transition(st);
  void hooks.enqueue('INSTANCE:VI_2', [{ argv: ['/slow', 'OTHER'], keyword: 'notify' }]);
  await hooks.idle();
  const ran = runner.events.filter((e) => e.startsWith('start /slow') && !e.includes('OTHER')).map((e) => e.slice('start /slow '.length));
  t.same(ran, [states[0], ...states.slice(-HOOK_BACKLOG_MAX)], 'the running one, then the newest ones in order: the latest state always runs');
  t.equal(settled.length, states.length, "every enqueue settles, dropped ones too (no caller waits forever)");
  t.ok(runner.events.includes('end /slow OTHER'), 'another instance is not affected');
  const dropped = states.length - 1 - HOOK_BACKLOG_MAX;
  const warns = log.lines.filter((l) => /transitions wait for their notify hooks|ran no notify hooks/.test(l.text));
  t.equal(warns.length, 2, 'two log lines for the whole flood, not one per dropped transition');
  t.ok(log.has(`(VI_1): more than ${HOOK_BACKLOG_MAX} transitions wait for their notify hooks; dropping the oldest waiting (1 so far): \`/slow ${states[1]}\``), 'the first drop is logged at once');
  t.ok(log.has(`(VI_1): ${dropped} transition(s) ran no notify hooks (more than ${HOOK_BACKLOG_MAX} waiting: changing state faster than its hooks run)`), 'the total when the queue empties');

  // once drained, a new transition runs at once and nothing is dropped
  runner.events.length = 0;
  await hooks.enqueue('INSTANCE:VI_1', [{ argv: ['/slow', 'MASTER'], keyword: 'notify' }]);
  t.same(runner.events, ['start /slow MASTER', 'end /slow MASTER']);
});

t.test('exit status logged', async (t) => {
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log, runner: new SlowRunner({}) });
  await hooks.enqueue('x', [{ argv: ['/fail'], keyword: 'notify_fault' }]);
  t.ok(log.has('notify_fault script `/fail` exited with status 3'));
});

t.test('script_user resolution', async (t) => {
  const lookup = (u: string, g?: string) => (u === 'ks' ? { uid: 500, gid: g === 'grp' ? 77 : 500 } : undefined);
  const runner = new SlowRunner({});
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log, runner, lookup, scriptUser: { user: 'ks', group: 'grp' } });
  await hooks.enqueue('x', [{ argv: ['/a'], keyword: 'notify' }, { argv: ['/b'], keyword: 'notify', user: 'ks' }, { argv: ['/c'], keyword: 'notify', user: 'nope' }]);
  t.same(runner.opts.map((o) => [o?.uid, o?.gid]), [[500, 77], [500, 500]]);
  t.ok(log.has("Script user 'nope' does not exist"));
  t.ok(log.has('Invalid user/group for notify script /c - ignoring'), "keepalived's words");
});

t.test('lookupUser reads passwd/group files', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-users-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const files = { passwd: path.join(dir, 'passwd'), group: path.join(dir, 'group') };
  fs.writeFileSync(files.passwd, 'root:x:0:0::/root:/bin/sh\nkeepalived_script:x:998:997::/:/usr/sbin/nologin\n');
  fs.writeFileSync(files.group, 'root:x:0:\nwww:x:33:\n');
  t.same(lookupUser('keepalived_script', undefined, files), { uid: 998, gid: 997 });
  t.same(lookupUser('keepalived_script', 'www', files), { uid: 998, gid: 33 });
  t.equal(lookupUser('1234', '55', files), undefined, 'a number that is no user is unknown (never uid 1234 with gid 0)');
  t.same(lookupUser('998', 'www', files), { uid: 998, gid: 33 }, 'a numeric uid/gid of existing entries');
  t.equal(lookupUser('ghost', undefined, files), undefined);
  t.equal(lookupUser('root', 'nogroup-here', files), undefined);
});

t.test('script security: writable file or parent directory is refused', async (t) => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-sec-'));
  t.teardown(() => fs.rmSync(base, { recursive: true, force: true }));
  fs.chmodSync(base, 0o755);
  const safe = path.join(base, 'safe.sh');
  fs.writeFileSync(safe, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  fs.chmodSync(safe, 0o755);
  t.equal(scriptSecurityProblem(safe), undefined, 'root-owned 0755 under /tmp (sticky) is safe');
  const worldFile = path.join(base, 'world.sh');
  fs.writeFileSync(worldFile, '#!/bin/sh\n');
  fs.chmodSync(worldFile, 0o777);
  t.match(scriptSecurityProblem(worldFile), /world\.sh is writable by others/);
  const openDir = path.join(base, 'open');
  fs.mkdirSync(openDir);
  fs.chmodSync(openDir, 0o777);
  const inOpen = path.join(openDir, 'x.sh');
  fs.writeFileSync(inOpen, '#!/bin/sh\n');
  fs.chmodSync(inOpen, 0o755);
  t.match(scriptSecurityProblem(inOpen), /open is writable by others/);
  const owned = path.join(base, 'owned.sh');
  fs.writeFileSync(owned, '#!/bin/sh\n');
  fs.chmodSync(owned, 0o755);
  fs.chownSync(owned, 4321, 0);
  t.match(scriptSecurityProblem(owned), /owned by uid 4321/);
  t.equal(scriptSecurityProblem(owned, 4321, 0), undefined, 'fine when the script runs as its owner');
  t.match(scriptSecurityProblem(path.join(base, 'missing.sh')), /not found/);
  t.equal(scriptSecurityProblem('true'), undefined, 'PATH search: /usr/bin/true');

  const log = new MemoryLogger();
  const runner = new SlowRunner({});
  const hooks = new HookRunner({ log, runner, scriptSecurity: true, scriptUser: { user: 'root' } });
  await hooks.enqueue('x', [{ argv: [worldFile, 'MASTER'], keyword: 'notify_master' }, { argv: [safe], keyword: 'notify' }]);
  t.ok(log.has(`Unsafe permissions found for script '${worldFile}' - disabling.`));
  t.same(runner.events, [`start ${safe}`, `end ${safe}`], 'unsafe not run, safe one run');
});
