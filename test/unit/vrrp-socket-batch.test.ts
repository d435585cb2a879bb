/**
 * NativeVrrpSocket.sendSoon: routine adverts queued in one synchronous run leave in one
 * sendBatch (sendmmsg) call after it, in order; send() and close() send what is queued first;
 * an entry the kernel refuses is reported and skipped, the rest still leave.
 */
import t from 'tap';
import { NativeVrrpSocket } from '../../src/net/vrrp-socket';
import type { NativeAddon } from '../../src/net/native';

type Sent = { via: 'send' | 'batch'; payload: string; dst: string };

function nativeError(code: string): Error {
  return Object.assign(new Error(`sendmsg: ${code}`), { code, errno: 101 });
}

/** The addon's socket calls, recorded; `refuse`: destinations whose datagram the kernel refuses. */
function fakeAddon(refuse: Set<string> = new Set()) {
  const wire: Sent[] = [];
  const calls: string[] = [];
  const setOpts: number[] = [];
  const addon = {
    constants: { SOL_SOCKET: 1, SO_TIMESTAMPNS: 35, IPPROTO_IP: 0, IP_TOS: 1, IP_TTL: 2, IP_MULTICAST_TTL: 33, IP_MULTICAST_LOOP: 34, IP_MULTICAST_ALL: 49, IP_PKTINFO: 8, IP_RECVTTL: 12, IP_HDRINCL: 3 },
    ifInfo: () => ({ ifindex: 7 }),
    rawSocket: () => ({}),
    bindToDevice: () => undefined,
    setIntOpt: (_s: unknown, _l: number, opt: number) => void setOpts.push(opt),
    setMulticastIf: () => undefined,
    membership: () => undefined,
    startReading: () => undefined,
    close: () => void calls.push('close'),
    send: (_s: unknown, payload: Buffer, dst: string) => {
      calls.push('send');
      if (refuse.has(dst)) throw nativeError('ENETUNREACH');
      wire.push({ via: 'send', payload: payload.toString(), dst });
      return payload.length;
    },
    sendBatch: (_s: unknown, payloads: Buffer[], dsts: string[], _srcs: string[], ifindex: number, start: number, count: number) => {
      calls.push(`batch ${start}+${count} if${ifindex}`);
      let n = 0;
      for (; n < count; n++) {
        const dst = dsts[start + n] as string;
        if (refuse.has(dst)) {
          if (n === 0) throw nativeError('ENETUNREACH');
          break;
        }
        wire.push({ via: 'batch', payload: (payloads[start + n] as Buffer).toString(), dst });
      }
      return n;
    },
  } as unknown as NativeAddon;
  return { addon, wire, calls, setOpts };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

t.test('adverts queued in one run leave in one sendBatch after it, in order', async (t) => {
  const f = fakeAddon();
  const s = new NativeVrrpSocket(f.addon, { family: 'inet', ifname: 'eth0', group: '224.0.0.18' });
  for (let i = 0; i < 3; i++) s.sendSoon(Buffer.from(`a${i}`), '224.0.0.18', '192.0.2.1');
  t.same(f.wire, [], 'nothing on the wire during the run');
  await tick();
  t.same(f.calls, ['batch 0+3 if7'], 'one call');
  t.same(f.wire.map((w) => w.payload), ['a0', 'a1', 'a2']);
  t.equal(s.stats().sent, 3);
  s.sendSoon(Buffer.from('b0'), '224.0.0.18', '192.0.2.1');
  await tick();
  t.same(f.calls.slice(1), ['batch 0+1 if7'], 'the next run: a batch of its own');
  t.equal(s.stats().sent, 4);
});

t.test('send() and close() send what is queued first (a priority-0 advert never overtakes a routine one)', async (t) => {
  const f = fakeAddon();
  const s = new NativeVrrpSocket(f.addon, { family: 'inet', ifname: 'eth0', group: '224.0.0.18' });
  s.sendSoon(Buffer.from('routine'), '224.0.0.18', '192.0.2.1');
  s.send(Buffer.from('prio0'), '224.0.0.18', '192.0.2.1');
  t.same(f.wire.map((w) => `${w.via} ${w.payload}`), ['batch routine', 'send prio0']);
  s.sendSoon(Buffer.from('last'), '224.0.0.18', '192.0.2.1');
  s.close();
  t.same(f.wire.map((w) => w.payload), ['routine', 'prio0', 'last'], 'close flushes');
  t.equal(f.calls.at(-1), 'close');
  await tick();
  t.equal(f.wire.length, 3, 'the microtask after close sends nothing again');
});

t.test('a refused entry is reported and skipped; the others still leave', async (t) => {
  const f = fakeAddon(new Set(['192.0.2.9']));
  const s = new NativeVrrpSocket(f.addon, { family: 'inet', ifname: 'eth0' });
  const errors: string[] = [];
  s.onError((e) => errors.push(e.message));
  for (const dst of ['192.0.2.8', '192.0.2.9', '192.0.2.10', '192.0.2.9']) s.sendSoon(Buffer.from(dst), dst, '192.0.2.1');
  await tick();
  t.same(f.wire.map((w) => w.dst), ['192.0.2.8', '192.0.2.10']);
  t.equal(errors.length, 2);
  t.match(errors[0], /ENETUNREACH \(sending to 192\.0\.2\.9 from 192\.0\.2\.1 on eth0\)/);
  t.same(s.stats(), { received: 0, sent: 2, sendErrors: 2, dropped: {} });
});

t.test('an advert with another unicast TTL goes at once, after what is queued', async (t) => {
  const f = fakeAddon();
  const s = new NativeVrrpSocket(f.addon, { family: 'inet', ifname: 'eth0' });
  s.sendSoon(Buffer.from('ttl255'), '192.0.2.8', '192.0.2.1');
  s.sendSoon(Buffer.from('ttl64'), '192.0.2.8', '192.0.2.1', 64);
  t.same(f.wire.map((w) => `${w.via} ${w.payload}`), ['batch ttl255', 'send ttl64']);
  t.equal(f.setOpts.at(-1), 2, 'IP_TTL set for it');
  await tick();
  t.equal(f.wire.length, 2);
});
