import t from 'tap';
import { BfdState, decodeControl, encodeControl, BFD_DROP_REASONS } from '../../src/bfd/packet';
import type { BfdDropReason } from '../../src/bfd/packet';
import { seededRandom as rng } from '../support/seeded-random';

const base = { diag: 0, state: BfdState.Down, poll: false, final: false, detectMult: 3, myDiscr: 0x11223344, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 50_000 };


t.test('RFC 5880 §4.1: encode lays out the mandatory section bit by bit', async (t) => {
  const b = encodeControl({ ...base, state: BfdState.Up, diag: 3, poll: true, yourDiscr: 0xaabbccdd, desiredMinTxUs: 50_000, requiredMinRxUs: 60_000 });
  t.equal(b.toString('hex'), '23e0031811223344aabbccdd0000c3500000ea6000000000');
  const f = encodeControl({ ...base, final: true });
  t.equal(f[1], 0x50, 'Sta=Down(1)<<6 | F');
});

t.test('RFC 5880 §4.1: decode(encode(x)) round-trips every field', async (t) => {
  const p = { ...base, state: BfdState.Init, diag: 1, final: true, yourDiscr: 7, desiredMinTxUs: 300_000, requiredMinRxUs: 10_000 };
  const r = decodeControl(encodeControl(p));
  if (!r.ok) return t.fail(r.detail);
  t.match(r.pkt, { ...p, version: 1, auth: false, demand: false, multipoint: false, cpi: false, poll: false, requiredMinEchoRxUs: 0 });
});

t.test('FRR-captured packet decodes (bfdd Down, slow rate, multiplier 3)', async (t) => {
  // Version 1, Sta Down, C bit set (FRR), Mult 3, Len 24, MyDisc 0x5a3e01f2, YourDisc 0, TX 1s? RX 300ms, Echo 50ms
  const r = decodeControl(Buffer.from('20480318' + '5a3e01f2' + '00000000' + '000f4240' + '000493e0' + '0000c350', 'hex'));
  if (!r.ok) return t.fail(r.detail);
  t.equal(r.pkt.state, BfdState.Down);
  t.equal(r.pkt.cpi, true);
  t.equal(r.pkt.requiredMinRxUs, 300_000);
});

const rows: Array<[string, BfdDropReason, (b: Buffer) => Buffer]> = [
  ['§6.8.6 fewer than 24 bytes', 'length_short', (b) => b.subarray(0, 23)],
  ['§6.8.6 version is not 1', 'version', (b) => ((b[0] = (2 << 5) | (b[0]! & 0x1f)), b)],
  ['§6.8.6 Length field below 24', 'length_field', (b) => ((b[3] = 20), b)],
  ['§6.8.6 A bit set and Length below 26', 'length_field', (b) => ((b[1] = b[1]! | 0x04), (b[3] = 24), b)],
  ['§6.8.6 Length greater than the payload', 'length_exceeds', (b) => ((b[3] = 48), b)],
  ['§6.8.6 Detect Mult is zero', 'detect_mult_zero', (b) => ((b[2] = 0), b)],
  ['§6.8.6 Multipoint bit set', 'multipoint', (b) => ((b[1] = b[1]! | 0x01), b)],
  ['§6.8.6 My Discriminator zero', 'my_discr_zero', (b) => (b.writeUInt32BE(0, 4), b)],
  ['§6.8.6 Your Discriminator zero in state Up', 'your_discr_zero', (b) => ((b[1] = (3 << 6)), b.writeUInt32BE(0, 8), b)],
  ['§6.8.6 Your Discriminator zero in state Init', 'your_discr_zero', (b) => ((b[1] = (2 << 6)), b.writeUInt32BE(0, 8), b)],
  ['§6.8.6 A bit set and no authentication in use', 'auth_present', (b) => Buffer.concat([((b[1] = b[1]! | 0x04), (b[3] = 28), b), Buffer.from([1, 4, 0, 0])])],
];
for (const [name, reason, mutate] of rows) {
  t.test(`RFC 5880 ${name} → drop '${reason}'`, async (t) => {
    const r = decodeControl(mutate(encodeControl({ ...base, yourDiscr: 5 })));
    t.equal(r.ok, false);
    if (!r.ok) {
      t.equal(r.reason, reason);
      t.ok(r.detail.length > 0);
    }
  });
}

t.test('§6.8.6: Your Discriminator zero is accepted in Down and AdminDown', async (t) => {
  t.ok(decodeControl(encodeControl({ ...base, state: BfdState.Down })).ok);
  t.ok(decodeControl(encodeControl({ ...base, state: BfdState.AdminDown })).ok);
});

t.test('100,000 random and mutated payloads decode without an exception', async (t) => {
  const rand = rng(0xbfd);
  const int = (n: number) => Math.floor(rand() * n);
  const seed = encodeControl({ ...base, state: BfdState.Up, yourDiscr: 9 });
  const seen = new Map<string, number>();
  for (let i = 0; i < 100_000; i++) {
    let buf: Uint8Array;
    if (i % 4 === 3) {
      buf = Uint8Array.from(seed);
      buf.fill(0, 4 * int(6), undefined); // zero a tail from a random field on
      buf.set(seed.subarray(0, 4), 0);
    } else if (i % 3 === 0) {
      buf = new Uint8Array(int(64));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
    } else if (i % 3 === 1) {
      buf = Uint8Array.from(seed);
      for (let k = 1 + int(3); k > 0; k--) buf[int(buf.length)] = int(256);
    } else buf = Uint8Array.from(seed).subarray(int(4), int(seed.length + 1));
    let r;
    try {
      r = decodeControl(buf);
    } catch (e) {
      t.fail(`threw on ${Buffer.from(buf).toString('hex')}: ${String(e)}`);
      return;
    }
    const k = r.ok ? 'ok' : r.reason;
    seen.set(k, (seen.get(k) ?? 0) + 1);
  }
  t.ok(seen.get('ok')! > 0, 'some mutants still decode');
  for (const r of BFD_DROP_REASONS.filter((x) => x !== 'ttl' && x !== 'no_session')) t.ok((seen.get(r) ?? 0) > 0, `reason ${r} reached`);
});
