import t from 'tap';
import { decodeAdvert, encodeAdvert, validateForInstance } from '../../src/vrrp/packet';
import type { DropReason, RxMeta } from '../../src/vrrp/types';
import { seededRandom as rng } from '../support/seeded-random';


t.test('100,000 random and mutated packets decode without an exception (house rule 3)', async (t) => {
  const rand = rng(0xdecaf);
  const int = (n: number) => Math.floor(rand() * n);
  const seeds = [
    { buf: encodeAdvert({ version: 2, family: 'inet', vrid: 51, priority: 100, advertIntCs: 100, addresses: ['192.0.2.100', '192.0.2.101'], auth: { type: 'PASS', password: 'pw' }, src: '192.0.2.1', dst: '224.0.0.18' }), rx: { family: 'inet', src: '192.0.2.1', dst: '224.0.0.18', ttl: 255 } as RxMeta },
    { buf: encodeAdvert({ version: 3, family: 'inet', vrid: 51, priority: 100, advertIntCs: 100, addresses: ['192.0.2.100'], src: '192.0.2.1', dst: '224.0.0.18' }), rx: { family: 'inet', src: '192.0.2.1', dst: '224.0.0.18', ttl: 255 } as RxMeta },
    { buf: encodeAdvert({ version: 3, family: 'inet6', vrid: 9, priority: 200, advertIntCs: 50, addresses: ['fe80::9', '2001:db8::9'], src: 'fe80::1', dst: 'ff02::12' }), rx: { family: 'inet6', src: 'fe80::1', dst: 'ff02::12', ttl: 255 } as RxMeta },
  ];
  const inst = { name: 'VI_1', vrid: 51, version: 3 as const, family: 'inet' as const, advertIntCs: 100, vips: ['192.0.2.100'] };
  const reasons = new Map<DropReason | 'ok', number>();
  let thrown = 0;
  const N = 100_000;
  for (let i = 0; i < N; i++) {
    const s = seeds[i % seeds.length]!;
    let buf: Uint8Array;
    const mode = i % 4;
    if (mode === 0) {
      buf = new Uint8Array(int(80));
      for (let j = 0; j < buf.length; j++) buf[j] = int(256);
    } else if (mode === 1) {
      buf = Uint8Array.from(s.buf);
      for (let k = 1 + int(4); k > 0; k--) buf[int(buf.length)] = int(256); // byte mutations
    } else if (mode === 2) {
      buf = Uint8Array.from(s.buf).subarray(0, int(s.buf.length + 1)); // truncation
    } else {
      buf = Uint8Array.from(s.buf);
      buf[0] = (int(2) ? 0x20 : 0x30) | 1; // valid version/type, random count, fix nothing
      buf[3] = int(256);
    }
    const rx: RxMeta = { ...s.rx, ttl: int(8) === 0 ? int(256) : 255, ...(int(10) === 0 ? { unicast: true, minTtl: int(256), maxTtl: int(256) } : {}) };
    try {
      const d = decodeAdvert(buf, rx);
      const key = d.ok ? 'ok' : d.reason;
      reasons.set(key, (reasons.get(key) ?? 0) + 1);
      if (d.ok) validateForInstance(d.advert, inst, { src: rx.src });
    } catch (e) {
      if (thrown++ < 3) t.fail(`threw on ${Buffer.from(buf).toString('hex')}: ${String(e)}`);
    }
  }
  t.equal(thrown, 0, 'no exceptions');
  // the corpus really exercised the ladder (a fuzz test that only hits one branch proves little)
  for (const r of ['ok', 'ttl', 'length', 'count', 'version', 'type', 'checksum'] as const) {
    t.ok((reasons.get(r) ?? 0) > 0, `reached ${r} (${reasons.get(r) ?? 0})`);
  }
  // non-Uint8Array input from a buggy caller is refused, not thrown on
  t.match(decodeAdvert('junk' as unknown as Uint8Array, seeds[0]!.rx), { ok: false, reason: 'length' });
});
