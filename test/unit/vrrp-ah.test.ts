import t from 'tap';
import { createHmac } from 'node:crypto';
import {
  acceptSeq,
  ahKey,
  AH_HEADER_LEN,
  decodeAhDatagram,
  encodeAhDatagram,
  icvMatches,
  type HmacMd5,
} from '../../src/vrrp/ah';
import { decodeAdvert, encodeAdvert, validateForInstance } from '../../src/vrrp/packet';
import { AUTH_AH } from '../../src/vrrp/types';
import { instance, load, withCode } from './config-helpers';
import { AhSession } from '../../src/runtime/ah-session';
import { needsRestart } from '../../src/runtime/reload';
import type { VrrpInstance } from '../../src/config/model';

const hmac: HmacMd5 = (key, data) => createHmac('md5', key).update(data).digest();

/*
 * Captured from Debian's keepalived 2.2.7 (tcpdump -X on the peer), VRRPv2 VRID 51, priority
 * 150, advert_int 1, VIP 192.0.2.100, sender 192.0.2.1, `auth_type AH`, `auth_pass secret12`.
 * The first two adverts of a run (IP ID and AH sequence 1, 2) and the priority-0 advert at stop.
 */
const KA_SEQ1 = '45c0004000010000ff3318b6c0000201e000001270040000c000020100000001357913b05e266bc7cffdf4b52133960102018465c00002640000000000000000';
const KA_SEQ2 = '45c0004000020000ff3318b5c0000201e000001270040000c000020100000002c08796500d4b0da0bd04064e2133960102018465c00002640000000000000000';
const KA_PRIO0 = '45c0004000050000ff3318b2c0000201e000001270040000c00002010000000584432053fa0cbee817c689422133000102011a66c00002640000000000000000';
/* Same set-up with `auth_pass longpassword123`: keepalived logs "Truncating auth_pass to 8 characters". */
const KA_LONGPASS = '45c0004000010000ff3318b6c0000201e000001270040000c000020100000001f5c6d97530c8db2177b0490c2133960102018465c00002640000000000000000';

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const key = ahKey('secret12');

const wire = { name: 'VI_1', vrid: 51, version: 2 as const, family: 'inet' as const, advertIntCs: 100, vips: ['192.0.2.100'], auth: { type: 'AH' as const, password: 'secret12' } };

t.test('decodes keepalived AH adverts and verifies their ICV', async (t) => {
  for (const [name, h, seq, prio] of [['seq1', KA_SEQ1, 1, 150], ['seq2', KA_SEQ2, 2, 150], ['prio0', KA_PRIO0, 5, 0]] as const) {
    const d = hex(h);
    const r = decodeAhDatagram(d);
    if (!r.ok) throw new Error(`${name}: ${r.detail}`);
    t.equal(r.packet.src, '192.0.2.1', name);
    t.equal(r.packet.dst, '224.0.0.18');
    t.equal(r.packet.spi, 0xc0000201, 'SPI is the sender address');
    t.equal(r.packet.seq, seq);
    t.equal(r.packet.ttl, 255);
    t.ok(icvMatches(d, r.packet, key, hmac), `${name}: ICV verifies under secret12`);
    const adv = decodeAdvert(r.packet.vrrp, { family: 'inet', src: r.packet.src, dst: r.packet.dst, ttl: r.packet.ttl });
    if (!adv.ok) throw new Error(adv.detail);
    t.equal(adv.advert.authType, AUTH_AH);
    t.equal(adv.advert.priority, prio);
    t.same([...adv.advert.authData], [0, 0, 0, 0, 0, 0, 0, 0], 'AH adverts carry zero auth data');
    t.same(validateForInstance(adv.advert, wire, { src: '192.0.2.1' }), { ok: true });
  }
});

t.test('encodes byte for byte what keepalived sends', async (t) => {
  for (const [h, seq, prio] of [[KA_SEQ1, 1, 150], [KA_SEQ2, 2, 150], [KA_PRIO0, 5, 0]] as const) {
    const vrrp = encodeAdvert({ version: 2, family: 'inet', vrid: 51, priority: prio, advertIntCs: 100, addresses: ['192.0.2.100'], auth: { type: 'AH', password: 'secret12' }, src: '192.0.2.1', dst: '224.0.0.18' });
    const out = encodeAhDatagram({ src: '192.0.2.1', dst: '224.0.0.18', ipId: seq, seq, vrrp, key, hmac });
    t.equal(out.toString('hex'), h, `seq ${seq} prio ${prio}`);
  }
});

t.test('auth_pass is truncated to 8 bytes as keepalived does', async (t) => {
  const d = hex(KA_LONGPASS);
  const r = decodeAhDatagram(d);
  if (!r.ok) throw new Error(r.detail);
  t.ok(icvMatches(d, r.packet, ahKey('longpassword123'), hmac));
  t.ok(icvMatches(d, r.packet, ahKey('longpass'), hmac));
  t.notOk(icvMatches(d, r.packet, ahKey('secret12'), hmac));
  t.same([...ahKey('ab')], [0x61, 0x62, 0, 0, 0, 0, 0, 0]);
});

t.test('a wrong key, a changed byte or a mutable field', async (t) => {
  const d = hex(KA_SEQ1);
  const r = decodeAhDatagram(d);
  if (!r.ok) throw new Error(r.detail);
  t.notOk(icvMatches(d, r.packet, ahKey('secret13'), hmac), 'wrong key fails');
  const prio = Buffer.from(d);
  prio[AH_HEADER_LEN + 20 + 2] = 200; // priority
  const rp = decodeAhDatagram(prio);
  t.ok(rp.ok && !icvMatches(prio, rp.packet, key, hmac), 'altered priority fails');
  const ttl = Buffer.from(d);
  ttl[8] = 64;
  const rt = decodeAhDatagram(ttl);
  t.ok(rt.ok && !icvMatches(ttl, rt.packet, key, hmac), 'TTL is covered by keepalived\'s ICV');
  const tos = Buffer.from(d);
  tos[1] = 0;
  tos[6] = 0x40; // DF
  tos[10] = 0xab;
  const rm = decodeAhDatagram(tos);
  t.ok(rm.ok && icvMatches(tos, rm.packet, key, hmac), 'TOS, flags and header checksum are mutable');
});

t.test('malformed input never throws', async (t) => {
  const d = hex(KA_SEQ1);
  for (let n = 0; n < d.length; n++) {
    const r = decodeAhDatagram(d.subarray(0, n));
    t.equal(r.ok, false, `truncated to ${n}`);
  }
  const nh = Buffer.from(d);
  nh[20] = 6;
  t.match(decodeAhDatagram(nh), { ok: false, reason: 'ah_next_header' });
  const pl = Buffer.from(d);
  pl[21] = 5;
  t.match(decodeAhDatagram(pl), { ok: false, reason: 'ah_malformed' });
  const proto = Buffer.from(d);
  proto[9] = 112;
  t.match(decodeAhDatagram(proto), { ok: false, reason: 'ah_malformed' });
  t.match(decodeAhDatagram('junk' as unknown as Uint8Array), { ok: false });
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.from(d);
    b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
    const r = decodeAhDatagram(b);
    if (r.ok) icvMatches(b, r.packet, key, hmac);
  }
  t.pass('2000 random single-byte mutations decoded without throwing');
});

t.test('sequence numbers: strictly increasing, counter follows what was accepted', async (t) => {
  t.same(acceptSeq(0, 1), { ok: true, counter: 1 });
  t.same(acceptSeq(6, 7), { ok: true, counter: 7 });
  t.same(acceptSeq(6, 15), { ok: true, counter: 15 }, 'gaps are fine (a new master continues from its own counter)');
  t.same(acceptSeq(6, 6), { ok: false, counter: 6 }, 'replay');
  t.same(acceptSeq(6, 2), { ok: false, counter: 6 }, 'old');
});

t.test('encode refuses IP ID 0 and bad addresses', async (t) => {
  const vrrp = new Uint8Array(20);
  t.throws(() => encodeAhDatagram({ src: '192.0.2.1', dst: '224.0.0.18', ipId: 0, seq: 1, vrrp, key, hmac }), { code: 'ERR_VRRP_AH_IPID' });
  t.throws(() => encodeAhDatagram({ src: 'x', dst: '224.0.0.18', ipId: 1, seq: 1, vrrp, key, hmac }), { code: 'ERR_VRRP_AH_ADDRESS' });
});

t.test('config: what keepalived 2.2.7 does around AH', async (t) => {
  const ah = (extra: string): string => instance(`${extra}\n  authentication {\n    auth_type AH\n    auth_pass longpassword123\n  }`);
  const r = load(ah('  state MASTER\n  priority 100'));
  const m = r.model?.vrrpInstances[0];
  t.equal(m?.auth?.type, 'AH');
  t.equal(m?.auth?.pass, 'longpass', 'auth_pass truncated to 8 characters');
  t.equal(m?.state, 'BACKUP', 'initial state MASTER is cleared');
  const clear = withCode(r, 'ERR_CONFIG_AH_INITIAL_MASTER');
  t.equal(clear.length, 1);
  t.equal(clear[0]?.message, '(VI_1) Initial state master is incompatible with AH authentication - clearing');
  t.equal(withCode(r, 'ERR_CONFIG_AUTH_PASS_TRUNCATED').length, 1);
  const v3 = load(ah('  version 3'));
  t.equal(v3.model?.vrrpInstances[0]?.auth, undefined, 'VRRPv3: authentication ignored, as keepalived');
  const w = withCode(v3, 'ERR_CONFIG_AUTH_V3');
  t.equal(w[0]?.message, '(VI_1) VRRP version 3 does not support authentication. Ignoring.');
  t.ok(w[0]?.loc?.line, 'with its file:line');
  t.same(withCode(v3, 'ERR_CONFIG_UNSUPPORTED'), []);
  const strict = load('global_defs {\n vrrp_strict\n}\n' + ah('  accept'));
  t.equal(strict.model?.vrrpInstances[0]?.auth, undefined, 'vrrp_strict: authentication ignored (keepalived then opens proto 112, not 51)');
  t.ok(withCode(strict, 'ERR_CONFIG_STRICT').some((d) => d.message === '(VI_1) Strict mode does not support authentication. Ignoring.'));
});

t.test('AhSession: one counter both ways, replays dropped with keepalived\'s wording', async (t) => {
  const a = new AhSession('secret12');
  const b = new AhSession('secret12');
  const vrrp = encodeAdvert({ version: 2, family: 'inet', vrid: 51, priority: 150, advertIntCs: 100, addresses: ['192.0.2.100'], auth: { type: 'AH', password: 'secret12' }, src: '192.0.2.1', dst: '224.0.0.18' });
  const d1 = a.wrap(vrrp, '192.0.2.1', '224.0.0.18');
  const d2 = a.wrap(vrrp, '192.0.2.1', '224.0.0.18');
  t.equal(d1.toString('hex'), KA_SEQ1, 'the first advert is keepalived\'s first advert');
  t.same(b.check(d1), { ok: true });
  t.same(b.check(d2), { ok: true });
  t.equal(b.seq, 2, 'the receiver\'s counter follows');
  t.same(b.check(d1), { ok: false, reason: 'ah_replay', detail: 'IPSEC-AH : sequence number 1 already processed. Packet dropped. Local(2)' });
  t.equal(b.wrap(vrrp, '192.0.2.2', '224.0.0.18').readUInt32BE(28), 3, 'a new master continues above what it saw');
  const wrong = new AhSession('secret13');
  t.same(wrong.check(a.wrap(vrrp, '192.0.2.1', '224.0.0.18')), { ok: false, reason: 'ah_auth_failed', detail: 'IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !' });
  t.equal(wrong.seq, 0, 'a rejected advert does not move the counter');
  t.match(b.check(Buffer.alloc(10)), { ok: false, reason: 'ah_malformed' });
});

t.test('reload: an auth change involving AH rebuilds the instance (another socket, another key)', async (t) => {
  const inst = (type: string, pass: string): VrrpInstance => load(instance(`  authentication {\n    auth_type ${type}\n    auth_pass ${pass}\n  }`)).model!.vrrpInstances[0]!;
  t.equal(needsRestart(inst('PASS', 'a'), inst('AH', 'a'), ['auth']), true, 'PASS → AH');
  t.equal(needsRestart(inst('AH', 'a'), inst('AH', 'b'), ['auth']), true, 'AH key change');
  t.equal(needsRestart(inst('PASS', 'a'), inst('PASS', 'b'), ['auth']), false, 'PASS change stays in place');
});
