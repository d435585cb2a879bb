/**
 * The Rtnl adapter's own logic (errno → code, idempotence, lookups, watch ordering) against a
 * scripted socket: no root, no kernel. The kernel itself is exercised in
 * test/integration/rtnl-*.test.ts.
 */
import t from 'tap';
import { EventEmitter } from 'node:events';
import { AttrStream, FlagsNew, rt, type NetlinkMessage, type RtNetlinkSocket } from 'netlink';
import { Rtnl } from '../../src/net/rtnl';
import { AF_INET, AF_INET6, nlattr, parseIp } from '../../src/net/rtnl-codec';
import type { NetEvent } from '../../src/net/ports';

type Sent = { type: number; flags: number; body: Buffer };
type Handler = (s: Sent) => NetlinkMessage[] | Promise<NetlinkMessage[]>;

const T = rt.MessageType;

function msg(type: number, data: Buffer): NetlinkMessage {
  return { type, flags: 0, seq: 0, port: 0, data };
}

/** NLMSG_ERROR carrying -errno (0 = ACK). */
function ack(errno = 0): NetlinkMessage[] {
  const data = Buffer.alloc(20);
  data.writeInt32LE(-errno, 0);
  return [msg(2, data)];
}

function linkMsg(index: number, ifname: string, o: { up?: boolean; kind?: string; parent?: number; mac?: number[] } = {}): Buffer {
  const out = new AttrStream();
  const attrs: rt.LinkMessage['attrs'] = { ifname, address: Buffer.from(o.mac ?? [2, 0, 0, 0, 0, index]) };
  if (o.kind) attrs.linkinfo = nlattr(1, Buffer.from(o.kind));
  if (o.parent !== undefined) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(o.parent);
    attrs.link = b;
  }
  const up = o.up ?? true;
  rt.formatLinkMessage({ kind: 'link', data: { index, flags: up ? { up: true, running: true } : {} }, attrs }, out);
  return Buffer.concat(out.bufs);
}

function addrMsg(index: number, address: string, prefixlen: number): Buffer {
  const p = parseIp(address);
  const out = new AttrStream();
  const family = p?.family === 'inet6' ? AF_INET6 : AF_INET;
  rt.formatAddressMessage({ kind: 'address', data: { family, prefixlen, index }, attrs: { local: p?.bytes, address: p?.bytes } }, out);
  return Buffer.concat(out.bufs);
}

class ScriptedSocket {
  readonly sent: Sent[] = [];
  readonly memberships: string[] = [];
  readonly emitter = new EventEmitter();
  closed = false;
  readonly socket = {
    request: async (type: number, body: Uint8Array[], opts: { flags?: number }): Promise<[NetlinkMessage[], unknown]> => {
      const s = { type, flags: opts.flags ?? 0, body: Buffer.concat(body) };
      this.sent.push(s);
      return [await this.handler(s), {}];
    },
    on: (ev: string, fn: (...a: unknown[]) => void) => this.emitter.on(ev, fn),
    close: () => void (this.closed = true),
    setRecvBufferSize: () => undefined,
  };
  constructor(public handler: Handler) {}
  addMembership(g: string): void {
    this.memberships.push(g);
  }
  types(): number[] {
    return this.sent.map((s) => s.type);
  }
}

/** A kernel with eth0 (index 2) and whatever `extra` says; GETLINK by name or index. */
function kernel(extra: (s: Sent) => NetlinkMessage[] | undefined, links: Record<string, number> = { eth0: 2 }): Handler {
  return (s) => {
    if (s.type === T.GETLINK && (s.flags & 0x300) === 0x300) {
      return Object.entries(links).map(([name, idx]) => msg(T.NEWLINK, linkMsg(idx, name)));
    }
    if (s.type === T.GETLINK) {
      const req = rt.parseLinkMessage(s.body);
      const name = req.attrs.ifname ?? Object.keys(links).find((n) => links[n] === req.data.index);
      const idx = name === undefined ? undefined : links[name];
      return idx === undefined || name === undefined ? ack(19) : [msg(T.NEWLINK, linkMsg(idx, name))];
    }
    return extra(s) ?? ack(0);
  };
}

function rtnlWith(handler: Handler): { rtnl: Rtnl; sock: ScriptedSocket } {
  const sock = new ScriptedSocket(handler);
  const rtnl = new Rtnl({ openSocket: () => sock as unknown as RtNetlinkSocket });
  return { rtnl, sock };
}

const vip = { family: 'inet' as const, address: '192.0.2.100', prefixLen: 24, dev: 'eth0' };

t.test('addAddress: NEWADDR with CREATE|EXCL; EEXIST is success; other errnos are errors', async (t) => {
  let errno = 0;
  const { rtnl, sock } = rtnlWith(kernel((s) => (s.type === T.NEWADDR ? ack(errno) : undefined)));
  await rtnl.addAddress(vip);
  const add = sock.sent.find((s) => s.type === T.NEWADDR);
  t.ok(add, 'NEWADDR sent');
  t.equal((add?.flags ?? 0) & (FlagsNew.CREATE | FlagsNew.EXCL), FlagsNew.CREATE | FlagsNew.EXCL);
  t.equal(rt.parseAddressMessage(add?.body ?? Buffer.alloc(0)).data.index, 2, 'dev resolved to its ifindex');
  errno = 17;
  await t.resolves(rtnl.addAddress(vip), 'EEXIST → already there');
  errno = 1;
  await t.rejects(rtnl.addAddress(vip), { code: 'ERR_NETLINK_REQUEST', errno: 1, op: 'addAddress', message: /EPERM/ });
});

t.test('unknown device: NO_DEVICE on add, success on delete, no address request sent', async (t) => {
  const { rtnl, sock } = rtnlWith(kernel(() => undefined));
  await t.rejects(rtnl.addAddress({ ...vip, dev: 'nope0' }), { code: 'ERR_NETLINK_NO_DEVICE', errno: 19 });
  await t.resolves(rtnl.delAddress({ ...vip, dev: 'nope0' }));
  await t.resolves(rtnl.delRoute({ family: 'inet', to: '10.0.0.0/8', dev: 'nope0' }));
  await t.rejects(rtnl.addRoute({ family: 'inet', to: '10.0.0.0/8', dev: 'nope0' }), { code: 'ERR_NETLINK_NO_DEVICE' });
  await t.rejects(rtnl.setLinkUp('nope0', true), { code: 'ERR_NETLINK_NO_DEVICE' });
  await t.resolves(rtnl.deleteLink('nope0'));
  t.same(sock.types().filter((x) => x !== T.GETLINK), [], 'only lookups went out');
  t.equal(await rtnl.getLink('nope0'), undefined);
  t.equal(await rtnl.getLink('bad/name'), undefined, 'invalid names are never sent');
});

t.test('delete idempotence is decided on errno', async (t) => {
  let errno = 0;
  const { rtnl } = rtnlWith(kernel((s) => ([T.DELADDR, T.DELROUTE, T.DELRULE, T.DELLINK] as number[]).includes(s.type) ? ack(errno) : undefined, { eth0: 2, 'vrrp.1': 5 }));
  for (const e of [99, 2, 3]) {
    errno = e;
    await t.resolves(rtnl.delAddress(vip), `delAddress errno ${e}`);
  }
  for (const e of [3, 2]) {
    errno = e;
    await t.resolves(rtnl.delRoute({ family: 'inet', to: '10.0.0.0/8' }), `delRoute errno ${e}`);
  }
  errno = 2;
  await t.resolves(rtnl.delRule({ family: 'inet', priority: 100 }));
  errno = 19;
  await t.resolves(rtnl.deleteLink('vrrp.1'), 'raced with another delete');
  errno = 16;
  await t.rejects(rtnl.delAddress(vip), { code: 'ERR_NETLINK_REQUEST', errno: 16 });
  await t.rejects(rtnl.delRule({ family: 'inet', priority: 100 }), { code: 'ERR_NETLINK_REQUEST', errno: 16 });
});

t.test('route and rule adds: EEXIST is success', async (t) => {
  const { rtnl, sock } = rtnlWith(kernel((s) => (s.type === T.NEWROUTE || s.type === T.NEWRULE ? ack(17) : undefined)));
  await t.resolves(rtnl.addRoute({ family: 'inet', to: '198.51.100.0/24', via: '192.0.2.254' }));
  await t.resolves(rtnl.addRule({ family: 'inet', from: '192.0.2.0/24', table: 100 }));
  t.same(sock.types(), [T.NEWROUTE, T.NEWRULE], 'no lookups without dev');
  await t.rejects(rtnl.addRule({ family: 'inet', from: '192.0.2.0/24' }), { code: 'ERR_NETLINK_INVALID_ARG' });
});

t.test('timeouts, socket errors and close have their own codes', async (t) => {
  const timeout = rtnlWith(() => Promise.reject(new Error('Timeout has been reached')));
  await t.rejects(timeout.rtnl.listLinks(), { code: 'ERR_NETLINK_TIMEOUT', errno: 110 });
  const sockErr = rtnlWith(() => Promise.reject(Object.assign(new Error('send failed'), { errno: -105, code: 'ENOBUFS' })));
  await t.rejects(sockErr.rtnl.listLinks(), { code: 'ERR_NETLINK_SOCKET', errno: 105 });
  const open = rtnlWith(kernel(() => undefined));
  await open.rtnl.listLinks();
  open.rtnl.close();
  t.ok(open.sock.closed, 'socket closed');
  await t.rejects(open.rtnl.listLinks(), { code: 'ERR_NETLINK_CLOSED' });
  t.throws(() => open.rtnl.watch(() => undefined), { code: 'ERR_NETLINK_CLOSED' });
  const failing = new Rtnl({ openSocket: () => { throw Object.assign(new Error('EPERM'), { errno: 1 }); } });
  await t.rejects(failing.listLinks(), { code: 'ERR_NETLINK_SOCKET', errno: 1 });
});

t.test('createMacvlan: reuse a matching leftover, refuse a different one', async (t) => {
  const existing = { kind: 'macvlan', parent: 2, mac: [0, 0, 0x5e, 0, 1, 0x33] };
  let leftover: typeof existing | undefined = existing;
  const handler: Handler = (s) => {
    if (s.type === T.GETLINK) {
      const req = rt.parseLinkMessage(s.body);
      if (req.attrs.ifname === 'eth0') return [msg(T.NEWLINK, linkMsg(2, 'eth0'))];
      if (req.attrs.ifname === 'vrrp.51' && leftover) return [msg(T.NEWLINK, linkMsg(9, 'vrrp.51', { ...leftover, up: false }))];
      return ack(19);
    }
    if (s.type === T.NEWLINK) return ack(17);
    return ack(0);
  };
  const { rtnl, sock } = rtnlWith(handler);
  const l = await rtnl.createMacvlan('vrrp.51', 'eth0', '00:00:5E:00:01:33', 'private');
  t.same(l, { ifindex: 9, ifname: 'vrrp.51', up: false, mac: '00:00:5e:00:01:33', kind: 'macvlan', flags: 0 });
  t.notOk(sock.types().includes(T.SETLINK), 'a reused link is not reconfigured');
  leftover = { ...existing, mac: [0, 0, 0x5e, 0, 1, 0x34] };
  await t.rejects(rtnl.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'), { code: 'ERR_NETLINK_REQUEST', errno: 17 });
  leftover = { ...existing, parent: 3 };
  await t.rejects(rtnl.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'), { code: 'ERR_NETLINK_REQUEST', errno: 17 });
  leftover = { ...existing, kind: 'veth' };
  await t.rejects(rtnl.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private'), { code: 'ERR_NETLINK_REQUEST', errno: 17 });
});

t.test('createMacvlan: new link gets addrgenmode none', async (t) => {
  let created = false;
  const handler: Handler = (s) => {
    if (s.type === T.GETLINK) {
      const name = rt.parseLinkMessage(s.body).attrs.ifname;
      if (name === 'eth0') return [msg(T.NEWLINK, linkMsg(2, 'eth0'))];
      if (name === 'vrrp.51' && created) return [msg(T.NEWLINK, linkMsg(9, 'vrrp.51', { kind: 'macvlan', parent: 2, up: false, mac: [0, 0, 0x5e, 0, 1, 0x33] }))];
      return ack(19);
    }
    if (s.type === T.NEWLINK) created = true;
    return ack(0);
  };
  const { rtnl, sock } = rtnlWith(handler);
  const l = await rtnl.createMacvlan('vrrp.51', 'eth0', '00:00:5e:00:01:33', 'private');
  t.equal(l.ifindex, 9);
  const set = sock.sent.find((s) => s.type === T.SETLINK);
  t.ok(set, 'SETLINK sent');
  const parsed = rt.parseLinkMessage(set?.body ?? Buffer.alloc(0));
  t.equal(parsed.data.index, 9);
  t.ok(parsed.attrs.afSpec?.get(AF_INET6), 'IFLA_AF_SPEC/AF_INET6 present');
});

t.test('watch: joins the three groups, maps messages to NetEvents in order, names unknown ifindexes', async (t) => {
  const sock = new ScriptedSocket(kernel(() => undefined, { eth0: 2, 'vrrp.51': 7 }));
  const dumpLinks: Handler = (s) => (s.type === T.GETLINK && (s.flags & 0x300) === 0x300 ? [msg(T.NEWLINK, linkMsg(2, 'eth0'))] : sock.handler(s));
  const main = new ScriptedSocket(dumpLinks);
  let n = 0;
  const rtnl = new Rtnl({ openSocket: () => (n++ === 0 ? (sock as unknown as RtNetlinkSocket) : (main as unknown as RtNetlinkSocket)) });
  const events: NetEvent[] = [];
  const w = rtnl.watch((e) => events.push(e));
  t.same(sock.memberships, ['LINK', 'IPV4_IFADDR', 'IPV6_IFADDR']);
  const deliver = (m: NetlinkMessage[]): boolean => sock.emitter.emit('message', m, {});
  deliver([msg(T.NEWADDR, addrMsg(7, '192.0.2.100', 24))]); // ifindex 7 not in the dump: looked up
  deliver([msg(T.NEWLINK, linkMsg(2, 'eth0', { up: false }))]);
  deliver([msg(T.DELADDR, addrMsg(2, '2001:db8::100', 64)), msg(T.DELLINK, linkMsg(7, 'vrrp.51'))]);
  deliver([msg(T.DELADDR, addrMsg(7, '192.0.2.100', 24))]); // after DELLINK: name still known
  deliver([msg(T.NEWROUTE, Buffer.alloc(12))]); // not ours: ignored
  for (let i = 0; i < 50 && events.length < 5; i++) await new Promise((r) => setImmediate(r));
  t.same(events, [
    { type: 'addr-added', addr: { family: 'inet', address: '192.0.2.100', prefixLen: 24, ifname: 'vrrp.51', ifindex: 7 } },
    { type: 'link', link: { ifindex: 2, ifname: 'eth0', up: false, mac: '02:00:00:00:00:02', flags: 0 } },
    { type: 'addr-removed', addr: { family: 'inet6', address: '2001:db8::100', prefixLen: 64, ifname: 'eth0', ifindex: 2 } },
    { type: 'link-deleted', ifindex: 7, ifname: 'vrrp.51' },
    { type: 'addr-removed', addr: { family: 'inet', address: '192.0.2.100', prefixLen: 24, ifname: 'vrrp.51', ifindex: 7 } },
  ]);
  const errors: Error[] = [];
  const w2 = rtnl.watch(() => undefined, (e) => errors.push(e));
  w.close();
  t.ok(sock.closed, 'watch socket closed');
  deliver([msg(T.NEWLINK, linkMsg(2, 'eth0'))]);
  await new Promise((r) => setImmediate(r));
  t.equal(events.length, 5, 'nothing after close');
  w2.close();
  rtnl.close();
  t.same(errors, []);
});

t.test('watch: socket errors reach onError with a code', async (t) => {
  const sock = new ScriptedSocket(kernel(() => undefined));
  const rtnl = new Rtnl({ openSocket: () => sock as unknown as RtNetlinkSocket });
  const errors: Array<{ code?: string; errno?: number }> = [];
  const w = rtnl.watch(() => undefined, (e) => errors.push(e as { code?: string }));
  sock.emitter.emit('error', Object.assign(new Error('recv'), { errno: -105, code: 'ENOBUFS' }));
  t.match(errors, [{ code: 'ERR_NETLINK_SOCKET', errno: 105 }]);
  w.close();
  rtnl.close();
});

t.test('watch: after an overrun, a resync dump is diffed against what was told, in a fixed order', async (t) => {
  let state: 'A' | 'B' = 'A';
  let dumps = 0;
  const dumpHandler: Handler = (s) => {
    const dump = (s.flags & 0x300) === 0x300;
    if (dump && s.type === T.GETLINK) {
      dumps++;
      // A notification arriving while the first resync dump runs: that dump may be stale.
      if (dumps === 2) watchSock.emitter.emit('message', [msg(T.NEWADDR, addrMsg(3, '2001:db8::5', 64))]);
      return state === 'A'
        ? [msg(T.NEWLINK, linkMsg(2, 'eth0')), msg(T.NEWLINK, linkMsg(7, 'vrrp.51'))]
        : [msg(T.NEWLINK, linkMsg(2, 'eth0', { up: false })), msg(T.NEWLINK, linkMsg(3, 'eth1'))];
    }
    if (dump && s.type === T.GETADDR) {
      return state === 'A'
        ? [msg(T.NEWADDR, addrMsg(2, '192.0.2.100', 24)), msg(T.NEWADDR, addrMsg(7, '192.0.2.101', 24))]
        : [msg(T.NEWADDR, addrMsg(2, '192.0.2.100', 24)), msg(T.NEWADDR, addrMsg(3, '2001:db8::5', 64))];
    }
    return ack(0);
  };
  const watchSock = new ScriptedSocket(dumpHandler);
  const main = new ScriptedSocket(dumpHandler);
  let n = 0;
  const rtnl = new Rtnl({ openSocket: () => (n++ === 0 ? (watchSock as unknown as RtNetlinkSocket) : (main as unknown as RtNetlinkSocket)) });
  const events: NetEvent[] = [];
  const errors: Array<{ code?: string; errno?: number }> = [];
  const w = rtnl.watch((e) => events.push(e), (e) => errors.push(e as { code?: string }));
  const settle = async (): Promise<void> => {
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
  };
  await settle();
  t.equal(dumps, 1, 'seeded from one dump');
  t.same(events, [], 'the seed is not reported');
  state = 'B';
  watchSock.emitter.emit('error', Object.assign(new Error('recvmsg ENOBUFS'), { errno: -105, code: 'ENOBUFS' }));
  // Queued before the resync dump starts: superseded by it, not applied by itself.
  watchSock.emitter.emit('message', [msg(T.NEWADDR, addrMsg(3, '2001:db8::5', 64))]);
  await settle();
  t.match(errors, [{ code: 'ERR_NETLINK_SOCKET', errno: 105 }]);
  t.equal(dumps, 3, 'resync dumped twice: the first was dirtied by a notification arriving during it');
  t.same(events, [
    { type: 'link', link: { ifindex: 2, ifname: 'eth0', up: false, mac: '02:00:00:00:00:02', flags: 0 } },
    { type: 'link', link: { ifindex: 3, ifname: 'eth1', up: true, mac: '02:00:00:00:00:03', flags: 0x41 } },
    { type: 'addr-removed', addr: { family: 'inet', address: '192.0.2.101', prefixLen: 24, ifname: 'vrrp.51', ifindex: 7 } },
    { type: 'link-deleted', ifindex: 7, ifname: 'vrrp.51' },
    { type: 'addr-added', addr: { family: 'inet6', address: '2001:db8::5', prefixLen: 64, ifname: 'eth1', ifindex: 3 } },
  ]);
  // Back to normal: notifications are applied one by one again.
  watchSock.emitter.emit('message', [msg(T.DELADDR, addrMsg(2, '192.0.2.100', 24))]);
  await settle();
  t.same(events.at(-1), { type: 'addr-removed', addr: { family: 'inet', address: '192.0.2.100', prefixLen: 24, ifname: 'eth0', ifindex: 2 } });
  t.equal(dumps, 3);
  w.close();
  rtnl.close();
});
