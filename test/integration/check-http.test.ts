/**
 * TCP_CHECK, HTTP_GET and SSL_GET against nginx in a lab namespace (h2), probes running in
 * h1: success, refused, timeout (nft drop), wrong status, wrong digest, regex mismatch,
 * read timeout, TLS verification errors, and recovery after nginx restarts.
 */
import t from 'tap';
import { createHash } from 'node:crypto';
import { isRoot, Lab } from '../support/netns';
import { runProbeIn, webFixture } from '../support/check-lab';

if (!isRoot()) {
  t.plan(0, 'needs root for network namespaces');
} else {
  t.test('stream checkers against nginx', async (t) => {
    const lab = await Lab.create(t, { hosts: 2 });
    const h1 = lab.host(1);
    const h2 = lab.host(2);
    const web = webFixture(lab, h2.ns, h2.ipv4);
    t.teardown(() => web.dispose());
    await web.start();
    // Port 82 silently dropped → connect timeout; port 8081 accepts but never answers.
    const nft = await lab.exec(h2.ns, ['nft', 'add table inet tk; add chain inet tk in { type filter hook input priority 0; }; add rule inet tk in tcp dport 82 drop']);
    t.equal(nft.code, 0, `nft rule: ${nft.stderr}`);
    lab.spawn(h2.ns, [process.execPath, '-e', `require('net').createServer(() => {}).listen(8081, '${h2.ipv4}')`]);
    await new Promise((r) => setTimeout(r, 300));

    const base = { host: h2.ipv4, connectTimeoutMs: 1000 };
    const tcp = (port: number) => runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', { ...base, port });
    const http = (o: object) => runProbeIn(lab, h1.ns, 'http.js', 'httpProbe', { ...base, port: 80, ...o });
    const md5 = createHash('md5').update(web.indexBody).digest('hex');

    t.match(await tcp(80), { ok: true }, 'TCP_CHECK success');
    t.match(await tcp(81), { ok: false, reason: 'refused' }, 'TCP_CHECK refused');
    const started = Date.now();
    t.match(await tcp(82), { ok: false, reason: 'timeout' }, 'TCP_CHECK timeout');
    t.ok(Date.now() - started >= 900, 'timeout honours connect_timeout');
    t.match(await runProbeIn(lab, h1.ns, 'tcp.js', 'tcpProbe', { ...base, port: 80, bindto: h1.ipv4, bindPort: 40123 }), { ok: true }, 'bindto/bind_port');

    t.match(await http({ urls: [{ path: '/index.html', digest: md5, regex: 'real server OK' }] }), { ok: true, url: '/index.html' }, 'HTTP_GET digest + regex ok');
    t.match(await http({ protocol: '1.1', urls: [{ path: '/index.html', digest: md5 }] }), { ok: true }, 'http_protocol 1.1');
    t.match(await http({ protocol: '1.0C', virtualhost: 'rs.example', urls: [{ path: '/index.html' }] }), { ok: true }, '1.0C + virtualhost');
    t.match(await http({ urls: [{ path: '/missing.html' }] }), { ok: false, reason: 'http_status', detail: 'status_code [404]' }, 'wrong status');
    t.match(await http({ urls: [{ path: '/missing.html', statusCodes: [[400, 404]] }] }), { ok: true }, 'status_code range accepts 404');
    t.match(await http({ urls: [{ path: '/status500' }] }), { ok: false, reason: 'http_status' }, '500');
    t.match(await http({ urls: [{ path: '/index.html', digest: '0123456789abcdef0123456789abcdef' }] }), { ok: false, reason: 'digest' }, 'wrong digest');
    t.match(await http({ urls: [{ path: '/other.html', regex: 'real server OK' }] }), { ok: false, reason: 'regex' }, 'regex mismatch');
    t.match(await http({ urls: [{ path: '/index.html', regex: 'real server OK', regexNoMatch: true }] }), { ok: false, reason: 'regex' }, 'regex_no_match');
    t.match(await http({ urls: [{ path: '/index.html' }, { path: '/missing.html' }] }), { ok: false, url: '/missing.html' }, 'every url must pass');
    t.match(await http({ port: 81, urls: [{ path: '/' }] }), { ok: false, reason: 'refused' }, 'HTTP refused');
    t.match(await http({ port: 8081, urls: [{ path: '/' }] }), { ok: false, reason: 'timeout' }, 'HTTP read timeout');

    const ssl = (o: object) => http({ port: 443, urls: [{ path: '/index.html', digest: md5 }], ...o });
    t.match(await ssl({ tls: {} }), { ok: true }, 'SSL_GET without verification');
    t.match(await ssl({ tls: { ca: web.caPem, enableSni: true, sniName: 'rs.example' } }), { ok: true }, 'SSL_GET verified with CA + SNI');
    t.match(await ssl({ tls: { ca: web.otherCaPem } }), { ok: false, reason: 'tls' }, 'TLS error: untrusted certificate');
    t.match(await ssl({ tls: { ca: web.caPem, enableSni: true, sniName: 'wrong.example' } }), { ok: false, reason: 'tls' }, 'TLS error: name mismatch');
    t.match(await ssl({ port: 80, tls: {} }), { ok: false, reason: 'tls' }, 'TLS error: plain HTTP port');

    await web.stop();
    t.match(await http({ urls: [{ path: '/index.html' }] }), { ok: false, reason: 'refused' }, 'nginx stopped → refused');
    await web.start();
    t.match(await http({ urls: [{ path: '/index.html', digest: md5 }] }), { ok: true }, 'recovery after restart');
  });
}
