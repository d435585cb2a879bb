/**
 * Script security findings (issue 14), each against the real runner:
 *  - enable_script_security bypass: a vrrp_script reached through a symlink in a directory
 *    owned by nobody; nobody re-points the symlink after the check. The daemon must never run
 *    the new target as root (the path as written is checked, and the checked file is executed).
 *  - one policy for every script: a MISC_CHECK whose user is unknown, with
 *    enable_script_security, must not run (as root or at all), and says so in keepalived's words.
 *  - credentials, fds and environment of a child: run from a daemon-like process that has
 *    supplementary groups (4, 24), an fd without close-on-exec and a secret in its environment.
 *  - notify FIFO: a 0666 FIFO pre-made by nobody (or a symlink) is refused.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { waitFor } from '../support/netns';
import { SystemClock } from '../../src/runtime/clock';
import { Trackers } from '../../src/runtime/trackers';
import { NativeScriptRunner } from '../../src/notify/native-runner';
import { MemoryLogger } from '../../src/observe/log';
import { buildCheckers } from '../../src/check/build';
import { loadConfigText } from '../../src/config/load';
import { NotifyFifo } from '../../src/notify/fifo';
import * as lvsService from '../../src/runtime/lvs-service';
import { lookupUser } from '../../src/notify/hooks';

const skip = process.getuid?.() !== 0 && 'needs root';
const NOBODY = 65534;

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-secs-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function script(p: string, body: string, owner = 0): string {
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, 0o755);
  fs.chownSync(p, owner, owner);
  return p;
}

function read(p: string): string {
  try {
    return fs.readFileSync(p, 'utf8');
  } catch {
    return '';
  }
}

t.test('script security: a symlink re-pointed after the check never runs its new target as root', { skip }, async (t) => {
  const dir = tmpdir(t);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o777);
  const log = path.join(out, 'log');
  const goodDir = path.join(dir, 'good');
  fs.mkdirSync(goodDir, { mode: 0o755 });
  const good = script(path.join(goodDir, 'good.sh'), `echo "good $(id -u)" >> ${log}`);
  // nobody's directory: nobody can replace anything in it at any time
  const evil = path.join(dir, 'evil');
  fs.mkdirSync(evil, { mode: 0o755 });
  fs.chownSync(evil, NOBODY, NOBODY);
  const bad = script(path.join(evil, 'bad.sh'), `echo "bad $(id -u)" >> ${log}`, NOBODY);
  const link = path.join(evil, 'run.sh');
  fs.symlinkSync(good, link);

  const mem = new MemoryLogger();
  const tr = new Trackers({
    clock: new SystemClock(),
    log: mem,
    onChange: () => undefined,
    runner: new NativeScriptRunner(),
    scriptSecurity: true,
    scriptUser: { user: 'root' },
  });
  tr.addScript({ name: 'chk', script: link, intervalMs: 100, timeoutMs: 1000 });
  tr.start();
  t.teardown(() => tr.stop());
  await waitFor(() => false, 600); // checked and (old code) run a few times through the symlink
  // nobody re-points the symlink at its own script
  fs.unlinkSync(link);
  fs.symlinkSync(bad, link);
  await waitFor(() => false, 1200);
  tr.stop();
  t.notMatch(read(log), /bad 0/, 'the re-pointed target never ran as root');
  t.ok(mem.has(`Unsafe permissions found for script '${link}' - disabling.`), 'refused: its directory belongs to nobody');
  t.ok(mem.has(/evil is owned by uid 65534/), 'the reason names the directory');
});

t.test('one script policy: MISC_CHECK with an unknown user under enable_script_security never runs', { skip }, async (t) => {
  const dir = tmpdir(t);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o777);
  const marker = path.join(out, 'ran');
  const chk = script(path.join(dir, 'misc.sh'), `echo "$(id -u)" >> ${marker}; exit 0`);
  const conf = `global_defs {
  enable_script_security
}
virtual_server 192.0.2.1 80 {
  delay_loop 1
  protocol TCP
  real_server 192.0.2.9 80 {
    MISC_CHECK {
      misc_path "${chk} arg"
      user no-such-user-here
    }
  }
}
`;
  const loaded = loadConfigText(conf, 'k.conf', { configId: 'k', readFile: () => '', glob: () => [] });
  const model = loaded.model;
  if (!model) throw new Error(`config: ${JSON.stringify(loaded.diagnostics)}`);
  const mem = new MemoryLogger();
  const policyOf = (lvsService as unknown as Record<string, unknown>).scriptPolicyOf as ((m: unknown, d: unknown) => unknown) | undefined;
  const opts = { hostname: 'lb', runner: new NativeScriptRunner(), resolveUser: lookupUser, ...(policyOf ? { scriptPolicy: policyOf(model, { log: mem }) } : {}) };
  const { servers } = buildCheckers(model, opts as Parameters<typeof buildCheckers>[1]);
  const checkers = servers.flatMap((s) => s.checkers);
  const ac = new AbortController();
  for (const c of checkers) await c.probe(ac.signal);
  t.equal(read(marker), '', 'the script never ran (old code: ran as uid 0)');
  t.equal(checkers.length, 0, 'the checker is removed, as keepalived does');
  t.ok(mem.has("Script user 'no-such-user-here' does not exist"));
  t.ok(mem.has(`Failed to set uid/gid for misc checker script '${chk}' 'arg' - removing`), "keepalived's words");
});

/** Runs in a child "daemon": supplementary groups 4 and 24, fd 3 inherited without close-on-exec, a secret in env. */
const CHILD = (dist: string, probe: string, out: string): string => `
const { HookRunner } = require(${JSON.stringify(`${dist}/src/notify/hooks.js`)});
const { Trackers } = require(${JSON.stringify(`${dist}/src/runtime/trackers.js`)});
const { SystemClock } = require(${JSON.stringify(`${dist}/src/runtime/clock.js`)});
const { NativeScriptRunner } = require(${JSON.stringify(`${dist}/src/notify/native-runner.js`)});
const { MemoryLogger } = require(${JSON.stringify(`${dist}/src/observe/log.js`)});
const runner = new NativeScriptRunner();
const log = new MemoryLogger();
(async () => {
  const hooks = new HookRunner({ log, runner });
  await hooks.enqueue('x', [
    { argv: [${JSON.stringify(probe)}, 'hook-nobody'], keyword: 'notify', user: 'nobody' },
    { argv: [${JSON.stringify(probe)}, 'hook-nobody-root'], keyword: 'notify', user: 'nobody', group: 'root' },
    { argv: [${JSON.stringify(probe)}, 'hook-4242'], keyword: 'notify', user: '4242' },
  ]);
  const tr = new Trackers({ clock: new SystemClock(), log, onChange: () => {}, runner });
  tr.addScript({ name: 'a', script: [${JSON.stringify(probe)}, 'check-nobody'], intervalMs: 60000, user: 'nobody' });
  tr.addScript({ name: 'b', script: [${JSON.stringify(probe)}, 'check-4242'], intervalMs: 60000, user: '4242' });
  tr.start();
  await new Promise((r) => setTimeout(r, 1500));
  tr.stop();
  console.log(JSON.stringify(log.lines.map((l) => l.text)));
})();
`;

t.test('spawn credentials: gid and groups always set, unknown uid refused, fds >= 3 closed, minimal env', { skip }, async (t) => {
  const dir = tmpdir(t);
  const out = path.join(dir, 'out');
  fs.mkdirSync(out);
  fs.chmodSync(out, 0o777);
  const leak = path.join(dir, 'leaked-fd-target');
  fs.writeFileSync(leak, '');
  // python3 keeps no fd of its own open once running: what it lists is what exec gave it
  const probe = path.join(dir, 'probe.py');
  fs.writeFileSync(
    probe,
    `#!/usr/bin/python3
import os, sys
fds = []
for f in os.listdir('/proc/self/fd'):
    try:
        fds.append('fd %s %s' % (f, os.readlink('/proc/self/fd/' + f)))
    except OSError:
        pass  # the directory listing's own fd, closed by now
status = [l.strip() for l in open('/proc/self/status') if l.split(':')[0] in ('Uid', 'Gid', 'Groups')]
env = ['%s=%s' % kv for kv in sorted(os.environ.items())]
tmp = '${out}/' + sys.argv[1] + '.new'
with open(tmp, 'w') as o:
    o.write('\\n'.join(status + fds + env) + '\\n')
os.rename(tmp, '${out}/' + sys.argv[1])
`,
  );
  fs.chmodSync(probe, 0o755);
  const dist = path.resolve(__dirname, '..', '..');
  const leakFd = fs.openSync(leak, 'r');
  t.teardown(() => fs.closeSync(leakFd));
  const cp = spawn('setpriv', ['--groups', '4,24', process.execPath, '-e', CHILD(dist, probe, out)], {
    stdio: ['ignore', 'pipe', 'pipe', leakFd], // fd 3 in the child: no close-on-exec
    env: { ...process.env, TSK_SECRET_TOKEN: 'hunter2' },
  });
  let stdout = '';
  cp.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  cp.stderr?.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = await Promise.race([new Promise<number | null>((r) => cp.on('exit', r)), waitFor(() => false, 15_000).then(() => 'timeout')]);
  if (code === 'timeout') cp.kill('SIGKILL');
  t.equal(code, 0, `child ran: ${stdout}`);
  const status = (tag: string): Record<string, string> => {
    const o: Record<string, string> = {};
    for (const m of read(path.join(out, tag)).matchAll(/^(Uid|Gid|Groups):\s*(.*)$/gm)) o[m[1] as string] = (m[2] as string).trim().replace(/\s+/g, ' ');
    return o;
  };
  for (const tag of ['hook-nobody', 'check-nobody']) {
    t.same(status(tag), { Uid: '65534 65534 65534 65534', Gid: '65534 65534 65534 65534', Groups: '65534' }, `${tag}: uid, gid and groups of nobody only`);
  }
  t.same(status('hook-nobody-root'), { Uid: '65534 65534 65534 65534', Gid: '0 0 0 0', Groups: '0' }, 'gid equal to ours: groups still replaced (not 4, 24)');
  t.notOk(fs.existsSync(path.join(out, 'hook-4242')), 'numeric uid without a passwd entry: the hook is not run');
  t.notOk(fs.existsSync(path.join(out, 'check-4242')), 'numeric uid without a passwd entry: the script is not run');
  t.match(stdout, /Script user '4242' does not exist/);
  for (const tag of ['hook-nobody', 'check-nobody', 'hook-nobody-root']) {
    const text = read(path.join(out, tag));
    const fds = [...text.matchAll(/^fd (\d+) (.*)$/gm)].map((m) => ({ fd: Number(m[1]), target: m[2] ?? '' }));
    t.ok(fds.length >= 3, `${tag}: fds listed`);
    t.same(fds.filter((f) => f.target === leak), [], `${tag}: the parent's inherited fd is not visible`);
    t.same(fds.filter((f) => f.fd >= 3), [], `${tag}: nothing above stderr`);
    t.notMatch(text, /TSK_SECRET_TOKEN/, `${tag}: the daemon's environment does not leak`);
    t.match(text, /^PATH=\/usr\/local\/sbin:\/usr\/local\/bin:\/usr\/sbin:\/usr\/bin:\/sbin:\/bin$/m, `${tag}: the documented PATH`);
  }
});

t.test('notify FIFO: a FIFO pre-made by nobody (0666) or a symlink is refused', { skip }, async (t) => {
  const dir = tmpdir(t);
  fs.chmodSync(dir, 0o1777); // like /tmp
  const p = path.join(dir, 'notify.fifo');
  const mk = await new Promise<number | null>((r) => spawn('mkfifo', ['-m', '0666', p]).on('exit', r));
  t.equal(mk, 0);
  fs.chownSync(p, NOBODY, NOBODY);
  fs.chmodSync(p, 0o666);
  const log = new MemoryLogger();
  const f = new NotifyFifo(p, { log });
  t.equal(f.open(), false, "nobody's world-writable FIFO is not adopted");
  t.equal(f.write('INSTANCE "VI_1" MASTER 100\n'), false);
  t.ok(log.has(/Unable to open notify fifo .*notify\.fifo: .*(owned by uid 65534|writable by others)/), log.lines.map((l) => l.text).join('\n'));
  f.close();

  // root-owned but world-writable: anyone could inject lines for the fifo script
  const q = path.join(dir, 'open.fifo');
  await new Promise((r) => spawn('mkfifo', ['-m', '0666', q]).on('exit', r));
  fs.chmodSync(q, 0o666);
  const g = new NotifyFifo(q, { log });
  t.equal(g.open(), false, 'a world-writable FIFO is refused');
  g.close();

  // a symlink planted at the path, pointing at a good FIFO
  const good = path.join(dir, 'good.fifo');
  await new Promise((r) => spawn('mkfifo', ['-m', '0600', good]).on('exit', r));
  const link = path.join(dir, 'link.fifo');
  fs.symlinkSync(good, link);
  const h = new NotifyFifo(link, { log });
  t.equal(h.open(), false, 'a symlink is not followed');
  h.close();
  const ok = new NotifyFifo(good, { log });
  t.equal(ok.open(), true, 'our own 0600 FIFO is used');
  ok.close();
});
