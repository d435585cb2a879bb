/**
 * IPv6 BFD across a router, in three namespaces (the IPv6 twin of bfd-multihop.test.ts):
 *
 *   h1 ours (2001:db8:1::1 on eth0) — h2 router (2001:db8:1::2 | 2001:db8:2::2,
 *   net.ipv6.conf.all.forwarding=1) — h3 peer (2001:db8:2::3 on eth1, a veth straight to the
 *   router; its bridge port is down)
 *
 * so every packet between h1 and h3 crosses one router hop. Every address is added `nodad`
 * (usable at once). Both sides are configured with `hoplimit 255` (RFC 5881 §5 / RFC 5883 §5):
 * sent with hop limit 255, received with 254 — checked on the wire on the router's peer-side
 * link (ours already forwarded: 254; the peer's not yet: 255).
 *
 * - keepalived 2.2.7 (max_hops 1 on UDP 3784; it has no 4784 socket over IPv6 either): Up;
 *   the router's forwarding cut with nftables (table inet, forward hook: IPv6 too) → both Down
 *   by Detection Time expiry, ours within Detection Time + OVERDUE_BOUND_MS (daemon-measured)
 *   and within Detection Time + SEEN_BOUND_MS of nft returning (as the test sees the log line);
 *   healed → Up. max_hops 0 on ours: the peer's hop-limit-254 packets dropped and counted
 *   (status --json bfdDrops.ttl), never Up. Side by side, max_hops 0 on keepalived: it
 *   discards ours and nothing comes Up.
 * - FRR bfdd (`peer … multihop`, UDP 4784, minimum-ttl 254) against ours with `multihop`,
 *   max_hops 1, hoplimit 255: Up on 4784 (on the wire), Down on the cut, Up when healed;
 *   max_hops 0 on ours: dropped and counted, never Up.
 * - keepalived's default hop limit (no `hoplimit` line on either side): see the last subtest.
 *
 * Observed over IPv6 (keepalived 2.2.7, FRR bfdd 8.4), against the IPv4 test:
 * - keepalived behaves as over IPv4, with IPv6 words: it listens on [::]:3784 and has no 4784
 *   socket; with max_hops 1 it comes Up across the router and goes Down by expiry on the cut
 *   ("(MH) Expired after 500 ms"); with max_hops 0 it discards ours with
 *   "Packet hop_limit(254) < 255 - discarding" (IPv4: "Packet ttl(254) < 255 - discarding"),
 *   and ours, told Down by it (diag Control Detection Time Expired), stays out of Up.
 * - keepalived's default IPv6 hop limit is 64 (its IPv4 TTL default is 255): with no `hoplimit`
 *   line it sends hop limit 64 (seen on the wire), and with max_hops 1 it accepts ours at 63
 *   across the router (Up). Ours has the same default
 *   (drop-in): last subtest, 64 sent / 63 past the router, max_hops 0 drops 63. For RFC 5881/5883's
 *   255 both sides need `hoplimit 255`, as in the first two subtests.
 * - bfdd sends hop limit 255 on its IPv6 multihop session (UDP 4784, on the wire), accepts ours at
 *   254 (minimum-ttl 254) and shows the peer as 2001:db8:1::1 with multihop true; Down on the
 *   cut, up when healed, as over IPv4. Ours is configured with `hoplimit 255` against it.
 * - Ours: hop limit sent as configured and the received one checked (bfdDrops.ttl), multihop on
 *   4784 (on the wire): no product change was needed for this lab. (Found on the way, unit-tested
 *   in bfd-service: neighbor_ip/source_ip are now kept in RFC 5952 text, so an IPv6 address
 *   written in another form still matches a datagram's addresses.)
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, MAIN, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { BFDD, startBfdd } from '../support/frr-bfdd';
import type { StatusDoc } from '../../src/observe/status';
import { captureBfd, type BfdOnWire } from '../support/bfd-wire';

const OURS = '2001:db8:1::1';
const ROUTER_A = '2001:db8:1::2';
const ROUTER_B = '2001:db8:2::2';
const PEER = '2001:db8:2::3';
const DETECT_MS = 500;
/** Ours must log Down at most this long after its Detection Time expired (its own measure). */
const OVERDUE_BOUND_MS = 100;
/** …and the test must see that line at most Detection Time + this after nft returned. */
const SEEN_BOUND_MS = 400;
/** keepalived 2.2.7's discard line for a hop limit below hoplimit − max_hops. */
const KA_DISCARD = /Packet hop_limit\(254\) < 255 - discarding/; // observed (IPv4: 'Packet ttl(254) < 255 - discarding')

/** An IPv6 address as bfd-wire prints it: uncompressed groups, no leading zeros. */
function wire6(a: string): string {
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const h = (head as string).split(':').filter(Boolean);
  const tl = tail === undefined ? [] : tail.split(':').filter(Boolean);
  const mid = tail === undefined ? [] : Array<string>(8 - h.length - tl.length).fill('0');
  return [...h, ...mid, ...tl].map((g) => parseInt(g, 16).toString(16)).join(':');
}

interface Routed {
  lab: Lab;
  h1: LabHost;
  router: LabHost;
  h3: LabHost;
}

async function routedLab6(t: Test): Promise<Routed> {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, router, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const run = async (ns: string, argv: string[]): Promise<void> => {
    const r = await lab.exec(ns, argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.stderr.trim()}`);
  };
  // h1 and the router share 2001:db8:1::/64 on the lab bridge.
  await run(h1.ns, ['ip', '-6', 'addr', 'add', `${OURS}/64`, 'dev', 'eth0', 'nodad']);
  await run(router.ns, ['ip', '-6', 'addr', 'add', `${ROUTER_A}/64`, 'dev', 'eth0', 'nodad']);
  // h3 leaves the bridge: its only link is a veth to the router.
  await run(h3.ns, ['ip', 'addr', 'flush', 'dev', 'eth0']);
  await run(h3.ns, ['ip', 'link', 'set', 'eth0', 'down']);
  await run(router.ns, ['ip', 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1', 'netns', h3.ns]);
  await run(router.ns, ['ip', '-6', 'addr', 'add', `${ROUTER_B}/64`, 'dev', 'eth1', 'nodad']);
  await run(router.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await run(router.ns, ['sysctl', '-qw', 'net.ipv6.conf.all.forwarding=1']);
  await run(h3.ns, ['ip', '-6', 'addr', 'add', `${PEER}/64`, 'dev', 'eth1', 'nodad']);
  await run(h3.ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await run(h3.ns, ['ip', '-6', 'route', 'add', '2001:db8:1::/64', 'via', ROUTER_B]);
  await run(h1.ns, ['ip', '-6', 'route', 'add', '2001:db8:2::/64', 'via', ROUTER_A]);
  const ping = await lab.exec(h1.ns, ['ping', '-6', '-c', '1', '-W', '5', PEER]);
  if (ping.code !== 0) throw new Error(`no route across the router: ${ping.stdout} ${ping.stderr}`);
  // ping's hop limit is 64: one router hop leaves 63.
  if (!/ttl=63/.test(ping.stdout)) throw new Error(`expected one hop (hop limit 63): ${ping.stdout}`);
  return { lab, h1, router, h3 };
}

const CUT = 'add table inet cut; add chain inet cut fw { type filter hook forward priority 0; policy drop; }';

const oursConf = (maxHops: number, multihop: boolean, hoplimit: number | null = 255): string => `bfd_instance MH {
  neighbor_ip ${PEER}
  source_ip ${OURS}
  min_rx 100
  min_tx 100
  multiplier 5
${hoplimit === null ? '' : `  hoplimit ${hoplimit}\n`}  max_hops ${maxHops}
${multihop ? '  multihop\n' : ''}}
`;

const kaConf = (maxHops: number, hoplimit: number | null = 255): string => `global_defs {
  router_id peer
}
bfd_instance MH {
  neighbor_ip ${OURS}
  source_ip ${PEER}
  min_rx 100
  min_tx 100
  multiplier 5
${hoplimit === null ? '' : `  hoplimit ${hoplimit}\n`}  max_hops ${maxHops}
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

/** What crossed the router's peer-side link: ours already forwarded (hop limit sent − 1), the peer's not yet. */
function checkWire(t: Test, wire: BfdOnWire[], port: number, sentHops: number, peerName: string): void {
  const fromOurs = wire.filter((p) => p.src === wire6(OURS) && p.dst === wire6(PEER));
  const fromPeer = wire.filter((p) => p.src === wire6(PEER) && p.dst === wire6(OURS));
  t.ok(
    fromOurs.length > 5 && fromOurs.every((p) => p.dstPort === port && p.ttl === sentHops - 1),
    `ours → peer: UDP ${port}, hop limit ${sentHops - 1} past the router (${fromOurs.length} packets; hop limits ${[...new Set(fromOurs.map((p) => p.ttl))].join(',')}, ports ${[...new Set(fromOurs.map((p) => p.dstPort))].join(',')})`,
  );
  t.ok(
    fromPeer.length > 5 && fromPeer.every((p) => p.dstPort === port && p.ttl === sentHops),
    `${peerName} → ours: UDP ${port}, sent with hop limit ${sentHops} (${fromPeer.length} packets; hop limits ${[...new Set(fromPeer.map((p) => p.ttl))].join(',')}, ports ${[...new Set(fromPeer.map((p) => p.dstPort))].join(',')})`,
  );
  t.ok(fromOurs.some((p) => p.state === 'Up') && fromPeer.some((p) => p.state === 'Up'), 'Up both ways on the wire');
}

/** Cut the router's forwarding, expect ours Down by expiry (bounded), heal, expect Up again. */
async function cutAndHeal(t: Test, lab: Lab, router: LabHost, ours: RunningDaemon, peerDown: () => Promise<boolean>, peerUp: () => Promise<boolean>): Promise<void> {
  const mark = ours.out.text.length;
  const cutStart = Date.now();
  const nft = await lab.exec(router.ns, ['nft', CUT]);
  const cutDone = Date.now();
  t.equal(nft.code, 0, `nftables drops the router's forwarding ${nft.stderr}`);
  t.ok(await waitFor(() => ours.out.text.slice(mark).includes('(MH) Entering Down state'), 5000, 5), 'ours: Down when the router path is cut');
  const seen = Date.now();
  const m = /\(MH\) Expired after (\d+) ms \((\d+) usec overdue\)/.exec(ours.out.text.slice(mark));
  t.ok(m, 'by Detection Time expiry');
  if (m) {
    const overdueMs = Number(m[2]) / 1000;
    t.equal(Number(m[1]), DETECT_MS, 'Detection Time 5 × 100 ms');
    t.ok(overdueMs <= OVERDUE_BOUND_MS, `ours Down ${overdueMs.toFixed(3)} ms after Detection Time expired (bound ${OVERDUE_BOUND_MS} ms)`);
    t.ok(
      seen - cutDone <= DETECT_MS + SEEN_BOUND_MS,
      `line seen ${seen - cutDone} ms after nft returned (bound Detection Time + ${SEEN_BOUND_MS} = ${DETECT_MS + SEEN_BOUND_MS} ms); nft took ${cutDone - cutStart} ms`,
    );
  }
  t.ok(await peerDown(), 'peer: Down too');
  await lab.exec(router.ns, ['nft', 'delete table inet cut']);
  const healed = ours.out.text.length;
  t.ok(await waitFor(() => ours.out.text.slice(healed).includes('(MH) Entering Up state'), 15_000), 'ours: Up again once the router forwards');
  t.ok(await peerUp(), 'peer: Up again');
}

/** Ours with max_hops 0: the peer's packets, one hop down from `hoplimit`, are dropped and counted; the session stays Down. */
async function hopLimitTooLow(t: Test, lab: Lab, ours: RunningDaemon, multihop: boolean, hoplimit: number | null = 255): Promise<void> {
  const before = (await status(lab, ours))?.bfdDrops?.ttl ?? 0;
  const mark = ours.out.text.length;
  t.ok(await reload(ours, oursConf(0, multihop, hoplimit), 'Reload complete'), 'ours reloaded with max_hops 0');
  const dropped = await waitFor(async () => {
    const s = await status(lab, ours);
    return (s?.bfdDrops?.ttl ?? 0) >= before + 3 ? s : undefined;
  }, 10_000, 200);
  t.ok(dropped, `the peer's packets (hop limit ${(hoplimit ?? 64) - 1}, one hop) dropped and counted: bfdDrops ${JSON.stringify(dropped?.bfdDrops)}`);
  await new Promise((r) => setTimeout(r, 3000));
  const s = await status(lab, ours);
  t.not(s?.bfdSessions[0]?.state, 'Up', `ours not Up (${s?.bfdSessions[0]?.state})`);
  t.notOk(ours.out.text.slice(mark).includes('(MH) Entering Up state'), 'never Up with max_hops 0');
  t.ok((s?.bfdDrops?.ttl ?? 0) > (dropped?.bfdDrops?.ttl ?? 0), 'still dropping');
}

const needRoot = !isRoot() && 'needs root';
const WIRE_FILTER = 'udp and (port 3784 or port 4784)';

t.test('IPv6 across a router: ours and keepalived 2.2.7 with max_hops 1, hoplimit 255 (port 3784)', { skip: needRoot || (!KEEPALIVED_BIN && 'keepalived not installed') }, async (t) => {
  const { lab, h1, router, h3 } = await routedLab6(t);
  const cap = captureBfd(lab, router.ns, 'eth1', WIRE_FILTER);
  const ours = startDaemon(lab, h1, oursConf(1, false));
  const ka = startKeepalived(lab, h3, kaConf(1));
  logsOnFailure(t, ours, ka);
  t.ok(await ours.out.waitFor('(MH) Entering Up state', 45_000), 'ours: Up across the router');
  t.ok(await ka.out.waitFor('(MH) Entering Up state', 5000), 'keepalived: Up');
  const sockets = await lab.exec(h3.ns, ['ss', '-uanp']);
  t.match(sockets.stdout, /\[::\]:3784\b|\*:3784\b/, 'keepalived listens on [::]:3784');
  t.notMatch(sockets.stdout, /:4784\b/, 'keepalived has no multihop (4784) socket');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(ours.out.has('(MH) Entering Down state'), 'no false Down');
  checkWire(t, cap.packets(), 3784, 255, 'keepalived');
  cap.stop();

  let kaMark = ka.out.text.length;
  await cutAndHeal(
    t, lab, router, ours,
    async () => !!(await waitFor(() => /\(MH\) Expired after \d+ ms/.test(ka.out.text.slice(kaMark)), 3000)),
    async () => !!(await waitFor(() => ka.out.text.slice(kaMark).includes('(MH) Entering Up state'), 10_000)),
  );

  await hopLimitTooLow(t, lab, ours, false);
  t.notOk(/Packet \S+\(\d+\) < \d+ - discarding/.test(ka.out.text), 'keepalived (max_hops 1) accepts ours all along');

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
  t.ok(await waitFor(() => KA_DISCARD.test(ka.out.text.slice(kaMark)), 15_000), `keepalived with max_hops 0 discards ours: ${KA_DISCARD.source}`);
  t.ok(await waitFor(() => ours.out.text.slice(oursMark).includes('(MH) Entering Down state'), 10_000), 'ours: Down (keepalived stopped accepting it)');
  await new Promise((r) => setTimeout(r, 1000));
  const quiet = [ours.out.text.length, ka.out.text.length] as const;
  await new Promise((r) => setTimeout(r, 3000));
  t.notOk(ours.out.text.slice(quiet[0]).includes('(MH) Entering Up state'), 'ours: not Up while keepalived drops its packets');
  t.notOk(ka.out.text.slice(quiet[1]).includes('(MH) Entering Up state'), 'keepalived: not Up with max_hops 0');
  t.comment(`after keepalived's max_hops 0 - ours: ${(ours.out.text.slice(oursMark).match(/\(MH\) [^\n]*/g) ?? []).join(' | ')}; keepalived: ${(ka.out.text.slice(kaMark).match(/\(MH\) [^\n]*|Packet [^\n]*/g) ?? []).slice(0, 4).join(' | ')}`);
});

t.test('IPv6 across a router: ours `multihop` against FRR bfdd multihop (RFC 5883, port 4784)', { skip: needRoot || (!fs.existsSync(BFDD) && 'FRR is not installed') }, async (t) => {
  const { lab, h1, router, h3 } = await routedLab6(t);
  const frr = startBfdd(lab, h3, [{ peer: OURS, local: PEER, intervalMs: 100, multiplier: 5, multihop: true }]);
  const ours = startDaemon(lab, h1, oursConf(1, true));
  logsOnFailure(t, ours);
  t.teardown(() => {
    if (!t.passing()) t.comment(`bfdd log:\n${frr.out.text}`);
  });
  const cap = captureBfd(lab, router.ns, 'eth1', WIRE_FILTER);
  t.ok(await ours.out.waitFor('(MH) Entering Up state', 45_000), 'ours: Up across the router');
  t.ok(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 5000), 'bfdd: up');
  await new Promise((r) => setTimeout(r, 1500));
  t.notOk(ours.out.has('(MH) Entering Down state'), 'no false Down');
  checkWire(t, cap.packets(), 4784, 255, 'bfdd');
  const peer = (await frr.peers()).find((p) => p.status === 'up');
  t.equal(peer?.multihop, true, 'bfdd: a multihop peer');
  t.equal(peer?.peer, OURS, 'bfdd: the peer is ours over IPv6');
  cap.stop();

  await cutAndHeal(
    t, lab, router, ours,
    async () => !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'down'), 3000)),
    async () => !!(await waitFor(async () => (await frr.peers()).some((p) => p.status === 'up'), 10_000)),
  );

  await hopLimitTooLow(t, lab, ours, true);
  t.ok((await frr.peers()).every((p) => p.status !== 'up'), 'bfdd: not up either');
});

t.test("IPv6 across a router with keepalived's default hop limit (64) on both sides, max_hops 1", { skip: needRoot || (!KEEPALIVED_BIN && 'keepalived not installed') }, async (t) => {
  const { lab, h1, router, h3 } = await routedLab6(t);
  const cap = captureBfd(lab, router.ns, 'eth1', WIRE_FILTER);
  const ours = startDaemon(lab, h1, oursConf(1, false, null));
  const ka = startKeepalived(lab, h3, kaConf(1, null));
  logsOnFailure(t, ours, ka);
  t.ok(await ours.out.waitFor('(MH) Entering Up state', 45_000), 'ours: Up across the router');
  t.ok(await ka.out.waitFor('(MH) Entering Up state', 5000), 'keepalived: Up');
  await new Promise((r) => setTimeout(r, 1500));
  checkWire(t, cap.packets(), 3784, 64, 'keepalived');
  cap.stop();
  // max_hops 0 on ours: 63 < 64 − 0, dropped and counted.
  await hopLimitTooLow(t, lab, ours, false, null);
});
