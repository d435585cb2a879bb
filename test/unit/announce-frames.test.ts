/**
 * GARP and unsolicited NA frames, byte for byte, plus the address parsers and the IPv4 header
 * parser the raw socket adapter relies on. The NA checksum is checked against an independent
 * computation (BigInt sum over 32-bit words, a different folding than the code under test).
 */
import t from 'tap';
import {
  buildGratuitousArp,
  buildUnsolicitedNa,
  formatMac,
  icmpv6Checksum,
  NA_FLAGS,
  parseIpv4,
  parseIpv6,
  parseMac,
} from '../../src/net/announce';
import { parseIpv4 as parseIpv4Header } from '../../src/net/ipv4-header';

const MAC = '02:00:5e:10:00:01';

/** Independent Internet checksum: 32-bit big-endian words summed as BigInt, then folded. */
function referenceChecksum(bytes: Uint8Array): number {
  const padded = Buffer.alloc(Math.ceil(bytes.length / 4) * 4);
  Buffer.from(bytes).copy(padded);
  let sum = 0n;
  for (let i = 0; i < padded.length; i += 4) sum += BigInt(padded.readUInt32BE(i));
  while (sum > 0xffffn) sum = (sum & 0xffffn) + (sum >> 16n);
  return Number(~sum & 0xffffn);
}

t.test('gratuitous ARP matches keepalived layout byte for byte', async (t) => {
  const f = buildGratuitousArp('192.0.2.100', MAC);
  const expected =
    'ffffffffffff' + '02005e100001' + '0806' + // Ethernet: broadcast, our MAC, ARP
    '0001' + '0800' + '06' + '04' + '0001' + // Ethernet/IPv4, op 1 (request)
    '02005e100001' + 'c0000264' + // sender: our MAC, VIP
    'ffffffffffff' + 'c0000264'; // target: ff:ff:ff:ff:ff:ff, VIP
  t.equal(f.toString('hex'), expected);
  t.equal(f.length, 42);
  const vmac = buildGratuitousArp('198.51.100.7', '00:00:5E:00:01:33');
  t.equal(vmac.subarray(6, 12).toString('hex'), '00005e000133', 'virtual MAC as Ethernet source');
  t.equal(vmac.subarray(22, 28).toString('hex'), '00005e000133', 'virtual MAC as sender hardware address');
  t.equal(vmac.subarray(28, 32).toString('hex'), 'c6336407');
  t.equal(vmac.subarray(38, 42).toString('hex'), 'c6336407');
});

t.test('unsolicited NA: headers, flags, option and checksum', async (t) => {
  const f = buildUnsolicitedNa('2001:db8::100', MAC, false);
  t.equal(f.length, 14 + 40 + 32);
  t.equal(f.subarray(0, 6).toString('hex'), '333300000001', 'dst MAC for ff02::1');
  t.equal(f.subarray(6, 12).toString('hex'), '02005e100001');
  t.equal(f.readUInt16BE(12), 0x86dd);
  const ip = f.subarray(14, 54);
  t.equal(ip.readUInt32BE(0), 0x60000000, 'version 6, tc 0, flow 0');
  t.equal(ip.readUInt16BE(4), 32, 'payload length');
  t.equal(ip[6], 58, 'next header ICMPv6');
  t.equal(ip[7], 255, 'hop limit 255');
  t.equal(ip.subarray(8, 24).toString('hex'), '20010db8000000000000000000000100', 'source is the VIP');
  t.equal(ip.subarray(24, 40).toString('hex'), 'ff020000000000000000000000000001', 'dst ff02::1');
  const icmp = f.subarray(54);
  t.equal(icmp[0], 136, 'type NA');
  t.equal(icmp[1], 0, 'code 0');
  t.equal(icmp[4], NA_FLAGS.override, 'Override=1, Solicited=0, Router=0');
  t.equal(icmp.subarray(5, 8).toString('hex'), '000000', 'reserved');
  t.equal(icmp.subarray(8, 24).toString('hex'), '20010db8000000000000000000000100', 'target is the VIP');
  t.equal(icmp.subarray(24).toString('hex'), '0201' + '02005e100001', 'TLLA option with our MAC');

  // Independent checksum: zero the field, rebuild the pseudo-header by hand.
  const zeroed = Buffer.from(icmp);
  zeroed.writeUInt16BE(0, 2);
  const pseudo = Buffer.concat([ip.subarray(8, 40), Buffer.from([0, 0, 0, 32, 0, 0, 0, 58])]);
  t.equal(icmp.readUInt16BE(2), referenceChecksum(Buffer.concat([pseudo, zeroed])), 'checksum equals the reference');
  t.equal(referenceChecksum(Buffer.concat([pseudo, icmp])), 0, 'sum over the frame with checksum verifies to 0');
  t.not(icmp.readUInt16BE(2), 0);
});

t.test('NA router flag and explicit source', async (t) => {
  const f = buildUnsolicitedNa('2001:db8::100', MAC, true, 'fe80::1');
  const icmp = f.subarray(54);
  t.equal(icmp[4], NA_FLAGS.override | NA_FLAGS.router, 'Router=1, Override=1');
  t.equal(icmp[4]! & NA_FLAGS.solicited, 0, 'never Solicited');
  t.equal(f.subarray(22, 38).toString('hex'), 'fe800000000000000000000000000001');
  const pseudoOk = icmpv6Checksum(parseIpv6('fe80::1'), parseIpv6('ff02::1'), (() => {
    const z = Buffer.from(icmp);
    z.writeUInt16BE(0, 2);
    return z;
  })());
  t.equal(icmp.readUInt16BE(2), pseudoOk);
  // A different source must change the checksum (the pseudo-header is really included).
  const other = buildUnsolicitedNa('2001:db8::100', MAC, true);
  t.not(other.readUInt16BE(54 + 2), icmp.readUInt16BE(2));
});

t.test('address parsers', async (t) => {
  const v6: Array<[string, string]> = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['ff02::12', 'ff020000000000000000000000000012'],
    ['2001:db8::', '20010db8000000000000000000000000'],
    ['fe80::1%eth0', 'fe800000000000000000000000000001'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['64:ff9b::198.51.100.7', '0064ff9b0000000000000000c6336407'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
  ];
  for (const [text, hex] of v6) t.equal(parseIpv6(text).toString('hex'), hex, text);
  for (const bad of ['1::2::3', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', 'g::1', '12345::', '1:2:3:4:5:6:7::8', ':1', '::1.2.3']) {
    t.throws(() => parseIpv6(bad), TypeError, `rejects ${bad}`);
  }
  t.equal(parseIpv4('192.0.2.255').toString('hex'), 'c00002ff');
  for (const bad of ['192.0.2', '192.0.2.256', '1.2.3.4.5', 'a.b.c.d', '']) t.throws(() => parseIpv4(bad), TypeError, `rejects ${bad}`);
  t.equal(formatMac(parseMac('00-00-5E-00-01-FF')), '00:00:5e:00:01:ff');
  t.throws(() => parseMac('00:00:5e:00:01'), TypeError);
  t.throws(() => parseMac('00:00:5e:00:01:zz'), TypeError);
});

/** A 20-byte IPv4 header (proto 112, TTL 255) in front of `payload`. */
function ipv4(payload: Buffer, patch: (h: Buffer) => void = () => undefined): Buffer {
  const h = Buffer.from('45c00000000040000000000000000000e0000012', 'hex');
  h.writeUInt16BE(20 + payload.length, 2);
  h[8] = 255;
  h[9] = 112;
  Buffer.from([192, 0, 2, 1]).copy(h, 12);
  patch(h);
  return Buffer.concat([h, payload]);
}

t.test('IPv4 header parsing for raw-socket input', async (t) => {
  const payload = Buffer.from('2133640100010000c0000264', 'hex');
  const ok = parseIpv4Header(ipv4(payload));
  t.ok(ok.ok);
  if (ok.ok) {
    t.same(ok.header, { headerLength: 20, totalLength: 32, ttl: 255, protocol: 112, src: '192.0.2.1', dst: '224.0.0.18' });
    t.equal(ok.payload.toString('hex'), payload.toString('hex'));
  }
  const withOptions = Buffer.concat([ipv4(Buffer.alloc(0), (h) => (h[0] = 0x46)).subarray(0, 20), Buffer.from([1, 1, 1, 0]), payload]);
  withOptions.writeUInt16BE(24 + payload.length, 2);
  const opt = parseIpv4Header(withOptions);
  t.ok(opt.ok && opt.payload.equals(payload) && opt.header.headerLength === 24, 'options skipped by IHL');

  const cases: Array<[string, Buffer, string]> = [
    ['short', Buffer.alloc(19), 'short'],
    ['version 6', ipv4(payload, (h) => (h[0] = 0x65)), 'version'],
    ['IHL 4', ipv4(payload, (h) => (h[0] = 0x44)), 'header-length'],
    ['IHL beyond data', ipv4(Buffer.alloc(0), (h) => (h[0] = 0x4f)), 'header-length'],
    ['total < header', ipv4(payload, (h) => h.writeUInt16BE(12, 2)), 'total-length'],
    ['total > received', ipv4(payload, (h) => h.writeUInt16BE(200, 2)), 'truncated'],
    ['protocol 6', ipv4(payload, (h) => (h[9] = 6)), 'protocol'],
  ];
  for (const [name, buf, reason] of cases) {
    const r = parseIpv4Header(buf);
    t.equal(r.ok ? 'ok' : r.reason, reason, name);
  }
});

t.test('PacketAnnouncer: prebuilt frames are the builders\' bytes; one ifindex lookup per interface, redone when a send is refused', async (t) => {
  const { PacketAnnouncer } = await import('../../src/net/announce');
  let ifindex = 7;
  const lookups: string[] = [];
  const sends: Array<{ ifindex: number; frame: Buffer }> = [];
  const addon = {
    packetSocket: () => ({}),
    ifInfo: (name: string) => (lookups.push(name), { ifindex }),
    sendFrame: (_s: unknown, i: number, frame: Buffer) => {
      if (i !== ifindex) throw Object.assign(new Error('sendto: ENXIO'), { code: 'ENXIO' });
      sends.push({ ifindex: i, frame });
    },
    close: () => undefined,
  };
  const a = new PacketAnnouncer(addon as never);
  a.prebuild('eth0', 'inet', '192.0.2.100', MAC, false);
  a.prebuild('eth0', 'inet6', '2001:db8::100', MAC, true);
  t.same(lookups, ['eth0'], 'prebuild learns the index once');
  a.gratuitousArp('eth0', '192.0.2.100', MAC);
  a.unsolicitedNa('eth0', '2001:db8::100', MAC, true);
  a.gratuitousArp('eth0', '192.0.2.101', MAC); // not prebuilt: built on demand
  t.same(lookups, ['eth0'], 'no lookup per frame');
  t.same(sends.map((s) => s.frame), [buildGratuitousArp('192.0.2.100', MAC), buildUnsolicitedNa('2001:db8::100', MAC, true), buildGratuitousArp('192.0.2.101', MAC)]);
  ifindex = 9; // the interface was recreated
  a.gratuitousArp('eth0', '192.0.2.100', MAC);
  t.same(sends.at(-1)?.ifindex, 9, 'a refused send looks the index up again and goes out');
  t.same(lookups, ['eth0', 'eth0'], 'one lookup, after the refusal');
});
