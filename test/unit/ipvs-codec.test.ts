import t from 'tap';
import {
  encode, decodeService, decodeDest, decodeInfo, decodeDaemon, encodeGetFamily, decodeFamilyId, parseIpv6, formatIpv6,
  parseIpv4, serviceKey, parseAttrs, genlMessage, SvcFlag, IpvsCmd, type IpvsService, type ServiceId,
} from '../../src/lvs/ipvs-codec';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const tcp80: ServiceId = { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0 };

/** Build an attribute by hand (len, type, payload, padding) for golden bytes. */
function attr(type: number, payloadHex: string): string {
  const len = 4 + payloadHex.length / 2;
  const h = Buffer.alloc(4);
  h.writeUInt16LE(len, 0);
  h.writeUInt16LE(type, 2);
  const pad = '00'.repeat(((len + 3) & ~3) - len);
  return h.toString('hex') + payloadHex + pad;
}

t.test('DEL_SERVICE tcp 192.0.2.100:80: golden bytes', async (t) => {
  const inner =
    attr(1, '0200') + // AF_INET (u16 host order)
    attr(2, '0600') + // IPPROTO_TCP
    attr(3, 'c0000264' + '00'.repeat(12)) + // nf_inet_addr, 16 bytes
    attr(4, '0050'); // port, network order
  t.equal(hex(encode.delService(tcp80)), '03010000' + attr(0x8001, inner));
});

t.test('NEW_SERVICE carries sched, flags+mask, timeout, IPv4 netmask in network order', async (t) => {
  const s: IpvsService = { ...tcp80, scheduler: 'wrr', flags: SvcFlag.PERSISTENT, timeoutS: 5, netmaskPrefix: 24 };
  const b = encode.newService(s);
  t.equal(b[0], IpvsCmd.NEW_SERVICE);
  t.equal(b[1], 1, 'genl version 1');
  const top = parseAttrs(b.subarray(4));
  const svc = parseAttrs(top!.get(1)!)!;
  t.equal(svc.get(6)!.toString('hex'), hex(Buffer.from('wrr\0')));
  t.equal(svc.get(7)!.toString('hex'), '01000000' + 'ffffffff');
  t.equal(svc.get(8)!.toString('hex'), '05000000');
  t.equal(svc.get(9)!.toString('hex'), 'ffffff00');
});

t.test('fwmark service: AF + FWMARK only; IPv6 netmask is a host-order prefix', async (t) => {
  const s: IpvsService = { af: 'inet6', protocol: 'tcp', addr: '::', port: 0, fwmark: 7, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 64 };
  const svc = parseAttrs(parseAttrs(encode.newService(s).subarray(4))!.get(1)!)!;
  t.equal(svc.get(1)!.toString('hex'), '0a00');
  t.equal(svc.get(5)!.toString('hex'), '07000000');
  t.notOk(svc.has(2) || svc.has(3) || svc.has(4), 'no protocol/addr/port');
  t.equal(svc.get(9)!.toString('hex'), '40000000');
});

t.test('NEW_DEST: DR weight 2, thresholds, GUE tunnel attributes', async (t) => {
  const b = encode.newDest(tcp80, { addr: '192.0.2.11', port: 80, fwd: 'route', weight: 2, upperThreshold: 100, lowerThreshold: 10 });
  const top = parseAttrs(b.subarray(4))!;
  t.ok(top.has(1), 'service identity attached');
  const d = parseAttrs(top.get(2)!)!;
  t.equal(d.get(1)!.toString('hex'), 'c000020b' + '00'.repeat(12));
  t.equal(d.get(2)!.toString('hex'), '0050');
  t.equal(d.get(3)!.toString('hex'), '03000000', 'IP_VS_CONN_F_DROUTE');
  t.equal(d.get(4)!.toString('hex'), '02000000');
  t.equal(d.get(5)!.toString('hex'), '64000000');
  t.equal(d.get(6)!.toString('hex'), '0a000000');
  t.notOk(d.has(13), 'no tunnel type for DR');
  const g = parseAttrs(parseAttrs(encode.newDest(tcp80, { addr: '192.0.2.11', port: 80, fwd: 'tunnel', weight: 1, upperThreshold: 0, lowerThreshold: 0, tunType: 'gue', tunPort: 6080, tunCsum: 'remcsum' }).subarray(4))!.get(2)!)!;
  t.equal(g.get(3)!.toString('hex'), '02000000', 'tunnel');
  t.equal(g.get(13)!.toString('hex'), '01', 'GUE');
  t.equal(g.get(14)!.toString('hex'), '17c0', 'port 6080 network order');
  t.equal(g.get(15)!.toString('hex'), '0200', 'remcsum');
});

t.test('DEL_DEST sends only the identity', async (t) => {
  const d = parseAttrs(parseAttrs(encode.delDest(tcp80, { addr: '192.0.2.11', port: 80 }).subarray(4))!.get(2)!)!;
  t.same([...d.keys()].sort((a, b) => a - b), [1, 2, 11]);
});

/** A GET_SERVICE reply as the kernel builds it. */
function serviceReply(inner: string): Buffer {
  return Buffer.from('04010000' + attr(1, inner), 'hex');
}

t.test('decodeService: IPv4 TCP service reply', async (t) => {
  const inner = attr(1, '0200') + attr(2, '0600') + attr(3, 'c0000264' + '00'.repeat(12)) + attr(4, '0050') +
    attr(6, hex(Buffer.from('wrr\0'))) + attr(7, '03000000ffffffff') + attr(8, '05000000') + attr(9, 'ffffff00') +
    attr(0x8000 | 10, attr(1, '07000000') + attr(4, '0a00000000000000'));
  const r = decodeService(serviceReply(inner));
  t.ok(r.ok);
  if (!r.ok) return;
  t.match(r.value, { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0, scheduler: 'wrr', flags: 3, timeoutS: 5, netmaskPrefix: 24 });
  t.equal(r.value.stats?.conns, 7);
  t.equal(r.value.stats?.inbytes, 10);
  t.equal(serviceKey(r.value), 'tcp|192.0.2.100|80');
});

t.test('decodeService: fwmark and IPv6 UDP', async (t) => {
  const f = decodeService(serviceReply(attr(1, '0200') + attr(5, '07000000') + attr(6, hex(Buffer.from('sh\0')))));
  t.ok(f.ok && f.value.fwmark === 7 && serviceKey(f.value) === 'fwmark|inet|7');
  const v6 = decodeService(serviceReply(attr(1, '0a00') + attr(2, '1100') + attr(3, hex(parseIpv6('2001:db8::100')!)) + attr(4, '0035') + attr(6, hex(Buffer.from('rr\0'))) + attr(9, '80000000')));
  t.ok(v6.ok);
  if (v6.ok) t.match(v6.value, { af: 'inet6', protocol: 'udp', addr: '2001:db8::100', port: 53, netmaskPrefix: 128 });
});

t.test('decoders refuse malformed input without throwing', async (t) => {
  t.match(decodeService(Buffer.from('0401', 'hex')), { ok: false, reason: /short/ });
  t.match(decodeService(Buffer.from('04010000' + 'ff000100', 'hex')), { ok: false, reason: /length/ });
  t.match(decodeService(serviceReply(attr(1, '0700'))), { ok: false, reason: /family/ });
  t.match(decodeService(serviceReply(attr(1, '0200') + attr(2, '2f00'))), { ok: false, reason: /protocol/ });
  t.match(decodeService(serviceReply(attr(1, '0200') + attr(2, '0600'))), { ok: false, reason: /address/ });
  t.match(decodeDest(Buffer.from('08010000', 'hex'), 'inet'), { ok: false, reason: /missing/ });
  t.match(decodeInfo(Buffer.from('0f010000', 'hex')), { ok: false });
  t.match(decodeDaemon(Buffer.from('0b010000' + attr(3, attr(1, '09000000')), 'hex')), { ok: false, reason: /state/ });
});

t.test('decodeDest: DR dest with counters; mixed family detected', async (t) => {
  const inner = attr(1, 'c000020b' + '00'.repeat(12)) + attr(2, '0050') + attr(3, '03000000') + attr(4, '03000000') +
    attr(5, '00000000') + attr(6, '00000000') + attr(7, '02000000') + attr(8, '01000000') + attr(11, '0200');
  const r = decodeDest(Buffer.from('08010000' + attr(2, inner), 'hex'), 'inet');
  t.ok(r.ok);
  if (r.ok) {
    t.match(r.value, { addr: '192.0.2.11', port: 80, fwd: 'route', weight: 3, activeConns: 2, inactConns: 1 });
    t.equal(r.value.af, undefined, 'same family as the service');
  }
  const mixed = decodeDest(Buffer.from('08010000' + attr(2, attr(1, 'c000020b' + '00'.repeat(12)) + attr(3, '02000000') + attr(11, '0200')), 'hex'), 'inet6');
  t.ok(mixed.ok && mixed.value.af === 'inet');
});

t.test('GET_INFO version decoding', async (t) => {
  const r = decodeInfo(Buffer.from('0f010000' + attr(1, '01020100') + attr(2, '00100000'), 'hex'));
  t.same(r, { ok: true, value: { version: '1.2.1', connTabSize: 4096 } });
});

t.test('sync daemon encode/decode', async (t) => {
  const b = encode.newDaemon({ state: 'master', ifname: 'eth0', syncId: 3, group: '224.0.0.81', port: 8848, ttl: 1 });
  const d = parseAttrs(parseAttrs(b.subarray(4))!.get(3)!)!;
  t.equal(d.get(1)!.toString('hex'), '01000000');
  t.equal(d.get(2)!.toString(), 'eth0\0');
  t.equal(d.get(5)!.toString('hex'), 'e0000051');
  const back = decodeDaemon(Buffer.from([0x0b, 1, 0, 0, ...b.subarray(4)]));
  t.same(back, { ok: true, value: { state: 'master', ifname: 'eth0', syncId: 3, group: '224.0.0.81', port: 8848, ttl: 1 } });
});

t.test('generic netlink controller: GETFAMILY "IPVS"', async (t) => {
  t.equal(hex(encodeGetFamily('IPVS')), '03010000' + attr(2, hex(Buffer.from('IPVS\0'))));
  t.same(decodeFamilyId(Buffer.from('01020000' + attr(2, hex(Buffer.from('IPVS\0'))) + attr(1, '2000'), 'hex')), { ok: true, value: 32 });
  t.equal(hex(genlMessage(IpvsCmd.FLUSH)), '11010000');
});

t.test('address parsing and RFC 5952 formatting', async (t) => {
  const rows: [string, string | null][] = [
    ['2001:db8::1', '2001:db8::1'], ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['::', '::'], ['::1', '::1'],
    ['1::', '1::'], ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'], ['2001:0:0:1:0:0:0:0', '2001:0:0:1::'],
    ['::ffff:192.0.2.1', '::ffff:c000:201'], ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'], ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
    ['1:::2', null], ['1:2:3:4:5:6:7', null], ['1::2::3', null], ['12345::', null], ['1:2:3:4:5:6:7:8:9', null],
  ];
  for (const [input, want] of rows) {
    const b = parseIpv6(input);
    t.equal(b ? formatIpv6(b) : null, want, input);
  }
  t.same(parseIpv4('192.0.2.1'), Uint8Array.of(192, 0, 2, 1));
  t.equal(parseIpv4('192.0.2.256'), null);
  t.equal(parseIpv4('192.0.2'), null);
});
