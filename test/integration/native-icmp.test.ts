/**
 * ICMP echo through the addon, as a PING_CHECK probe would do it without spawning `ping`:
 * unprivileged ping sockets (dgramSocket + IPPROTO_ICMP/ICMPV6) and the raw fallback
 * (rawSocket), IPv4 and IPv6, to loopback only. Send with send(), replies via startReading.
 * The echo request is the PING_CHECK probe's own (src/net/icmp-echo.ts); the reply parsing is the test's.
 */
import t from 'tap';
import { isRoot } from '../support/netns';
import { loadNative, type NativePacket, type NativeSocket } from '../../src/net/native';
import { echoRequest } from '../../src/net/icmp-echo';

const skip = !isRoot() && 'needs root';

type Reply = { type: number; id: number; seq: number; payload: Buffer; src: string };

/** Strip an IPv4 header when present (raw IPv4 sockets deliver it; the others do not). */
function parseIcmp(p: NativePacket, hasIpHeader: boolean): Reply | undefined {
  const off = hasIpHeader ? ((p.data[0] ?? 0) & 0x0f) * 4 : 0;
  const b = p.data.subarray(off);
  if (b.length < 8) return undefined;
  return { type: b[0] ?? -1, id: b.readUInt16BE(4), seq: b.readUInt16BE(6), payload: b.subarray(8), src: p.src };
}

async function ping(sock: NativeSocket, family: 4 | 6, raw: boolean, dst: string, seq: number): Promise<Reply | undefined> {
  const addon = loadNative();
  const id = raw ? (process.pid + seq) & 0xffff : 0; // a ping socket's id is the kernel's
  const payload = Buffer.from(`tskeepalived ${seq} ${Date.now()}`);
  const replyType = family === 4 ? 0 : 129;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(undefined), 3000);
    addon.startReading(sock, (err, pkts) => {
      if (err) return;
      for (const p of pkts) {
        const r = parseIcmp(p, raw && family === 4);
        // Raw sockets see every ICMP message of the host, our own request included: filter.
        if (r && r.type === replyType && r.seq === seq && (!raw || r.id === id) && r.payload.equals(payload)) {
          clearTimeout(timer);
          resolve(r);
        }
      }
    });
    addon.send(sock, echoRequest(family === 4, id, seq, payload), dst, '', 0);
  });
}

for (const [family, dst] of [[4, '127.0.0.1'], [6, '::1']] as const) {
  for (const raw of [false, true]) {
    t.test(`echo ${dst} over a ${raw ? 'raw' : 'ping (SOCK_DGRAM)'} socket`, { skip }, async (t) => {
      const addon = loadNative();
      const c = addon.constants;
      const proto = family === 4 ? c.IPPROTO_ICMP : c.IPPROTO_ICMPV6;
      let sock: NativeSocket;
      try {
        sock = raw ? addon.rawSocket(family, proto) : addon.dgramSocket(family, proto);
      } catch (e) {
        // A host whose ping_group_range excludes us: the raw variant is the fallback.
        if (!raw && (e as { code?: string }).code === 'EACCES') {
          t.pass('ping sockets not allowed for this gid: only the raw variant applies');
          return;
        }
        throw e;
      }
      t.teardown(() => addon.close(sock));
      const seq = 100 + family + (raw ? 1 : 0);
      const r = await ping(sock, family, raw, dst, seq);
      t.ok(r, 'echo reply received');
      t.equal(r?.src, dst, 'from the pinged address');
      t.equal(r?.seq, seq);
    });
  }
}

t.test('dgramSocket validates its arguments', async (t) => {
  const addon = loadNative();
  t.throws(() => addon.dgramSocket(5 as 4, 1), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => addon.dgramSocket(4, 'x' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
});
