/**
 * NlSocket's own logic against a scripted addon (no kernel): the in-flight bound, FIFO order,
 * one dump at a time, reply matching on seq (data then ACK, errors, dumps ending in DONE),
 * notifications passed through, an overrun failing what is outstanding, close.
 */
import t from 'tap';
import { formatMessage, parseMessages, type NetlinkMessage } from 'netlink';
import { NlSocket, prepareRequests } from '../../src/net/nl-socket';
import { Rtnl } from '../../src/net/rtnl';
import type { NativeAddon, NativeError, NativePacket } from '../../src/net/native';

type ReadCb = (err: NativeError | null, pkts: NativePacket[]) => void;

class FakeAddon {
  sent: NetlinkMessage[] = [];
  datagrams: Buffer[] = [];
  opts: Array<[number, number, number]> = [];
  read: ReadCb | undefined;
  closed = false;
  ref: boolean | undefined;
  readonly constants = { SOL_SOCKET: 1, SO_RCVBUF: 8, SO_RCVBUFFORCE: 33, SOL_NETLINK: 270, NETLINK_ADD_MEMBERSHIP: 1, NETLINK_ROUTE: 0 };
  netlinkSocket(): object {
    return {};
  }
  setIntOpt(_s: unknown, level: number, opt: number, v: number): void {
    this.opts.push([level, opt, v]);
  }
  startReading(_s: unknown, cb: ReadCb): void {
    this.read = cb;
  }
  setRef(_s: unknown, ref: boolean): void {
    this.ref = ref;
  }
  netlinkSend(_s: unknown, buf: Buffer): number {
    this.datagrams.push(Buffer.from(buf));
    this.sent.push(...parseMessages(buf));
    return buf.length;
  }
  close(): void {
    this.closed = true;
  }
  readable(): boolean {
    return false;
  }
  /** Deliver one datagram made of these messages. */
  deliver(...msgs: Array<{ type: number; seq: number; flags?: number; data?: Buffer }>): void {
    const data = Buffer.concat(msgs.flatMap((m) => formatMessage({ type: m.type, flags: m.flags ?? 0, seq: m.seq, port: 0, data: m.data ?? Buffer.alloc(0) })));
    this.read?.(null, [{ data, src: '', dst: '', ifindex: 0, ttl: -1, ageMs: -1, truncated: false }]);
  }
}

const err = (errno: number): Buffer => {
  const b = Buffer.alloc(20);
  b.writeInt32LE(-errno, 0);
  return b;
};
const ACK = (seq: number) => ({ type: 2, seq, data: err(0) });

function open(maxInFlight = 2): { sock: NlSocket; fake: FakeAddon } {
  const fake = new FakeAddon();
  const sock = new NlSocket(0, { addon: fake as unknown as NativeAddon, maxInFlight, groups: [1, 5], rcvbuf: 65536 });
  return { sock, fake };
}

t.test('options: buffer forced, groups joined, unref by default', async (t) => {
  const { sock, fake } = open();
  t.same(fake.opts, [[1, 33, 65536], [270, 1, 1], [270, 1, 5]]);
  t.equal(fake.ref, false);
  sock.close();
  t.ok(fake.closed);
});

t.test('at most maxInFlight outstanding, sent in call order', async (t) => {
  const { sock, fake } = open(2);
  const done: number[] = [];
  const ps = [20, 21, 22, 23].map((type, i) => sock.request(type, [Buffer.from([i])]).then(() => done.push(type)));
  t.same(fake.sent.map((m) => m.type), [20, 21], 'two sent, two queued');
  t.equal(fake.ref, true, 'outstanding requests hold the event loop');
  t.equal(sock.pending, 4);
  t.ok(fake.sent.every((m) => (m.flags & 0x5) === 0x5), 'REQUEST|ACK on every request');
  fake.deliver(ACK(fake.sent[1]?.seq ?? -1)); // replies may come out of order
  await new Promise((r) => setImmediate(r));
  t.same(fake.sent.map((m) => m.type), [20, 21, 22]);
  fake.deliver(ACK(fake.sent[0]?.seq ?? -1), ACK(fake.sent[2]?.seq ?? -1));
  await new Promise((r) => setImmediate(r));
  t.same(fake.sent.map((m) => m.type), [20, 21, 22, 23]);
  fake.deliver(ACK(fake.sent[3]?.seq ?? -1));
  await Promise.all(ps);
  t.same(done, [21, 20, 22, 23]);
  t.equal(sock.pending, 0);
  t.equal(fake.ref, false, 'released when nothing is outstanding');
  sock.close();
});

t.test('one dump at a time; a dump collects until DONE; doit data then ACK', async (t) => {
  const { sock, fake } = open(8);
  const d1 = sock.request(18, [], { flags: 0x300 });
  const d2 = sock.request(22, [], { flags: 0x300 });
  const get = sock.request(18, []);
  t.same(fake.sent.map((m) => m.type), [18], 'second dump waits, and the request behind it too (FIFO)');
  const s1 = fake.sent[0]?.seq ?? -1;
  fake.deliver({ type: 16, seq: s1, flags: 2, data: Buffer.from([1, 0, 0, 0]) }, { type: 16, seq: s1, flags: 2, data: Buffer.from([2, 0, 0, 0]) });
  fake.deliver({ type: 16, seq: s1, flags: 2, data: Buffer.from([3, 0, 0, 0]) }, { type: 3, seq: s1, flags: 2, data: Buffer.alloc(4) });
  const [m1] = await d1;
  t.same(m1.map((m) => m.data[0]), [1, 2, 3], 'three parts, DONE dropped');
  t.same(fake.sent.map((m) => m.type), [18, 22, 18]);
  const s2 = fake.sent[1]?.seq ?? -1;
  const s3 = fake.sent[2]?.seq ?? -1;
  fake.deliver({ type: 16, seq: s3, data: Buffer.from([9, 0, 0, 0]) }); // doit reply...
  fake.deliver({ type: 3, seq: s2, flags: 2, data: Buffer.alloc(4) }); // empty dump
  fake.deliver(ACK(s3)); // ...and its ACK
  t.same((await d2)[0], []);
  t.same((await get)[0].map((m) => [m.type, m.data[0]]), [[16, 9]], 'data kept, ACK consumed');
  sock.close();
});

t.test('kernel errors are returned as the NLMSG_ERROR message; notifications are emitted', async (t) => {
  const { sock, fake } = open();
  const seen: NetlinkMessage[][] = [];
  sock.on('message', (m) => seen.push(m));
  const p = sock.request(20, []);
  const seq = fake.sent[0]?.seq ?? -1;
  fake.deliver({ type: 20, seq: 0, data: Buffer.from([7, 0, 0, 0]) }, { type: 2, seq, data: err(17) });
  const [[m]] = await p;
  t.equal(m?.type, 2);
  t.equal(m?.data.readInt32LE(0), -17);
  t.same(seen.map((b) => b.map((x) => x.type)), [[20]], 'the seq-0 notification was emitted');
  sock.close();
});

t.test('an overrun fails outstanding requests, not queued ones; timeouts; close rejects the rest', async (t) => {
  const { sock, fake } = open(1);
  const errors: NativeError[] = [];
  sock.on('error', (e) => errors.push(e));
  const a = sock.request(20, []);
  const b = sock.request(21, [], { timeout: 30 });
  const enobufs = Object.assign(new Error('recvmsg ENOBUFS'), { code: 'ENOBUFS', errno: -105, syscall: 'recvmsg' });
  fake.read?.(enobufs, []);
  await t.rejects(a, { code: 'ENOBUFS' });
  t.equal(errors.length, 1);
  t.same(fake.sent.map((m) => m.type), [20, 21], 'the queued request went out after');
  await t.rejects(b, /Timeout/);
  const c = sock.request(22, []);
  const d = sock.request(23, []);
  sock.close();
  await t.rejects(c, { code: 'ERR_NETLINK_CLOSED' });
  await t.rejects(d, { code: 'ERR_NETLINK_CLOSED' });
  await t.rejects(sock.request(24, []), { code: 'ERR_NETLINK_CLOSED' });
});

t.test('an overrun with no error listener is not an exception', async (t) => {
  const { sock, fake } = open();
  const enobufs = Object.assign(new Error('recvmsg ENOBUFS'), { code: 'ENOBUFS', errno: -105, syscall: 'recvmsg' });
  t.doesNotThrow(() => fake.read?.(enobufs, []));
  sock.close();
});

t.test('corked requests leave together in one datagram, each answered by its own ACK', async (t) => {
  const { sock, fake } = open(8);
  sock.cork();
  const ps = [30, 31, 32].map((type, i) => sock.request(type, [Buffer.from([i + 1, 2, 3, 4, 5])]));
  t.equal(fake.datagrams.length, 0, 'nothing sent while corked');
  sock.uncork();
  t.equal(fake.datagrams.length, 1, 'one sendmsg for the three requests');
  const d = fake.datagrams[0] as Buffer;
  t.equal(d.length, 3 * 24, 'each 21-byte message padded to a 4-byte boundary (NLMSG_ALIGN)');
  t.same([d.readUInt32LE(0), d.readUInt32LE(24), d.readUInt32LE(48)], [21, 21, 21], 'lengths unpadded in the headers');
  t.same(fake.sent.map((m) => m.type), [30, 31, 32], 'in call order');
  const seqs = fake.sent.map((m) => m.seq);
  fake.deliver(ACK(seqs[0] as number), { type: 2, seq: seqs[1] as number, data: err(17) }, ACK(seqs[2] as number));
  const r = await Promise.allSettled(ps);
  t.same(r.map((x) => x.status), ['fulfilled', 'fulfilled', 'fulfilled'], 'the kernel errno comes back as a reply, not a rejection');
  const replies = r.map((x) => (x.status === 'fulfilled' ? x.value[0][0]?.data.readInt32LE(0) : NaN));
  t.same(replies, [0, -17, 0], 'the error belongs to the second request only');
  t.equal(sock.pending, 0);
  sock.close();
});

t.test('a batch respects the in-flight bound; a dump goes alone', async (t) => {
  const { sock, fake } = open(2);
  sock.cork();
  [40, 41, 42].forEach((type) => void sock.request(type, [Buffer.alloc(4)]).catch(() => undefined));
  void sock.request(43, [Buffer.alloc(4)], { flags: 0x300 }).catch(() => undefined);
  sock.uncork();
  t.equal(fake.datagrams.length, 1);
  t.same(fake.sent.map((m) => m.type), [40, 41], 'two in flight at most');
  fake.deliver(ACK(fake.sent[0]?.seq as number), ACK(fake.sent[1]?.seq as number));
  await new Promise((r) => setImmediate(r));
  t.same(fake.sent.map((m) => m.type), [40, 41, 42, 43], 'the rest once there is room');
  t.equal(fake.datagrams.length, 3, 'the third request alone, then the dump alone: a dump shares no datagram');
  sock.close();
});

t.test('prepared requests: sent as framed, numbered in place, one errno each; they wait behind queued requests and count in flight', async (t) => {
  const { sock, fake } = open(4);
  const prep = prepareRequests(20, 0x600, [Buffer.from([1, 2, 3, 4, 5]), Buffer.from([6, 7, 8, 9])]);
  t.same(prep.offsets, [0, 24], 'messages aligned to 4 bytes');
  const p = sock.sendPrepared(prep, 1000);
  t.ok(p, 'sent at once');
  t.equal(fake.datagrams.length, 1, 'one sendmsg');
  t.same(fake.sent.map((m) => [m.type, m.flags]), [[20, 0x605], [20, 0x605]], 'REQUEST|ACK added to the flags');
  const [s1, s2] = fake.sent.map((m) => m.seq) as [number, number];
  t.equal(s2, s1 + 1, 'consecutive sequence numbers');
  t.equal(fake.ref, true, 'the loop is held while ACKs are due');
  const q = sock.request(30, [Buffer.alloc(4)]);
  t.equal(sock.pending, 1);
  t.equal(sock.sendPrepared(prep, 1000), undefined, 'the in-flight bound: two prepared + one ordinary of 4, two more do not fit');
  fake.deliver({ type: 2, seq: s2, data: err(17) });
  fake.deliver(ACK(s1));
  t.same(await p, [0, 17], 'errnos in request order, whatever the ACK order');
  fake.deliver(ACK(fake.sent[2]?.seq as number));
  await q;
  t.equal(fake.ref, false, 'released once nothing is outstanding');
  sock.cork();
  void sock.request(31, [Buffer.alloc(4)]).catch(() => undefined);
  t.equal(sock.sendPrepared(prep, 1000), undefined, 'never ahead of a queued request');
  sock.uncork();
  const p3 = sock.sendPrepared(prep, 20);
  t.ok(p3);
  const seq3 = fake.datagrams.at(-1)?.readUInt32LE(8) as number;
  t.not(seq3, s1, 'renumbered on every send');
  await t.rejects(p3 as Promise<number[]>, /Timeout/, 'no ACK in time: rejected');
  const p4 = sock.sendPrepared(prep, 1000) as Promise<number[]>;
  sock.close();
  await t.rejects(p4, { code: 'ERR_NETLINK_CLOSED' });
});

t.test('Rtnl.addAddresses over prepared requests: one datagram built ahead; EEXIST is success, ENODEV retried after a lookup, other errnos are errors', async (t) => {
  const fake = new FakeAddon();
  let index = 7;
  const rtnl = new Rtnl({ openSocket: () => ({ socket: new NlSocket(0, { addon: fake as unknown as NativeAddon, maxInFlight: 64 }), addMembership: () => undefined }), ifindexNow: () => index });
  const specs = ['192.0.2.10', '192.0.2.11', '192.0.2.12', '192.0.2.13'].map((address) => ({ family: 'inet' as const, address, prefixLen: 24, dev: 'eth0' }));
  rtnl.warmAddresses(specs);
  const built = fake.datagrams.length;
  const settled = Promise.allSettled(rtnl.addAddresses(specs));
  t.equal(fake.datagrams.length, built + 1, 'one sendmsg');
  const sent = parseMessages(fake.datagrams.at(-1) as Buffer);
  t.same(sent.map((m) => [m.type, m.flags]), specs.map(() => [20, 0x605]), 'RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE, one per VIP');
  t.same(sent.map((m) => m.data.readUInt32LE(4)), [7, 7, 7, 7], 'for the interface index known at warm-up');
  index = 9;
  fake.deliver(ACK(sent[0]?.seq as number), { type: 2, seq: sent[1]?.seq as number, data: err(17) }, { type: 2, seq: sent[2]?.seq as number, data: err(1) }, { type: 2, seq: sent[3]?.seq as number, data: err(19) });
  await new Promise((r) => setImmediate(r));
  const retry = parseMessages(fake.datagrams.at(-1) as Buffer);
  t.same(retry.map((m) => m.data.readUInt32LE(4)), [9], 'the ENODEV one sent again with the index looked up again');
  fake.deliver(ACK(retry[0]?.seq as number));
  const r = await settled;
  t.same(r.map((x) => x.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
  t.match((r[2] as PromiseRejectedResult).reason, { code: 'ERR_NETLINK_REQUEST', errno: 1, op: 'addAddress' });
  rtnl.close();
});
