import t from 'tap';
import { createHash } from 'node:crypto';
import { checkerLines } from '../../src/check/messages';
import { buildDnsQuery, encodeName, judgeDnsReply } from '../../src/check/probes/dns';
import { judgeFileValue } from '../../src/check/probes/file';
import { buildRequest, judgeResponse, parseResponse } from '../../src/check/probes/http';
import { judgeMiscOutcome } from '../../src/check/probes/misc';
import { pingArgv } from '../../src/check/probes/ping';
import { hexToBytes, judgeUdpReply, matchHexPattern } from '../../src/check/probes/udp';

t.test('DNS query encoding (RFC 1035 §4.1)', async (t) => {
  t.equal(encodeName('.').toString('hex'), '00');
  t.equal(encodeName('www.example.').toString('hex'), '03777777076578616d706c6500');
  const q = buildDnsQuery(0x1234, 'a.b', 'AAAA');
  t.equal(q.toString('hex'), '1234' + '0100' + '0001' + '0000' + '0000' + '0000' + '0161016200' + '001c' + '0001');
  t.equal(buildDnsQuery(1, '.', 'SOA').subarray(-4).toString('hex'), '00060001');
});

t.test('DNS reply judgement', async (t) => {
  const hdr = (id: number, flags: number, an: number): Buffer => {
    const b = Buffer.alloc(12);
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(flags, 2);
    b.writeUInt16BE(1, 4);
    b.writeUInt16BE(an, 6);
    return b;
  };
  t.equal(judgeDnsReply(7, hdr(7, 0x8180, 1)).ok, true);
  t.match(judgeDnsReply(7, hdr(8, 0x8180, 1)), { ok: false, detail: 'ID mismatch' });
  t.match(judgeDnsReply(7, hdr(7, 0x0100, 1)), { ok: false, reason: 'protocol' });
  t.match(judgeDnsReply(7, hdr(7, 0x8183, 0)), { ok: false, detail: 'RCODE NXDOMAIN' });
  t.match(judgeDnsReply(7, hdr(7, 0x8180, 0)), { ok: false, detail: 'no answer records' });
  t.match(judgeDnsReply(7, Buffer.alloc(5)), { ok: false });
});

t.test('UDP require_reply hex with x wildcards, lengths, silence', async (t) => {
  t.ok(matchHexPattern(hexToBytes('abcd01'), 'abcd'));
  t.ok(matchHexPattern(hexToBytes('abcd01'), 'axcx01'));
  t.notOk(matchHexPattern(hexToBytes('abcd01'), 'abce'));
  t.notOk(matchHexPattern(hexToBytes('ab'), 'abcd'), 'reply shorter than pattern');
  const o = { host: '192.0.2.1', port: 9, connectTimeoutMs: 100 };
  t.equal(judgeUdpReply(o, { silent: true }).ok, true, 'no reply and no ICMP error = up');
  t.equal(judgeUdpReply({ ...o, requireReply: '' }, { silent: true }).ok, false, 'reply required');
  t.equal(judgeUdpReply({ ...o, requireReply: '68' }, { reply: Buffer.from('hi') }).ok, true);
  t.equal(judgeUdpReply({ ...o, requireReply: '69' }, { reply: Buffer.from('hi') }).ok, false);
  t.equal(judgeUdpReply({ ...o, maxReplyLength: 1 }, { reply: Buffer.from('hi') }).ok, false);
  t.equal(judgeUdpReply({ ...o, minReplyLength: 3 }, { reply: Buffer.from('hi') }).ok, false);
});

t.test('HTTP request line per http_protocol', async (t) => {
  t.equal(buildRequest('/x', 'h', '1.0'), 'GET /x HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: h\r\n\r\n');
  t.match(buildRequest('/x', 'h', '1.0C'), /^GET \/x HTTP\/1\.0\r\n.*Connection: close\r\n\r\n$/s);
  t.match(buildRequest('/x', 'h', '1.1'), /^GET \/x HTTP\/1\.1\r\n.*Connection: close\r\n\r\n$/s);
});

t.test('HTTP response parsing and judgement', async (t) => {
  const body = 'hello world';
  const md5 = createHash('md5').update(body).digest('hex');
  const raw = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
  const p = parseResponse(raw);
  if ('error' in p) throw new Error(p.error);
  t.equal(p.status, 200);
  t.equal(p.body.toString(), body);
  t.equal(judgeResponse({ path: '/', digest: md5 }, p).ok, true);
  t.match(judgeResponse({ path: '/', digest: '0'.repeat(32) }, p), { ok: false, reason: 'digest', url: '/' });
  t.equal(judgeResponse({ path: '/', regex: 'wor.d' }, p).ok, true);
  t.match(judgeResponse({ path: '/', regex: 'xyz' }, p), { ok: false, reason: 'regex' });
  t.match(judgeResponse({ path: '/', regex: 'world', regexNoMatch: true }, p), { ok: false, reason: 'regex' });
  t.equal(judgeResponse({ path: '/', regex: 'xyz', regexNoMatch: true }, p).ok, true);
  t.match(judgeResponse({ path: '/', statusCodes: [[300, 399], [404, 404]] }, p), { ok: false, reason: 'http_status' });
  t.equal(judgeResponse({ path: '/', statusCodes: [[100, 199], [200, 200]] }, p).ok, true);
  const chunked = parseResponse(Buffer.from('HTTP/1.1 404 NF\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'));
  if ('error' in chunked) throw new Error(chunked.error);
  t.equal(chunked.body.toString(), body);
  t.match(judgeResponse({ path: '/' }, chunked), { ok: false, reason: 'http_status', detail: 'status_code [404]' });
  t.match(parseResponse(Buffer.from('garbage\r\n\r\n')), { error: /bad status line/ });
  t.match(parseResponse(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 99\r\n\r\nshort')), { error: /shorter/ });
});

t.test('MISC_CHECK exit codes, misc_dynamic weight = exit - 2', async (t) => {
  t.equal(judgeMiscOutcome({ kind: 'exited', status: 0 }, false).ok, true);
  t.match(judgeMiscOutcome({ kind: 'exited', status: 1 }, false), { ok: false, reason: 'script_failed' });
  t.match(judgeMiscOutcome({ kind: 'exited', status: 7 }, false), { ok: false });
  t.match(judgeMiscOutcome({ kind: 'exited', status: 1 }, true), { ok: false });
  t.match(judgeMiscOutcome({ kind: 'exited', status: 7 }, true), { ok: true, dynamicWeight: 5 });
  t.match(judgeMiscOutcome({ kind: 'exited', status: 2 }, true), { ok: true, dynamicWeight: 0 });
  t.match(judgeMiscOutcome({ kind: 'timed_out' }, true), { ok: false, reason: 'timeout' });
  t.match(judgeMiscOutcome({ kind: 'signalled', signal: 'SIGSEGV' }, false), { ok: false, reason: 'script_error' });
});

t.test('FILE_CHECK value x weight', async (t) => {
  t.equal(judgeFileValue({ path: '', weight: 0 }, '0\n').ok, true);
  t.equal(judgeFileValue({ path: '', weight: 0 }, '3\n').ok, false);
  t.equal(judgeFileValue({ path: '', weight: 10 }, '-25').ok, true, '-250 is above -254: still up');
  t.equal(judgeFileValue({ path: '', weight: 10 }, '-26').ok, false);
  t.equal(judgeFileValue({ path: '', weight: 1 }, '-253').ok, true);
  t.equal(judgeFileValue({ path: '', weight: 1 }, '-254').ok, false);
  t.equal(judgeFileValue({ path: '', weight: 1, reverse: true }, '254').ok, false);
  t.match(judgeFileValue({ path: '', weight: 2, dynamic: true, rsWeight: 3 }, '4'), { ok: true, dynamicWeight: 11 });
  t.match(judgeFileValue({ path: '', weight: 1, dynamic: true, rsWeight: 3 }, '-10'), { ok: true, dynamicWeight: 0 });
});

t.test('ping argv', async (t) => {
  t.same(pingArgv({ host: '192.0.2.5', connectTimeoutMs: 1500 }), ['ping', '-4', '-n', '-q', '-c1', '-W', '1.5', '192.0.2.5']);
  t.same(pingArgv({ host: '2001:db8::5', bindto: '2001:db8::1', connectTimeoutMs: 2000 }).slice(1), [
    '-6', '-n', '-q', '-c1', '-W', '2', '-I', '2001:db8::1', '2001:db8::5',
  ]);
  t.same(pingArgv({ host: 'fe80::5', bindIf: 'eth1', fwmark: 7, connectTimeoutMs: 1000 }).slice(-5), ['-m', '7', '-I', 'eth1', 'fe80::5'], 'fwmark → -m, bind_if → -I');
  t.same(pingArgv({ host: '192.0.2.5', bindto: '192.0.2.1', bindIf: 'eth1', connectTimeoutMs: 1000 }).slice(-3), ['-I', '192.0.2.1', '192.0.2.5'], 'one -I: the source address wins');
});

t.test('keepalived wording for checker lines', async (t) => {
  const ctx = { kind: 'HTTP_GET' as const, service: '[192.0.2.11]:tcp:80' };
  const fin = checkerLines(ctx, { kind: 'failed', transition: true, retries: 3 }, { ok: false, reason: 'http_status', detail: 'status_code [500]', url: '/' }, true);
  t.same(fin.map((l) => l.text), [
    'HTTP status code error to server [192.0.2.11]:tcp:80 url(/), status_code [500].',
    'HTTP_CHECK on service [192.0.2.11]:tcp:80 failed after 3 retries.',
  ]);
  const misc = { kind: 'MISC_CHECK' as const, service: '[192.0.2.11]:tcp:80', vsLabel: '[192.0.2.100]:tcp:80', script: '/bin/false' };
  t.same(
    checkerLines(misc, { kind: 'failed', transition: true, retries: 0 }, { ok: false, reason: 'script_failed', detail: 'exited with status 1' }, true).map((l) => l.text),
    ['Misc check for [[192.0.2.11]:tcp:80 VS [192.0.2.100]:tcp:80] by [/bin/false] failed with retry disabled (exited with status 1).'],
  );
  const quiet = checkerLines({ kind: 'TCP_CHECK', service: 's' }, { kind: 'failed', transition: false, retries: 1 }, { ok: false, reason: 'refused', detail: '' }, false);
  t.same(quiet.map((l) => l.level), ['debug'], 'repeated failures while down are debug only');
  const loud = checkerLines({ kind: 'TCP_CHECK', service: 's', logAllFailures: true }, { kind: 'failed', transition: false, retries: 1 }, { ok: false, reason: 'timeout', detail: '' }, false);
  t.same(loud, [{ level: 'info', text: 'TCP connection to s timeout.' }], 'log_all_failures');
});
