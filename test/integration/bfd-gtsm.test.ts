/**
 * RFC 5881 §5 (GTSM) on real sockets: a single-hop BFD control packet must arrive with TTL 255.
 * From the neighbor's namespace, a valid control packet (State Down, Your Discriminator 0, from
 * the configured neighbor address and a source port in 49152–65535) is sent with TTL 254: our
 * daemon drops it and counts it (status --json bfdDrops.ttl), the session stays Down. The same
 * packet with TTL 255 is accepted: the session moves to Init (RFC 5880 §6.8.6), proving the
 * packet was otherwise good.
 */
import t from 'tap';
import path from 'node:path';
import { Lab, isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon } from '../support/daemon';
import type { StatusDoc } from '../../src/observe/status';

const MAIN = path.resolve(__dirname, '../../src/cli/main.js');
const PACKET = path.resolve(__dirname, '../../src/bfd/packet.js');

t.test('RFC 5881 §5: single-hop packet with TTL 254 dropped and counted; TTL 255 accepted', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const d = startDaemon(lab, h1, `bfd_instance B1 {\n  neighbor_ip ${h2.ipv4}\n  source_ip ${h1.ipv4}\n  min_rx 50\n  min_tx 50\n}\n`);
  logsOnFailure(t, d);
  const sock = path.join(d.dir, 'keepalived.control.sock');
  const status = async (): Promise<StatusDoc | undefined> => {
    const r = await lab.exec(h1.ns, [process.execPath, MAIN, 'status', '--json', '--socket', sock], 15_000);
    try {
      return JSON.parse(r.stdout) as StatusDoc;
    } catch {
      return undefined;
    }
  };
  t.ok(await waitFor(async () => (await status())?.bfdSessions.length === 1, 30_000, 200), 'daemon up with B1');
  const send = (ttl: number) =>
    lab.exec(h2.ns, [
      process.execPath,
      '-e',
      `const {encodeControl}=require(${JSON.stringify(PACKET)});
const b=encodeControl({diag:0,state:1,poll:false,final:false,detectMult:3,myDiscr:0x1234,yourDiscr:0,desiredMinTxUs:1000000,requiredMinRxUs:50000,requiredMinEchoRxUs:0});
const s=require('dgram').createSocket('udp4');
s.bind(49200,${JSON.stringify(h2.ipv4)},()=>{s.setTTL(${ttl});s.send(b,3784,${JSON.stringify(h1.ipv4)},()=>s.close());});`,
    ]);
  for (let i = 0; i < 3; i++) await send(254);
  const dropped = await waitFor(async () => {
    const s = await status();
    return (s?.bfdDrops?.ttl ?? 0) >= 3 ? s : undefined;
  }, 10_000, 200);
  t.ok(dropped, `TTL 254: counted as bfdDrops.ttl (${JSON.stringify((await status())?.bfdDrops)})`);
  t.match(dropped?.bfdSessions[0], { state: 'Down', remoteDiscr: undefined }, 'the session stays Down');
  t.equal(dropped?.bfdSessions[0]?.packets.received, 0, 'nothing accepted');
  t.notOk(d.out.has('(B1) Entering Init state'), 'no Init before');
  await send(255);
  t.ok(await d.out.waitFor('(B1) Entering Init state', 10_000), 'TTL 255: accepted, the session goes Init (RFC 5880 §6.8.6: Down + remote Down → Init)');
  const after = await status();
  t.equal(after?.bfdDrops?.ttl, 3, 'no further TTL drop');
  t.equal(after?.bfdSessions[0]?.packets.received, 1, 'one packet accepted');
});
