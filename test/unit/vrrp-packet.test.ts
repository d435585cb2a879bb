import t from 'tap';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeAdvert,
  encodeAdvert,
  validateForInstance,
  authSupport,
  DROP_REASON_STAT,
  VrrpEncodeError,
} from '../../src/vrrp/packet';
import { internetChecksum } from '../../src/vrrp/checksum';
import type { AdvertToSend, InstanceWireConfig, RxMeta } from '../../src/vrrp/types';

const FIX = join(__dirname, '..', '..', '..', 'test', 'fixtures', 'packets');

interface Fixture {
  name: string;
  input: AdvertToSend;
  hex: string;
  ttl?: number;
}

const rxFor = (a: { family: 'inet' | 'inet6'; src: string; dst: string }, ttl = 255): RxMeta => ({
  family: a.family,
  src: a.src,
  dst: a.dst,
  ttl,
});

t.test('golden RFC-built packets encode byte-exactly and decode back (RFC 3768 §5.1, RFC 5798 §5.1)', async (t) => {
  const fixtures = JSON.parse(readFileSync(join(FIX, 'rfc-built.json'), 'utf8')) as Fixture[];
  t.ok(fixtures.length >= 6);
  for (const f of fixtures) {
    const enc = Buffer.from(encodeAdvert(f.input)).toString('hex');
    t.equal(enc, f.hex, `${f.name}: encode`);
    const dec = decodeAdvert(Buffer.from(f.hex, 'hex'), rxFor(f.input));
    if (!dec.ok) {
      t.fail(`${f.name}: decode failed ${dec.reason} ${dec.detail}`);
      continue;
    }
    t.equal(dec.advert.version, f.input.version, `${f.name}: version`);
    t.equal(dec.advert.vrid, f.input.vrid);
    t.equal(dec.advert.priority, f.input.priority);
    t.equal(dec.advert.advertIntCs, f.input.advertIntCs);
    t.same(dec.advert.addresses, f.input.addresses, `${f.name}: addresses`);
    if (f.input.version === 3) {
      t.equal(dec.advert.checksumMode, f.input.v3ChecksumAsV2 ? 'plain' : 'pseudo', `${f.name}: checksum mode`);
    } else {
      t.equal(dec.advert.authType, f.input.auth ? 1 : 0);
    }
  }
});

const captureFile = join(FIX, 'keepalived-2.2.7.json');
t.test('captured keepalived 2.2.7 adverts decode and re-encode byte-exactly', { skip: !existsSync(captureFile) && 'no capture fixture' }, async (t) => {
  const file = captureFile;
  const caps = JSON.parse(readFileSync(file, 'utf8')) as Array<{
    name: string;
    family: 'inet' | 'inet6';
    src: string;
    dst: string;
    ttl: number;
    hex: string;
    auth?: string;
    v3ChecksumAsV2?: boolean;
  }>;
  t.ok(caps.length > 0);
  for (const c of caps) {
    const dec = decodeAdvert(Buffer.from(c.hex, 'hex'), { family: c.family, src: c.src, dst: c.dst, ttl: c.ttl });
    if (!dec.ok) {
      t.fail(`${c.name}: ${dec.reason} ${dec.detail}`);
      continue;
    }
    const a = dec.advert;
    const again = encodeAdvert({
      version: a.version,
      family: c.family,
      vrid: a.vrid,
      priority: a.priority,
      advertIntCs: a.advertIntCs,
      addresses: a.addresses,
      src: c.src,
      dst: c.dst,
      ...(c.auth !== undefined ? { auth: { type: 'PASS' as const, password: c.auth } } : {}),
      ...(a.checksumMode === 'plain' ? { v3ChecksumAsV2: true } : {}),
    });
    t.equal(Buffer.from(again).toString('hex'), c.hex, `${c.name}: re-encode`);
  }
});

t.test('Internet checksum (RFC 1071) of a known buffer and of odd lengths', async (t) => {
  // RFC 1071 §3 example words 0001 f203 f4f5 f6f7 sum to ddf2 → checksum 220d.
  t.equal(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  // split across parts at an odd boundary gives the same sum
  t.equal(internetChecksum(Uint8Array.from([0x00, 0x01, 0xf2]), Uint8Array.from([0x03, 0xf4, 0xf5, 0xf6, 0xf7])), 0x220d);
  t.equal(internetChecksum(Uint8Array.from([0xff])), 0x00ff);
});

const base: AdvertToSend = {
  version: 2,
  family: 'inet',
  vrid: 51,
  priority: 100,
  advertIntCs: 100,
  addresses: ['192.0.2.100'],
  src: '192.0.2.1',
  dst: '224.0.0.18',
};
const rx4: RxMeta = { family: 'inet', src: '192.0.2.1', dst: '224.0.0.18', ttl: 255 };

t.test('decode ladder: each generic check has its own drop reason (RFC 5798 §7.1)', async (t) => {
  const good = Buffer.from(encodeAdvert(base));
  t.ok(decodeAdvert(good, rx4).ok);
  const r = (buf: Uint8Array, rx: RxMeta = rx4) => {
    const d = decodeAdvert(buf, rx);
    return d.ok ? 'ok' : d.reason;
  };
  t.equal(r(good, { ...rx4, ttl: 64 }), 'ttl', '§7.1(1) TTL must be 255 for multicast');
  t.equal(r(good, { ...rx4, ttl: 64, unicast: true }), 'ok', 'unicast without a range accepts any TTL');
  t.equal(r(good, { ...rx4, ttl: 64, unicast: true, minTtl: 65, maxTtl: 255 }), 'ttl', 'unicast min_ttl');
  t.equal(r(good, { ...rx4, ttl: 200, unicast: true, minTtl: 1, maxTtl: 100 }), 'ttl', 'unicast max_ttl');
  t.equal(r(good.subarray(0, 7)), 'length', 'shorter than the header');
  t.equal(r(good.subarray(0, good.length - 1)), 'length', 'truncated auth data');
  t.equal(r(Buffer.concat([good, Buffer.alloc(4)])), 'count', 'longer than count says');
  const v4 = Buffer.from(good);
  v4[0] = 0x41;
  t.equal(r(v4), 'version', '§7.1(2) version');
  const ty = Buffer.from(good);
  ty[0] = 0x22;
  t.equal(r(ty), 'type', 'type must be 1');
  const ck = Buffer.from(good);
  ck[7] = (ck[7] ?? 0) ^ 1;
  t.equal(r(ck), 'checksum', '§7.1(4) checksum');
  const pr = Buffer.from(good);
  pr[2] = 99; // changing a field without fixing the checksum
  t.equal(r(pr), 'checksum');
  const v2over6 = decodeAdvert(good, { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: 255 });
  t.equal(v2over6.ok ? 'ok' : v2over6.reason, 'version', 'v2 is IPv4 only');
});

t.test('v3 checksum: pseudo-header or plain accepted on IPv4, only pseudo on IPv6 (RFC 5798 §5.2.8)', async (t) => {
  const v3 = { ...base, version: 3 as const };
  const ps = decodeAdvert(encodeAdvert(v3), rx4);
  t.ok(ps.ok && ps.advert.checksumMode === 'pseudo');
  const pl = decodeAdvert(encodeAdvert({ ...v3, v3ChecksumAsV2: true }), rx4);
  t.ok(pl.ok && pl.advert.checksumMode === 'plain');
  // pseudo-header built for another destination does not verify
  const wrongDst = decodeAdvert(encodeAdvert(v3), { ...rx4, dst: '192.0.2.2' });
  t.equal(wrongDst.ok ? 'ok' : wrongDst.reason, 'checksum');
  const v6 = { ...v3, family: 'inet6' as const, addresses: ['fe80::100'], src: 'fe80::1', dst: 'ff02::12' };
  const rx6: RxMeta = { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: 255 };
  t.ok(decodeAdvert(encodeAdvert(v6), rx6).ok);
  // hop limit 255 is required for IPv6 too (RFC 5798 §5.1.2.3)
  const hl = decodeAdvert(encodeAdvert(v6), { ...rx6, ttl: 1 });
  t.equal(hl.ok ? 'ok' : hl.reason, 'ttl');
  // an IPv6 packet checksummed without a pseudo-header is rejected
  const plain6 = Buffer.from(encodeAdvert(v6));
  plain6.writeUInt16BE(0, 6);
  plain6.writeUInt16BE(internetChecksum(plain6), 6);
  const d = decodeAdvert(plain6, rx6);
  t.equal(d.ok ? 'ok' : d.reason, 'checksum');
});

t.test('v3 advert interval is 12 bits; reserved bits are ignored on receive (RFC 5798 §5.2.6-7)', async (t) => {
  const b = Buffer.from(encodeAdvert({ ...base, version: 3, advertIntCs: 4095 }));
  t.equal(b.readUInt16BE(4), 0x0fff);
  // set a reserved bit and fix the checksum: still decodes, interval unchanged
  b[4] = (b[4] ?? 0) | 0x80;
  b.writeUInt16BE(0, 6);
  const ph = Buffer.from([192, 0, 2, 1, 224, 0, 0, 18, 0, 112, 0, b.length]);
  b.writeUInt16BE(internetChecksum(ph, b), 6);
  const d = decodeAdvert(b, rx4);
  t.ok(d.ok && d.advert.advertIntCs === 4095);
  t.equal(Buffer.from(encodeAdvert({ ...base, version: 2, advertIntCs: 250 }))[5], 3, 'v2 rounds to whole seconds');
});

t.test('encode refuses our own impossible input with typed errors', async (t) => {
  t.throws(() => encodeAdvert({ ...base, family: 'inet6' }), { code: 'ERR_VRRP_ENCODE_V2_IPV6' });
  t.throws(() => encodeAdvert({ ...base, addresses: ['nope'] }), { code: 'ERR_VRRP_ENCODE_ADDRESS' });
  t.throws(() => encodeAdvert({ ...base, version: 3, addresses: ['2001:db8::1'] }), VrrpEncodeError);
  t.same(authSupport('PASS'), { ok: true });
  t.same(authSupport('AH'), { ok: true });
  t.match(authSupport('XX'), { ok: false, code: 'ERR_VRRP_AUTH_UNKNOWN' });
});

const inst: InstanceWireConfig = {
  name: 'VI_1',
  vrid: 51,
  version: 2,
  family: 'inet',
  advertIntCs: 100,
  vips: ['192.0.2.100'],
};

function validate(a: Partial<AdvertToSend>, i: Partial<InstanceWireConfig> = {}, rx: { src: string; unicast?: boolean } = { src: '192.0.2.1' }) {
  const full = { ...base, ...a };
  const d = decodeAdvert(encodeAdvert(full), { family: full.family, src: full.src, dst: full.dst, ttl: 255 });
  if (!d.ok) throw new Error(`decode: ${d.reason}`);
  return validateForInstance(d.advert, { ...inst, ...i }, rx);
}

t.test('per-instance checks (RFC 3768 §7.1 items 5-8 and the address list)', async (t) => {
  t.same(validate({}), { ok: true });
  t.match(validate({ vrid: 52 }), { ok: false, reason: 'vrid' }, '§7.1(5) VRID');
  t.match(validate({ version: 3 }), { ok: false, reason: 'version' }, 'version mismatch');
  t.match(validate({ auth: { type: 'PASS', password: 'x' } }), { ok: false, reason: 'auth_mismatch' }, '§7.1(6) auth type');
  t.match(validate({}, { auth: { type: 'PASS', password: 'x' } }), { ok: false, reason: 'auth_mismatch', detail: 'received a 0 auth from 192.0.2.1, expecting 1!' });
  t.match(validate({ auth: { type: 'PASS', password: 'wrong' } }, { auth: { type: 'PASS', password: 'secret' } }), {
    ok: false,
    reason: 'auth_failure',
    detail: 'received an invalid passwd from 192.0.2.1!',
  });
  t.same(validate({ auth: { type: 'PASS', password: 'secret12XYZ' } }, { auth: { type: 'PASS', password: 'secret12' } }), { ok: true }, 'PASS uses 8 bytes');
  t.match(validate({ advertIntCs: 200 }), { ok: false, reason: 'interval', detail: "advertisement interval mismatch with 192.0.2.1 mine=1 sec rcv'd=2 sec" }, '§7.1(8) v2 interval must match');
  const v3 = validate({ version: 3, advertIntCs: 200 }, { version: 3 });
  t.match(v3, { ok: true, warning: "advertisement interval mismatch ours = 100 centi-sec rcv'd=200 centi-sec" }, 'v3 accepts and warns');
  t.match(validate({ addresses: ['192.0.2.100', '192.0.2.101'] }), { ok: false, reason: 'addr_list', detail: 'expected 1 VIPs but received 2' });
  t.match(validate({ addresses: ['192.0.2.99'] }), {
    ok: false,
    reason: 'addr_list',
    detail: 'ip address associated with VRID 51 not present in advert from 192.0.2.1: 192.0.2.100',
  });
  t.same(validate({ addresses: ['192.0.2.99'] }, { skipCheckAdvAddr: true }), { ok: true }, 'skip_check_adv_addr');
  t.same(validate({ addresses: ['192.0.2.99'], priority: 255 }), { ok: true }, 'owner adverts skip the address check');
  t.same(validate({ addresses: ['2001:db8:0:0::1'], version: 3, family: 'inet6', src: 'fe80::1', dst: 'ff02::12' } as Partial<AdvertToSend>, { version: 3, family: 'inet6', vips: ['2001:DB8::1'] }, { src: 'fe80::1' }).ok, true, 'IPv6 compared by value');
  t.match(validate({}, { unicastPeers: ['192.0.2.9'], checkUnicastSrc: true }, { src: '192.0.2.1', unicast: true }), { ok: false, reason: 'unicast_src' });
  t.same(validate({}, { unicastPeers: ['192.0.2.1'], checkUnicastSrc: true }, { src: '192.0.2.1', unicast: true }), { ok: true });
});

t.test('every drop reason maps to a keepalived stats key or explicitly none', async (t) => {
  t.equal(DROP_REASON_STAT.ttl, 'ip_ttl_err');
  t.equal(DROP_REASON_STAT.addr_list, 'addr_list_err');
  t.equal(DROP_REASON_STAT.interval, 'advert_interval_err');
  t.equal(DROP_REASON_STAT.auth_failure, 'auth_failure');
  t.equal(DROP_REASON_STAT.auth_mismatch, 'authtype_mismatch');
  t.equal(DROP_REASON_STAT.auth_type, 'invalid_authtype');
  t.equal(DROP_REASON_STAT.type, 'invalid_type_rcvd');
  t.equal(DROP_REASON_STAT.length, 'packet_len_err');
});

t.test('advertToSend / wireConfigFor build codec inputs from the state machine config', async (t) => {
  const { advertToSend, wireConfigFor } = await import('../../src/vrrp/packet');
  const { testConfig } = await import('../support/vrrp-cfg');
  const cfg = testConfig();
  const a = advertToSend(cfg, 0, '224.0.0.18', { auth: { type: 'PASS', password: 'pw' } });
  t.match(a, { version: 2, vrid: 51, priority: 0, src: '192.0.2.1', dst: '224.0.0.18', auth: { password: 'pw' } });
  const d = decodeAdvert(encodeAdvert(a), rx4);
  t.ok(d.ok);
  if (d.ok) {
    t.same(validateForInstance(d.advert, wireConfigFor(cfg, { auth: { type: 'PASS', password: 'pw' } }), { src: '192.0.2.1' }), { ok: true });
    t.match(validateForInstance(d.advert, wireConfigFor(cfg), { src: '192.0.2.1' }), { ok: false, reason: 'auth_mismatch' });
  }
  t.notOk('auth' in advertToSend(testConfig({ version: 3 }), 100, '224.0.0.18', { auth: { type: 'PASS', password: 'pw' } }), 'no auth in v3');
});

t.test('captured keepalived adverts pass validateForInstance for a matching instance', { skip: !existsSync(captureFile) && 'no capture fixture' }, async (t) => {
  const caps = JSON.parse(readFileSync(captureFile, 'utf8')) as Array<{ name: string; family: 'inet' | 'inet6'; src: string; dst: string; ttl: number; hex: string }>;
  const v3 = caps.find((c) => c.name.includes('V3_V4 priority 200'));
  const v6 = caps.find((c) => c.name.includes('V3_V6 priority 100'));
  t.ok(v3 && v6);
  if (!v3 || !v6) return;
  const d3 = decodeAdvert(Buffer.from(v3.hex, 'hex'), v3);
  t.ok(d3.ok && d3.advert.advertIntCs === 50 && d3.advert.checksumMode === 'pseudo', 'advert_int 0.5 → 50 cs, pseudo-header checksum');
  if (d3.ok) t.same(validateForInstance(d3.advert, { name: 'V3_V4', vrid: 12, version: 3, family: 'inet', advertIntCs: 50, vips: ['192.0.2.203'] }, v3), { ok: true });
  const d6 = decodeAdvert(Buffer.from(v6.hex, 'hex'), v6);
  if (d6.ok) t.same(validateForInstance(d6.advert, { name: 'V3_V6', vrid: 14, version: 3, family: 'inet6', advertIntCs: 100, vips: ['fe80::14', '2001:db8::14'] }, v6), { ok: true });
  else t.fail(d6.detail);
});
