/**
 * Notify side with real processes and sockets: SMTP alert to a local sink, notify FIFO
 * lines read back (directly and through a *_fifo_script), hooks run by real scripts in
 * order, script security refusing a world-writable script.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { SmtpSink } from '../support/smtp-sink';
import { waitFor } from '../support/netns';
import { sendMail } from '../../src/notify/smtp';
import { NotifyFifo, fifoFromSpec } from '../../src/notify/fifo';
import { HookRunner } from '../../src/notify/hooks';
import { fifoLine, hookCalls, vrrpMail } from '../../src/notify/notify';
import { MemoryLogger } from '../../src/observe/log';

function tmpdir(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-notify-'));
  fs.chmodSync(dir, 0o755);
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function script(dir: string, name: string, body: string, mode = 0o755): string {
  const p = path.join(dir, name);
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, mode);
  return p;
}

t.test('SMTP alert delivered to the sink', async (t) => {
  const sink = new SmtpSink();
  const port = await sink.listen();
  t.teardown(() => sink.close());
  const mail = vrrpMail('lb1', 'INSTANCE', 'VI_1', 'MASTER');
  const r = await sendMail(
    { server: '127.0.0.1', port, helo: 'lb1', from: 'ka@example.org', to: ['ops@example.org', 'oncall@example.org'], timeoutMs: 5000 },
    { ...mail, body: `${mail.body}\n.leading dot line` },
  );
  t.same(r, { ok: true });
  const [s] = sink.delivered();
  t.ok(s);
  t.same(s!.commands, ['EHLO lb1', 'MAIL FROM:<ka@example.org>', 'RCPT TO:<ops@example.org>', 'RCPT TO:<oncall@example.org>', 'DATA', 'QUIT']);
  t.match(s!.data, /^Subject: \[lb1\] VRRP Instance VI_1 - Entering MASTER state$/m);
  t.match(s!.data, /^From: ka@example.org$/m);
  t.match(s!.data, /^To: ops@example.org, oncall@example.org$/m);
  t.match(s!.data, /^=> VRRP Instance is now owning VRRP VIPs <=$/m);
  t.match(s!.data, /^\.leading dot line$/m, 'dot-stuffing undone by the server');
});

t.test('SMTP: HELO fallback, rejected recipient, refused connection, timeout', async (t) => {
  const old = new SmtpSink({ refuseEhlo: true });
  const port = await old.listen();
  t.teardown(() => old.close());
  const base = { server: '127.0.0.1', helo: 'lb1', from: 'a@x', to: ['b@x'], timeoutMs: 3000 };
  t.same(await sendMail({ ...base, port }, { subject: 's', body: 'b' }), { ok: true });
  t.same(old.sessions[0]!.commands.slice(0, 2), ['EHLO lb1', 'HELO lb1']);

  const picky = new SmtpSink({ rejectRcpt: (a) => a === 'b@x' });
  const p2 = await picky.listen();
  t.teardown(() => picky.close());
  const r2 = await sendMail({ ...base, port: p2 }, { subject: 's', body: 'b' });
  t.equal(r2.ok, false);
  t.match(r2.ok ? '' : r2.error, /RCPT TO b@x: server replied 550/);

  // A port nobody listens on: bind then close to get a free one.
  const tmp = net.createServer();
  await new Promise<void>((r) => tmp.listen(0, '127.0.0.1', () => r()));
  const freePort = (tmp.address() as net.AddressInfo).port;
  await new Promise<void>((r) => tmp.close(() => r()));
  const r3 = await sendMail({ ...base, port: freePort }, { subject: 's', body: 'b' });
  t.equal(r3.ok, false);
  t.match(r3.ok ? '' : r3.error, /ECONNREFUSED/);

  const silent = new SmtpSink({ silent: true });
  const p4 = await silent.listen();
  t.teardown(() => silent.close());
  const started = Date.now();
  const r4 = await sendMail({ ...base, port: p4, timeoutMs: 300 }, { subject: 's', body: 'b' });
  t.equal(r4.ok, false);
  t.match(r4.ok ? '' : r4.error, /timeout after 300 ms/);
  t.ok(Date.now() - started < 2000, 'bounded by smtp_connect_timeout');
});

t.test('notify FIFO: created, lines read back in order; fifo_script receives them', async (t) => {
  const dir = tmpdir(t);
  const log = new MemoryLogger();
  const fifoPath = path.join(dir, 'notify.fifo');
  const fifo = new NotifyFifo(fifoPath, { log });
  t.ok(fifo.open(), 'opened');
  t.teardown(() => fifo.close());
  t.ok(fs.statSync(fifoPath).isFIFO(), 'FIFO created');
  const lines = [fifoLine('INSTANCE', 'VI_1', 'BACKUP', 100), fifoLine('INSTANCE', 'VI_1', 'MASTER', 102), fifoLine('GROUP', 'G1', 'MASTER', 0)];
  for (const l of lines) t.ok(fifo.write(l));
  // Written before anyone reads: the pipe keeps them.
  const rd = fs.openSync(fifoPath, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  t.teardown(() => fs.closeSync(rd));
  const buf = Buffer.alloc(4096);
  const n = fs.readSync(rd, buf, 0, buf.length, null);
  t.equal(buf.subarray(0, n).toString(), lines.join(''));

  const out = path.join(dir, 'script.out');
  const reader = script(dir, 'reader.sh', `while read -r line; do echo "$line" >> ${out}; done < "$1"`);
  const fifo2Path = path.join(dir, 'vrrp.fifo');
  const fifo2 = new NotifyFifo(fifo2Path, { log, script: [reader] });
  t.ok(fifo2.open());
  t.teardown(() => fifo2.close());
  fifo2.write(lines[0]!);
  fifo2.write(lines[1]!);
  const got = await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8').split('\n').length >= 3, 5000);
  t.ok(got, 'fifo script received the lines');
  t.equal(fs.readFileSync(out, 'utf8'), lines[0]! + lines[1]!);
});

t.test('NotifyFifo refuses a path that is a regular file, never throws', async (t) => {
  const dir = tmpdir(t);
  const p = path.join(dir, 'plain');
  fs.writeFileSync(p, '');
  const log = new MemoryLogger();
  const f = new NotifyFifo(p, { log });
  t.equal(f.open(), false);
  t.equal(f.write('x\n'), false);
  t.ok(log.has('is not a FIFO'));
});

t.test('real hook scripts: ordered per instance, arguments as keepalived passes them', async (t) => {
  const dir = tmpdir(t);
  const rec = path.join(dir, 'record');
  const slowMaster = script(dir, 'master.sh', `sleep 0.3; echo "master $*" >> ${rec}`);
  const notify = script(dir, 'notify.sh', `echo "notify $*" >> ${rec}; echo "said $3"`);
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log });
  const cfg = { notifyMaster: { cmd: slowMaster }, notify: { cmd: notify } };
  void hooks.enqueue('VI_1', hookCalls(cfg, 'INSTANCE', 'VI_1', 'MASTER', 102));
  void hooks.enqueue('VI_1', hookCalls(cfg, 'INSTANCE', 'VI_1', 'BACKUP', 100));
  await hooks.idle();
  t.equal(fs.readFileSync(rec, 'utf8'), 'master \nnotify INSTANCE VI_1 MASTER 102\nnotify INSTANCE VI_1 BACKUP 100\n');
  t.ok(log.has(/notify script `.*notify.sh INSTANCE VI_1 BACKUP 100` stdout: said BACKUP/));
});

t.test('script security refuses a world-writable hook, runs a safe one', async (t) => {
  const dir = tmpdir(t);
  const marker = path.join(dir, 'ran');
  const unsafe = script(dir, 'unsafe.sh', `touch ${marker}.unsafe`, 0o777);
  const safe = script(dir, 'safe.sh', `touch ${marker}.safe`);
  const log = new MemoryLogger();
  const hooks = new HookRunner({ log, scriptSecurity: true, scriptUser: { user: 'root' } });
  await hooks.enqueue('VI_1', [{ argv: [unsafe], keyword: 'notify_master' }, { argv: [safe], keyword: 'notify_master' }]);
  t.notOk(fs.existsSync(`${marker}.unsafe`));
  t.ok(fs.existsSync(`${marker}.safe`));
  t.ok(log.has(`Unsafe permissions found for script '${unsafe}' - disabling.`));
  t.ok(log.has(/unsafe.sh is writable by others/));
});

t.test('fifoFromSpec: FIFO owned by the configured user, script started with the path', async (t) => {
  const dir = tmpdir(t);
  const out = path.join(dir, 'got');
  const reader = script(dir, 'r.sh', `read -r line < "$1"; echo "$line" > ${out}`);
  const loc = { file: 'k.conf', line: 1, col: 1 };
  const log = new MemoryLogger();
  const lookup = (u: string) => (u === 'fifo-owner' ? { uid: 4242, gid: 4343 } : undefined);
  const f = fifoFromSpec({ path: path.join(dir, 'spec.fifo'), user: 'fifo-owner', script: { command: reader, argv: [reader], loc }, loc }, log, lookup);
  t.ok(f.open());
  t.teardown(() => f.close());
  const st = fs.statSync(path.join(dir, 'spec.fifo'));
  t.same([st.uid, st.gid, st.mode & 0o777], [4242, 4343, 0o600]);
  f.write(fifoLine('INSTANCE', 'VI_9', 'FAULT', 0));
  t.ok(await waitFor(() => fs.existsSync(out) && fs.readFileSync(out, 'utf8') === 'INSTANCE "VI_9" FAULT 0\n', 5000));
});
