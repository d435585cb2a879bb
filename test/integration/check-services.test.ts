import { spawnSync } from 'node:child_process';
/**
 * DNS_CHECK (dnsmasq), SMTP_CHECK (test/support/smtp-server), UDP_CHECK (UDP echo) and
 * PING_CHECK against servers in lab namespace h2, probes running in h1; MISC_CHECK and
 * FILE_CHECK run locally. Each failure mode and recovery.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileProbe } from '../../src/check/probes/file';
import { miscProbe } from '../../src/check/probes/misc';
import { runProbeIn } from '../support/check-lab';
import { isRoot, Lab, waitFor } from '../support/netns';

const signal = (): AbortSignal => new AbortController().signal;
const smtpServer = path.resolve(__dirname, '../support/smtp-server.js');

if (!isRoot()) {
  t.plan(0, 'needs root for network namespaces');
} else {
  t.test('datagram and dialogue checkers in a lab', async (t) => {
    const lab = await Lab.create(t, { hosts: 2 });
    const h1 = lab.host(1);
    const h2 = lab.host(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-check-svc-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));

    lab.spawn(h2.ns, [
      'dnsmasq', '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts', '--bind-interfaces',
      `--listen-address=${h2.ipv4}`, '--port=53', '--user=root', '--group=root', `--pid-file=${dir}/dnsmasq.pid`,
      '--address=/www.example/192.0.2.50', '--txt-record=txt.example,"hello"',
    ]);
    lab.spawn(h2.ns, [process.execPath, '-e', `const s=require('dgram').createSocket('udp4');s.on('message',(m,r)=>s.send(m,r.port,r.address));s.bind(7007,'${h2.ipv4}')`]);
    for (const [port, mode] of [[25, 'ok'], [2526, 'bad-greeting'], [2527, 'bad-helo'], [2528, 'silent']] as const) {
      lab.spawn(h2.ns, [process.execPath, smtpServer, h2.ipv4, String(port), mode]);
    }
    const nft = await lab.exec(h2.ns, ['nft', 'add table inet tk; add chain inet tk in { type filter hook input priority 0; }; add rule inet tk in udp dport 7008 drop']);
    t.equal(nft.code, 0, `nft: ${nft.stderr}`);
    const listening = await waitFor(async () => {
      const r = await lab.exec(h2.ns, ['ss', '-lntu']);
      return [':53 ', ':7007 ', ':25 ', ':2528 '].every((p) => r.stdout.includes(p));
    }, 10_000, 100);
    t.ok(listening, 'servers listening');

    const base = { host: h2.ipv4, connectTimeoutMs: 1000 };
    const dns = (o: object) => runProbeIn(lab, h1.ns, 'dns.js', 'dnsProbe', { ...base, port: 53, ...o });
    t.match(await dns({ type: 'A', name: 'www.example' }), { ok: true }, 'DNS_CHECK A');
    t.match(await dns({ type: 'TXT', name: 'txt.example' }), { ok: true }, 'DNS_CHECK TXT');
    t.match(await dns({ type: 'AAAA', name: 'www.example' }), { ok: false, reason: 'protocol' }, 'no AAAA answer');
    t.match(await dns({ type: 'A', name: 'nothing.invalid' }), { ok: false, reason: 'protocol' }, 'name without answer');
    t.match(await dns({ port: 5353, type: 'A', name: 'www.example' }), { ok: false, reason: 'refused' }, 'ICMP port unreachable');

    const udp = (o: object) => runProbeIn(lab, h1.ns, 'udp.js', 'udpProbe', { ...base, port: 7007, ...o });
    t.match(await udp({ payloadHex: '68656c6c6f', requireReply: '68656c6c6f' }), { ok: true }, 'UDP echo reply matches');
    t.match(await udp({ payloadHex: '68656c6c6f', requireReply: '6x656cxx' }), { ok: true }, 'wildcards');
    t.match(await udp({ payloadHex: '68656c6c6f', requireReply: 'ffff' }), { ok: false, reason: 'protocol' }, 'reply mismatch');
    t.match(await udp({ payloadHex: '68656c6c6f', maxReplyLength: 3 }), { ok: false, reason: 'protocol' }, 'reply too long');
    t.match(await udp({ port: 7009, payloadHex: '00' }), { ok: false, reason: 'refused' }, 'ICMP unreachable = failure');
    t.match(await udp({ port: 7008, payloadHex: '00' }), { ok: true }, 'silence without require_reply = success');
    t.match(await udp({ port: 7008, payloadHex: '00', requireReply: '' }), { ok: false, reason: 'timeout' }, 'silence with require_reply');

    const smtp = (port: number) => runProbeIn(lab, h1.ns, 'smtp.js', 'smtpProbe', { ...base, port, heloName: 'lb.example' });
    t.match(await smtp(25), { ok: true }, 'SMTP dialogue 220/250/221');
    t.match(await smtp(2526), { ok: false, reason: 'protocol', detail: 'expected 220, got 554' }, 'bad greeting');
    t.match(await smtp(2527), { ok: false, reason: 'protocol', detail: /expected 250, got 501/ }, 'HELO rejected');
    t.match(await smtp(2528), { ok: false, reason: 'timeout' }, 'silent server');
    t.match(await smtp(2529), { ok: false, reason: 'refused' }, 'refused');

    const ping = (host: string) => runProbeIn(lab, h1.ns, 'ping.js', 'pingProbe', { host, connectTimeoutMs: 1000 });
    t.match(await ping(h2.ipv4), { ok: true }, 'PING_CHECK echo reply');
    t.match(await ping(h2.ipv6), { ok: true }, 'PING_CHECK ICMPv6');
    t.match(await ping('192.0.2.99'), { ok: false }, 'no such host');
    await lab.setLink(h2, false);
    t.match(await ping(h2.ipv4), { ok: false }, 'link down');
    await lab.setLink(h2, true);
    t.ok(await waitFor(async () => (await ping(h2.ipv4)).ok, 10_000, 200), 'recovery after link up');
  });
}

t.test('MISC_CHECK through the ScriptRunner', async (t) => {
  const run = (p: string, o: object = {}) => miscProbe({ path: p, timeoutMs: 2000, ...o })(signal());
  t.match(await run('/bin/sh -c "exit 0"'), { ok: true });
  t.match(await run('/bin/sh -c "exit 1"'), { ok: false, reason: 'script_failed', detail: 'exited with status 1' });
  t.match(await run('/bin/sh -c "exit 7"'), { ok: false }, 'exit 7 without misc_dynamic = down');
  t.match(await run('/bin/sh -c "exit 7"', { dynamic: true }), { ok: true, dynamicWeight: 5 });
  t.match(await run('/bin/sh -c \'test "$0" = "a b"\' "a b"'), { ok: true }, 'quoted argument stays one word');
  const t0 = Date.now();
  t.match(await run('/bin/sh -c "sleep 5"', { timeoutMs: 300 }), { ok: false, reason: 'timeout' });
  t.ok(Date.now() - t0 < 3000, 'misc_timeout kills the script');
  t.match(await run('/nonexistent/check'), { ok: false, reason: 'script_error' });
  // a stopped checker (reload, ha_suspend, shutdown) kills its running script and the script's children
  const ac = new AbortController();
  const mark = `tsk-misc-abort-${process.pid}`;
  const p = miscProbe({ path: `/bin/sh -c "sleep 30 & sleep 30; : ${mark}"`, timeoutMs: 60_000 })(ac.signal);
  await new Promise((r) => setTimeout(r, 300));
  const t1 = Date.now();
  ac.abort();
  t.match(await p, { ok: false, reason: 'script_error', detail: 'killed by signal SIGKILL' }, 'aborted: the script is killed');
  t.ok(Date.now() - t1 < 2000, `at once (${Date.now() - t1} ms)`);
  await new Promise((r) => setTimeout(r, 200));
  t.equal(spawnSync('pgrep', ['-f', mark]).status, 1, 'no process of its group is left');
});

t.test('FILE_CHECK reads the track file', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-check-file-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const f = path.join(dir, 'weight');
  const probe = fileProbe({ path: f, weight: 1, dynamic: true, rsWeight: 10 });
  t.match(await probe(signal()), { ok: true, dynamicWeight: 10 }, 'missing file reads as 0');
  fs.writeFileSync(f, '5\n');
  t.match(await probe(signal()), { ok: true, dynamicWeight: 15 });
  fs.writeFileSync(f, '-300\n');
  t.match(await probe(signal()), { ok: false, reason: 'file' });
});
