/**
 * systemd Type=notify, end to end: a unix datagram receiver stands in for systemd (python3,
 * SO_PASSCRED, so every message carries the sender's pid as systemd sees it) and its path is the
 * daemon's $NOTIFY_SOCKET. The daemon runs in a namespace lab: READY=1 after start-up, RELOADING=1
 * (MONOTONIC_USEC) then READY=1 on SIGHUP, STOPPING=1 on SIGTERM, all from the main pid. Also the
 * abstract-namespace form ('@name') through the addon, and `systemd-analyze verify` of the unit.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { Lab, OutputWatcher, isRoot, waitFor } from '../support/netns';
import { MAIN, NODE_FLAGS, logsOnFailure, tmpDir, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { nativeNotifyPort } from '../../src/runtime/sd-notify';

const ROOT = path.resolve(__dirname, '../../..');
const PYTHON = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** One JSON line per datagram: {pid, msg}; "listening" once bound. */
const RECEIVER = `
import json, os, socket, struct, sys
addr = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind('\\0' + addr[1:] if addr.startswith('@') else addr)
print(json.dumps({'listening': True}), flush=True)
while True:
    data, anc, flags, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = -1
    for level, kind, cdata in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack('iII', cdata[:12])[0]
    print(json.dumps({'pid': pid, 'msg': data.decode()}), flush=True)
`;

interface Note {
  pid: number;
  msg: string;
}

class Receiver {
  readonly notes: Note[] = [];
  readonly cp: ChildProcess;
  private listening = false;
  constructor(address: string) {
    this.cp = spawn(PYTHON, ['-c', RECEIVER, address], { stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    this.cp.stdout?.on('data', (d: Buffer) => {
      buf += d.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i)) as Note & { listening?: boolean };
        buf = buf.slice(i + 1);
        if (line.listening) this.listening = true;
        else this.notes.push(line);
      }
    });
  }
  ready(): Promise<boolean | undefined> {
    return waitFor(() => this.listening, 10_000);
  }
  stop(): void {
    if (this.cp.exitCode === null && this.cp.pid) process.kill(this.cp.pid, 'SIGKILL');
  }
}

t.test('Type=notify from a daemon in a namespace: READY=1, RELOADING=1/READY=1 on HUP, STOPPING=1 on TERM', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const dir = tmpDir('sdn');
  const sock = path.join(dir, 'notify.sock');
  const rx = new Receiver(sock);
  t.teardown(() => rx.stop());
  t.ok(await rx.ready(), 'receiver bound');

  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, vrrpConfig({ priority: 100 }));
  const cp = lab.spawn(lab.host(1).ns, [
    process.execPath, ...NODE_FLAGS, MAIN, '-n', '-l', '-D', '-G', '-f', conf,
    '-p', path.join(dir, 'k.pid'), '-r', path.join(dir, 'v.pid'), '-c', path.join(dir, 'c.pid'),
  ], { env: { ...process.env, NOTIFY_SOCKET: sock } });
  const d: RunningDaemon = { host: lab.host(1), cp, out: new OutputWatcher(cp), dir, conf, exited: new Promise((r) => cp.on('exit', (c) => r(c))) };
  logsOnFailure(t, d);
  const pid = cp.pid as number;

  t.ok(await waitFor(() => rx.notes.length >= 1, 20_000), 'a notification arrives after start');
  t.same(rx.notes[0], { pid, msg: 'READY=1' }, 'READY=1, from the main pid');
  t.ok(d.out.has('Startup complete'), 'only once start-up is complete');
  t.ok(await waitFor(() => lab.hasAddress(lab.host(1), '192.0.2.100'), 15_000), 'the daemon works (MASTER, VIP added)');

  const before = process.hrtime.bigint() / 1000n;
  process.kill(pid, 'SIGHUP');
  t.ok(await waitFor(() => rx.notes.length >= 3, 15_000), 'two notifications on SIGHUP');
  const after = process.hrtime.bigint() / 1000n;
  const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(rx.notes[1]?.msg ?? '');
  t.ok(m, `RELOADING=1 with MONOTONIC_USEC first (${JSON.stringify(rx.notes[1]?.msg)})`);
  const usec = BigInt(m?.[1] ?? '0');
  t.ok(usec >= before && usec <= after, 'MONOTONIC_USEC is CLOCK_MONOTONIC at the reload');
  t.same(rx.notes[2], { pid, msg: 'READY=1' }, 'then READY=1');
  t.equal(rx.notes[1]?.pid, pid, 'from the main pid');
  t.ok(await d.out.waitFor('Reload complete', 5000), 'the reload ran');

  // A reload refused for a broken config still ends with READY=1 (the running config is kept).
  fs.writeFileSync(conf, 'vrrp_instance VI_1 {\n  virtual_router_id 999\n');
  process.kill(pid, 'SIGHUP');
  t.ok(await waitFor(() => rx.notes.length >= 5, 15_000), 'two notifications on a refused reload');
  t.match(rx.notes[3]?.msg, /^RELOADING=1\n/);
  t.equal(rx.notes[4]?.msg, 'READY=1', 'READY=1 after a refused reload');

  process.kill(pid, 'SIGTERM');
  t.equal(await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]), 0, 'exits 0 on SIGTERM');
  await waitFor(() => rx.notes.length >= 6, 2000);
  t.same(rx.notes.slice(5), [{ pid, msg: 'STOPPING=1' }], 'STOPPING=1, once, nothing after it');
  fs.rmSync(dir, { recursive: true, force: true });
});

t.test('abstract NOTIFY_SOCKET (@name) through the addon', async (t) => {
  const name = `@tsk-sdnotify-${process.pid}`;
  const rx = new Receiver(name);
  t.teardown(() => rx.stop());
  t.ok(await rx.ready(), 'receiver bound');
  nativeNotifyPort(name).send('READY=1');
  t.ok(await waitFor(() => rx.notes.length >= 1, 5000), 'received');
  t.same(rx.notes[0], { pid: process.pid, msg: 'READY=1' });
  t.throws(() => nativeNotifyPort(`@tsk-sdnotify-none-${process.pid}`).send('READY=1'), { code: 'ECONNREFUSED' }, 'no listener: an error, not silence');
  t.throws(() => nativeNotifyPort(`/${'x'.repeat(200)}`).send('READY=1'), { code: 'ENAMETOOLONG' }, 'never truncated to another name');
});

t.test('systemd-analyze verify passes on scripts/keepalived.service', async (t) => {
  const analyze = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  if (analyze.status !== 0) {
    t.fail('systemd-analyze missing: scripts/install-deps.sh installs systemd');
    return;
  }
  const unitText = fs.readFileSync(path.join(ROOT, 'scripts/keepalived.service'), 'utf8');
  for (const line of ['Type=notify', 'ExecReload=/bin/kill -HUP $MAINPID', 'KillMode=process', 'EnvironmentFile=-/etc/default/keepalived']) {
    t.ok(unitText.split('\n').includes(line), line);
  }
  t.match(unitText, /^ExecStart=\/usr\/local\/sbin\/keepalived --dont-fork \$DAEMON_ARGS$/m, 'ExecStart as the installer installs it, with Debian\'s DAEMON_ARGS');
  t.match(unitText, /^RestrictAddressFamilies=.*\bAF_NETLINK\b.*\bAF_PACKET\b/m, 'hardening keeps netlink and packet sockets');
  t.notMatch(unitText, /^(CapabilityBoundingSet|PrivateNetwork|MemoryDenyWriteExecute|PrivateTmp)=/m, 'nothing that takes raw sockets, the JIT or the /tmp dumps away');
  // verify checks that ExecStart exists: point a copy at the built binary (the installer does the same substitution).
  const dir = tmpDir('unit');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const unit = path.join(dir, 'tskeepalived.service');
  fs.writeFileSync(unit, unitText.replace(/^ExecStart=\/usr\/local\/sbin\/keepalived/m, `ExecStart=${MAIN}`));
  const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8', timeout: 60_000 });
  t.equal(r.status, 0, `verify exit 0 ${r.stderr}`);
  t.notMatch(`${r.stdout}${r.stderr}`, /tskeepalived\.service/, 'no complaint about the unit');
  const bad = path.join(dir, 'broken.service');
  fs.writeFileSync(bad, unitText.replace('Type=notify', 'Type=notfy'));
  t.match(spawnSync('systemd-analyze', ['verify', bad], { encoding: 'utf8' }).stderr, /broken\.service/, 'the check can fail');
});
