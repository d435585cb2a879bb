/**
 * Checker socket options that node:net cannot set, applied through the addon before connect:
 * `fwmark` (SO_MARK: h1 reaches 198.51.100.10 only through policy routing on mark 7),
 * `bind_if` (SO_BINDTODEVICE: reaching an IPv6 link-local real server), `bindto` and
 * `bind_port` (h2 only accepts one source address / port). TCP, HTTP, UDP and PING probes,
 * and the whole config → checker chain.
 */
import t from 'tap';
import { runConfiguredCheckIn, runProbeIn } from '../support/check-lab';
import { isRoot, Lab, waitFor } from '../support/netns';

const RS = '198.51.100.10';

if (!isRoot()) {
  t.plan(0, 'needs root for network namespaces');
} else {
  t.test('fwmark, bind_if, bindto and bind_port reach the socket', async (t) => {
    const lab = await Lab.create(t, { hosts: 2 });
    const h1 = lab.host(1);
    const h2 = lab.host(2);
    const must = async (ns: string, argv: string[]): Promise<void> => {
      const r = await lab.exec(ns, argv);
      if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr}`);
    };
    // h2 owns RS on lo; h1 has no route to it except in table 7, used only by mark 7.
    await must(h2.ns, ['ip', 'addr', 'add', `${RS}/32`, 'dev', 'lo']);
    await must(h1.ns, ['ip', 'rule', 'add', 'fwmark', '7', 'table', '7']);
    await must(h1.ns, ['ip', 'route', 'add', '198.51.100.0/24', 'via', h2.ipv4, 'table', '7']);
    await must(h1.ns, ['ip', 'addr', 'add', '192.0.2.101/24', 'dev', 'eth0']);
    // Port 81 answers only source 192.0.2.101; port 82 only source port 40555.
    await must(h2.ns, ['nft', [
      'add table inet tk', 'add chain inet tk in { type filter hook input priority 0; }',
      'add rule inet tk in tcp dport 81 ip saddr != 192.0.2.101 drop',
      'add rule inet tk in tcp dport 82 tcp sport != 40555 drop',
    ].join('; ')]);
    const server = `
      const net = require('net'), http = require('http'), dgram = require('dgram');
      for (const p of [80, 81, 82, 8080]) net.createServer((c) => c.end()).listen(p, '::');
      http.createServer((q, s) => s.end('marked OK')).listen(8000, '::');
      // One UDP socket per address: a wildcard socket would answer from h2's interface address.
      for (const [type, addr] of [['udp4', '${RS}'], ['udp6', '::']]) {
        const u = dgram.createSocket({ type, ipv6Only: type === 'udp6' }); u.on('message', (m, r) => u.send(m, r.port, r.address)); u.bind(7007, addr);
      }`;
    const srv = lab.spawn(h2.ns, [process.execPath, '-e', server]);
    let srvErr = '';
    srv.stderr?.on('data', (d: Buffer) => (srvErr += d.toString()));
    const ll = await waitFor(async () => {
      const r = await lab.exec(h2.ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', 'eth0', 'scope', 'link']);
      // ip -j lists filtered-out addresses as {}.
      const a = (JSON.parse(r.stdout || '[]') as { addr_info: { local?: string }[] }[])[0]?.addr_info.find((i) => i.local)?.local;
      const l = await lab.exec(h2.ns, ['ss', '-lntu']);
      return a && [':80 ', ':8000 ', ':8080 ', ':7007 '].every((p) => l.stdout.includes(p)) ? a : undefined;
    }, 10_000, 100);
    if (!ll) throw new Error(`h2 has no link-local address or the servers did not start: ${srvErr}`);

    const base = { host: RS, port: 80, connectTimeoutMs: 800 };
    const tcp = (o: object) => runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', { ...base, ...o });
    t.match(await tcp({}), { ok: false, reason: 'unreachable' }, 'no route without the mark');
    t.match(await tcp({ fwmark: 7 }), { ok: true }, 'TCP_CHECK with fwmark 7 is policy-routed');
    t.match(await tcp({ fwmark: 8 }), { ok: false, reason: 'unreachable' }, 'another mark: no route');
    t.match(await runProbeIn(lab, h1.ns, 'http.js', 'httpProbe', { ...base, port: 8000, fwmark: 7, urls: [{ path: '/', regex: 'marked OK' }] }), { ok: true }, 'HTTP_GET with fwmark');

    const udp = (o: object) => runProbeIn(lab, h1.ns, 'udp.js', 'udpProbe', { ...base, port: 7007, payloadHex: '6869', requireReply: '6869', ...o });
    t.match(await udp({}), { ok: false, reason: 'unreachable' }, 'UDP without the mark');
    t.match(await udp({ fwmark: 7 }), { ok: true }, "UDP_CHECK with fwmark");

    const ping = (o: object) => runProbeIn(lab, h1.ns, 'ping.js', 'pingProbe', { host: RS, connectTimeoutMs: 800, ...o });
    t.match(await ping({}), { ok: false }, 'PING without the mark');
    t.match(await ping({ fwmark: 7 }), { ok: true }, 'PING_CHECK with fwmark (ICMP socket)');
    t.match(await ping({ fwmark: 7, pingPath: 'ping' }), { ok: true }, 'PING_CHECK with fwmark (iputils fallback)');

    const six = { host: ll, port: 8080, connectTimeoutMs: 800 };
    t.match(await runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', six), { ok: false, reason: 'connect_error' }, 'link-local without bind_if: EINVAL');
    t.match(await runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', { ...six, bindIf: 'eth0' }), { ok: true }, 'TCP_CHECK link-local with bind_if');
    t.match(await runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', { ...six, bindIf: 'nosuch0' }), { ok: false, detail: /ENODEV/ }, 'unknown bind_if');
    t.match(await runProbeIn(lab, h1.ns, 'udp.js', 'udpProbe', { ...six, port: 7007, bindIf: 'eth0', payloadHex: '01', requireReply: '01' }), { ok: true }, 'UDP_CHECK link-local with bind_if');
    t.match(await runProbeIn(lab, h1.ns, 'ping.js', 'pingProbe', { host: ll, bindIf: 'eth0', connectTimeoutMs: 800 }), { ok: true }, 'PING_CHECK link-local with bind_if');

    const h2v4 = { host: h2.ipv4, connectTimeoutMs: 800 };
    t.match(await tcp({ ...h2v4, port: 81 }), { ok: false, reason: 'timeout' }, 'port 81 ignores other sources');
    t.match(await tcp({ ...h2v4, port: 81, bindto: '192.0.2.101' }), { ok: true }, 'bindto picks the source address');
    t.match(await tcp({ ...h2v4, port: 82 }), { ok: false, reason: 'timeout' }, 'port 82 ignores other source ports');
    t.match(await tcp({ ...h2v4, port: 82, bindPort: 40555 }), { ok: true }, 'bind_port picks the source port');
    t.match(await tcp({ ...h2v4, port: 82, bindPort: 40555 }), { ok: true }, 'bind_port reusable at once (TIME_WAIT)');
    t.match(await tcp({ ...h2v4, bindto: '192.0.2.222' }), { ok: false, reason: 'unreachable' }, 'bindto not ours: EADDRNOTAVAIL');
    t.match(await ping({ host: h2.ipv4, bindto: "192.0.2.101" }), { ok: true }, 'PING_CHECK bindto through the ICMP socket');

    const conf = (checker: string): string => `
virtual_server 192.0.2.100 80 {
  protocol TCP
  real_server ${RS} 80 {
    ${checker}
  }
}`;
    const viaConfig = await runConfiguredCheckIn(lab, h1.ns, conf('TCP_CHECK {\n      connect_timeout 1\n      fwmark 7\n    }'));
    t.match(viaConfig, { ok: true }, 'configured TCP_CHECK fwmark 7 reaches the real server');
    t.same(viaConfig.warnings, [], 'no "ignored" warning any more');
    t.match(await runConfiguredCheckIn(lab, h1.ns, conf('TCP_CHECK {\n      connect_timeout 1\n    }')), { ok: false, reason: 'unreachable' }, 'the same check without fwmark fails');
    t.match(
      await runConfiguredCheckIn(lab, h1.ns, conf(`TCP_CHECK {\n      connect_ip ${ll}\n      connect_port 8080\n      bind_if eth0\n      connect_timeout 1\n    }`)),
      { ok: true },
      'configured bind_if reaches a link-local connect_ip',
    );
  });
}
