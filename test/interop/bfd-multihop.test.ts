/**
 * BFD across a router, in three namespaces:
 *
 *   h1 ours (192.0.2.1, eth0 on the lab bridge) — h2 router (192.0.2.2 | 198.51.100.2, ip_forward=1)
 *   — h3 peer (198.51.100.3 on eth1, a veth straight to the router; its bridge port is down)
 *
 * so every packet between h1 and h3 crosses one router hop: sent with TTL 255, received with 254.
 *
 * - keepalived 2.2.7 has no multihop port (it listens on 3784 only); its multihop is `max_hops`,
 *   the allowed TTL reduction (RFC 5881 §5's GTSM check relaxed). Ours and keepalived, both with
 *   max_hops 1 on 3784: Up across the router; the router's forwarding cut with nftables → both
 *   Down by Detection Time expiry; healed → Up. Then max_hops 0 on ours: the peer's TTL-254
 *   packets are dropped and counted (status --json bfdDrops.ttl), the session never comes Up;
 *   side by side, max_hops 0 on keepalived instead: keepalived discards ours the same way
 *   ("Packet ttl(254) < 255 - discarding") and nothing comes Up.
 * - FRR bfdd's RFC 5883 multihop (`peer … multihop`, UDP 4784, minimum-ttl 254): ours with
 *   `multihop` (our keyword: keepalived 2.2.7 has none) and max_hops 1: Up on 4784 (seen on the
 *   wire), Down on the cut, Up when healed; max_hops 0: dropped and counted, never Up.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, MAIN, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { BFDD, startBfdd } from '../support/frr-bfdd';
import type { StatusDoc } from '../../src/observe/status';
import { captureBfd } from '../support/bfd-wire';

const OURS = '192.0.2.1';
const ROUTER_A = '192.0.2.2';
const ROUTER_B = '198.51.100.2';
const PEER = '198.51.100.3';
const DETECT_MS = 500;

interface Routed {
  lab: Lab;
  h1: LabHost;
  router: LabHost;
  h3: LabHost;
}

async function routedLab(t: Test): Promise<Routed> {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, router, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const run = async (ns: string, argv: string[]): Promise<void> => {
    const r = await lab.exec(ns, argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
  };
  // h3 leaves the bridge: its only link is a veth to the router.
  await run(h3.ns, ['ip', 'addr', 'flush', 'dev', 'eth0']);
  await run(h3.ns, ['ip', 'link', 'set', 'eth0', 'down']);
  await run(router.ns, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', h3.ns]);
  await run(router.ns, ['ip', 'addr', 'add', `${ROUTER_B}/24`, 'dev', 'eth1']);
  await run(router.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await run(router.ns, ['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  await run(h3.ns, ['ip', 'addr', 'add', `${PEER}/24`, 'dev', 'eth1']);
  await run(h3.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await run(h3.ns, ['ip', 'route', 'add', '192.0.2.0/24', 'via', ROUTER_B]);
  await run(h1.ns, ['ip', 'route', 'add', '198.51.100.0/24', 'via', ROUTER_A]);
  const ping = await lab.exec(h1.ns, ['ping', '-c', '1', '-W', '5', PEER]);
  if (ping.code !== 0) throw new Error(`no route across the router: ${ping.stdout} ${ping.stderr}`);
  if (!/ttl=63/.test(ping.stdout)) throw new Error(`expected one hop (ttl=63): ${ping.stdout}`);
  return { lab, h1, router, h3 };
}

const CUT = 'add table inet cut; add chain inet cut fw { type filter hook forward priority 0; policy drop; }';

const oursConf = (maxHops: number, multihop: boolean): string => `bfd_instance MH {
  neighbor_ip ${PEER}
  source_ip ${OURS}
  min_rx 100
  min_tx 100
  multiplier 5
  max_hops ${maxHops}
${multihop ? '  multihop\n' : ''}}
`;

const kaConf = (maxHops: number): string => `global_defs {
  router_id peer
}
bfd_instance MH {
  neighbor_ip ${OURS}
  source_ip ${PEER}
  min_rx 100
  min_tx 100
  multiplier 5
  max_hops ${maxHops}
}
`;

async function status(lab: Lab, d: RunningDaemon): Promise<StatusDoc | undefined> {
  const sock = path.join(d.dir, 'keepalived.control.sock');
  const r = await lab.exec(d.host.ns, [process.execPath, MAIN, 'status', '--json', '--socket', sock], 15_000);
  try {
    return JSON.parse(r.stdout) as StatusDoc;
  } catch {
    return undefined;
  }
}

async function reload(d: RunningDaemon, conf: string, marker: RegExp | string, timeoutMs = 15_000): Promise<boolean> {
  const mark = d.out.text.length;
  fs.writeFileSync(d.conf, conf);
  process.kill(d.cp.pid as number, 'SIGHUP');
  return !!(await waitFor(() => (typeof marker === 'string' ? d.out.text.slice(mark).includes(marker) : marker.test(d.out.text.slice(mark))), timeoutMs));
}

/** Cut the router's forwarding, expect ours Down by expiry, heal, expect Up again. */
async function cutAndHeal(t: Test, lab: Lab, router: LabHost, ours: RunningDaemon, peerDown: () => Promise<boolean>, peerUp: () => Promise<boolean>): Promise<void> {
  const mark = ours.out.text.length;
  const cutAt = Date.now();
  const nft = await lab.exec(router.ns, ['nft', CUT]);
  t.equal(nft.code, 0, `nftables drops the router's forwarding ${nft.stderr}`);
  t.ok(await waitFor(() => ours.out.text.slice(mark).includes('(MH) Entering Down state'), 5000, 5), 'ours: Down when the router path is cut');
  const m = /\(MH\) Expired after (\d+) ms \((\d+) usec overdue\)/.exec(ours.out.text.slice(mark));
  t.ok(m, 'by Detection Time expiry');
  if (m) {
    t.equal(Number(m[1]), DETECT_MS, 'Detection Time 5 × 100 ms');
    t.comment(`ours Down ${(Number(m[2]) / 1000).toFixed(3)} ms after Detection Time expired; ${Date.now() - cutAt} ms from the cut to the line seen by the test`);
  }
  t.ok(await peerDown(), 'peer: Down too');
  await lab.exec(router.ns, ['nft', 'delete table inet cut']);
  const healed = ours.out.text.length;
  t.ok(await waitFor(() => ours.out.text.slice(healed).includes('(MH) Entering Up state'), 15_000), 'ours: Up again once the router forwards');
  t.ok(await peerUp(), 'peer: Up again');
}

/** Ours with max_hops 0: the peer's TTL-254 packets are dropped and counted; the session stays Down. */
async function ttlTooLow(t: Test, lab: Lab, ours: RunningDaemon, multihop: boolean): Promise<void> {
  const before = (await status(lab, ours))?.bfdDrops?.ttl ?? 0;
  const mark = ours.out.text.length;
  t.ok(await reload(ours, oursConf(0, multihop), 'Reload complete'), 'ours reloaded with max_hops 0');
  const dropped = await waitFor(async () => {
    const s = await status(lab, ours);
    return (s?.bfdDrops?.ttl ?? 0) >= before + 3 ? s : undefined;
  }, 10_000, 200);
  t.ok(dropped, `the peer's packets (TTL 254, one hop) dropped and counted: bfdDrops ${JSON.stringify(dropped?.bfdDrops)}`);
  await new Promise((r) => setTimeout(r, 3000));
  const s = await status(lab, ours);
  t.not(s?.bfdSessions[0]?.state, 'Up', `ours not Up (${s?.bfdSessions[0]?.state})`);
  t.notOk(ours.out.text.slice(mark).includes('(MH) Entering Up state'), 'never Up with max_hops 0');
  t.ok((s?.bfdDrops?.ttl ?? 0) > (dropped?.bfdDrops?.ttl ?? 0), 'still dropping');
}

const needRoot = !isRoot() && 'needs root';

t.test('across a router: ours and keepalived 2.2.7 with max_hops (port 3784)', { skip: needRoot || (!KEEPALIVED_BIN && 'keepalived not installed') }, async (t) => {
  const { lab, h1, router, h3 } = await routedLab(t);
  const ours = startDaemon(lab, h1, oursConf(1, false));
  const ka = startKeepalived(lab, h3, kaConf(1));
  logsOnFailure(t, ours, ka);
  t.ok(await ours.out.waitFor('(MH) Entering Up state', 45_000), 'ours: Up across the router');
  t.ok(await ka.out.waitFor('(MH) Entering Up state', 5000), 'keepalived: Up');
  const sockets = await lab.exec(h3.ns, ['ss', '-uanp']);
  t.match(sockets.stdout, /:3784\b/, 'keepalived listens on 3784');
  t.notMatch(sockets.stdout, /:4784\b/, 'keepalived has no multihop (4784) socket');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(ours.out.has('(MH) Entering Down state'), 'no false Down');

  let kaMark = ka.out.text.length;
  await cutAndHeal(
    t, lab, router, ours,
    async () => !!(await waitFor(() => /\(MH\) Expired after \d+ ms/.test(ka.out.text.slice(kaMark)), 3000)),
    async () => !!(await waitFor(() => ka.out.text.slice(kaMark).includes('(MH) Entering Up state'), 10_000)),
  );

  await ttlTooLow(t, lab, ours, false);
  t.notOk(/Packet ttl\(\d+\) < \d+ - discarding/.test(ka.out.text), 'keepalived (max_hops 1) accepts ours all along');

  // Side by side: max_hops 1 on ours again, then max_hops 0 on keepalived.
  const back = ours.out.text.length;
  kaMark = ka.out.text.length;
  t.ok(await reload(ours, oursConf(1, false), 'Reload complete'), 'ours back to max_hops 1');
  t.ok(
    await waitFor(() => ours.out.text.slice(back).includes('(MH) Entering Up state') && ka.out.text.slice(kaMark).includes('(MH) Entering Up state'), 15_000),
    'Up again on both sides',
  );
  kaMark = ka.out.text.length;
  const oursMark = ours.out.text.length;
  fs.writeFileSync(ka.conf, kaConf(0));
  process.kill(ka.cp.pid as number, 'SIGHUP');
  t.ok(await waitFor(() => /Packet ttl\(254\) < 255 - discarding/.test(ka.out.text.slice(kaMark)), 15_000), "keepalived with max_hops 0 discards ours: 'Packet ttl(254) < 255 - discarding'");
  t.ok(await waitFor(() => ours.out.text.slice(oursMark).includes('(MH) Entering Down state'), 10_000), 'ours: Down (keepalived stopped accepting it)');
  await new Promise((r) => setTimeout(r, 1000));
  const quiet = [ours.out.text.length, ka.out.text.length] as const;
  await new Promise((r) => setTimeout(r, 3000));
  t.notOk(ours.out.text.slice(quiet[0]).includes('(MH) Entering Up state'), 'ours: not Up while keepalived drops its packets');
  t.notOk(ka.out.text.slice(quiet[1]).includes('(MH) Entering Up state'), 'keepalived: not Up with max_hops 0');
  t.comment(`after keepalived's max_hops 0 - ours: ${(ours.out.text.slice(oursMark).match(/\(MH\) [^\n]*/g) ?? []).join(' | ')}; keepalived: ${(ka.out.text.slice(kaMark).match(/\(MH\) [^\n]*/g) ?? []).slice(0, 4).join(' | ')}`);
});

t.test('across a router: ours `multihop` against FRR bfdd multihop (RFC 5883, port 4784)', { skip: needRoot || (!fs.existsSync(BFDD) && 'FRR is not installed') }, async (t) => {
  const { lab, h1, router, h3 } = await routedLab(t);
  const frr = startBfdd(lab, h3, [{ peer: OURS, local: PEER, intervalMs: 100, multiplier: 5, multihop: true }]);
  const ours = startDaemon(lab, h1, oursConf(1, true));
  logsOnFailure(t, ours);
  t.teardown(() => {
    if (!t.passing()) t.comment(`bfdd log:\n${frr.out.text}`);
  });
  // What goes over the router: captured on its peer-side link.
  const cap = captureBfd(lab, router.ns, 'eth1', 'udp and (port 3784 or port 4784)');
  t.ok(await ours.out.waitFor('(MH) Entering Up state', 45_000), 'ours: Up across the router');
  t.ok(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 5000), 'bfdd: up');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(ours.out.has('(MH) Entering Down state'), 'no false Down');
  const wire = cap.packets();
  const fromOurs = wire.filter((p) => p.src === OURS);
  const fromPeer = wire.filter((p) => p.src === PEER);
  t.ok(fromOurs.length > 5 && fromOurs.every((p) => p.dstPort === 4784 && p.ttl === 254), `ours → peer: UDP 4784 (RFC 5883), TTL 254 past the router (${fromOurs.length} packets)`);
  t.ok(fromPeer.length > 5 && fromPeer.every((p) => p.dstPort === 4784 && p.ttl === 255), `bfdd → ours: UDP 4784, sent with TTL 255 (${fromPeer.length} packets)`);
  t.ok(fromOurs.some((p) => p.state === 'Up') && fromPeer.some((p) => p.state === 'Up'), 'Up both ways on the wire');
  const peer = (await frr.peers()).find((p) => p.status === 'up');
  t.equal(peer?.multihop, true, 'bfdd: a multihop peer');
  cap.stop();

  await cutAndHeal(
    t, lab, router, ours,
    async () => !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'down'), 3000)),
    async () => !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 10_000)),
  );

  await ttlTooLow(t, lab, ours, true);
  t.ok((await frr.peers()).every((p) => p.status !== 'up'), 'bfdd: not up either');
});
