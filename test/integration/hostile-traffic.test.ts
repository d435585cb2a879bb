/**
 * Issue 14, "Hostile traffic": from a third namespace, 10,000 packets/s for 30 s at a master
 * (ours) and its backup (ours): random bytes on protocol 112; adverts with a wrong VRID, TTL 64,
 * a bad checksum, a wrong version, truncated; priority-255 adverts with a wrong PASS password,
 * and without AH for an AH instance; unicast adverts from an address not in unicast_peer;
 * gratuitous ARPs for the VIP from the attacker's MAC. Asserted: the master keeps its role, its
 * advert gap on the wire stays < 1.05 × advert_int, its RSS stays within ±5 MB, every packet that reached it is counted
 * by reason (status --json; the kernel's own raw-socket drops from /proc/net/raw), and the log
 * grows by a bounded number of lines with a "suppressed N" line.
 *
 * TSK_HOSTILE_SECONDS shortens the flood (default 30) for runs by hand.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import t from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { MAIN, NODE_FLAGS, logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { advertPayload, garpFrame, ipv4Frame } from '../support/vrrp-frames';
import { captureBridge, macOf, runFlood } from '../support/wire';

const PPS = 10_000;
const SECONDS = Number(process.env.TSK_HOSTILE_SECONDS ?? 30);
const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];
const AH_VIP = '192.0.2.110';
const UC_VIP = '192.0.2.120';
const SPOOF = '192.0.2.66';
const NOT_A_PEER = '192.0.2.77';

function config(me: LabHost, peer: LabHost, master: boolean): string {
  const prio = master ? 200 : 100;
  const state = master ? 'MASTER' : 'BACKUP';
  return `global_defs {
  router_id ${me.name}
}
vrrp_instance VI_1 {
  state ${state}
  interface eth0
  virtual_router_id 51
  priority ${prio}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass s3cret
  }
  virtual_ipaddress {
    ${VIPS.map((v) => `${v}/24`).join('\n    ')}
  }
}
vrrp_instance VI_2 {
  state ${state}
  interface eth0
  virtual_router_id 52
  priority ${prio}
  advert_int 1
  authentication {
    auth_type AH
    auth_pass ahpass12
  }
  virtual_ipaddress {
    ${AH_VIP}/24
  }
}
vrrp_instance VI_3 {
  state ${state}
  interface eth0
  virtual_router_id 53
  priority ${prio}
  advert_int 1
  unicast_src_ip ${me.ipv4}
  check_unicast_src
  unicast_peer {
    ${peer.ipv4}
  }
  virtual_ipaddress {
    ${UC_VIP}/24
  }
}
`;
}

interface Kind {
  name: string;
  frames: Buffer[];
  /** Where a drop of it is counted at the master: instance name (or 'daemon') and reason; none for ARP. */
  counted?: { where: string; reason: string };
}

function attackKinds(attMac: string, master: LabHost, masterMac: string): Kind[] {
  const mc = (payload: Buffer, o: { ttl?: number; vrid?: number } = {}): Buffer => ipv4Frame({ srcMac: attMac, src: SPOOF, dst: '224.0.0.18', proto: 112, ttl: o.ttl ?? 255, payload });
  const good = (o: { vrid?: number; password?: string; priority?: number } = {}): Buffer =>
    advertPayload({ vrid: o.vrid ?? 51, priority: o.priority ?? 255, vips: VIPS, ...(o.password !== undefined ? { password: o.password } : {}) });
  const rnd = (n: number, vrid: number): Buffer => {
    const b = crypto.randomBytes(n);
    if (n > 1) b[1] = vrid;
    return b;
  };
  const badSum = (): Buffer => {
    const p = good({ password: 's3cret' });
    p.writeUInt16BE(p.readUInt16BE(6) ^ 0x5a5a, 6);
    return p;
  };
  const v1 = (): Buffer => {
    const p = good({ password: 's3cret' });
    p[0] = 0x11; // version 1
    return p;
  };
  return [
    // Random bytes aimed at VI_1 (length ≥ 2 so byte 1 is the VRID) and at no instance at all.
    { name: 'random bytes, VRID 51', frames: Array.from({ length: 32 }, (_, i) => mc(rnd(2 + ((i * 7) % 60), 51))), counted: { where: 'VI_1', reason: '*' } },
    { name: 'random bytes, unknown VRID', frames: Array.from({ length: 32 }, (_, i) => mc(rnd(2 + ((i * 5) % 60), 200 + (i % 50)))), counted: { where: 'daemon', reason: 'unknown_vrid' } },
    { name: 'wrong VRID', frames: [mc(good({ vrid: 99, password: 's3cret' }))], counted: { where: 'daemon', reason: 'unknown_vrid' } },
    { name: 'TTL 64', frames: [mc(good({ password: 's3cret' }), { ttl: 64 })], counted: { where: 'VI_1', reason: 'ttl' } },
    { name: 'bad checksum', frames: [mc(badSum())], counted: { where: 'VI_1', reason: 'checksum' } },
    { name: 'wrong version', frames: [mc(v1())], counted: { where: 'VI_1', reason: 'version' } },
    { name: 'truncated', frames: [mc(good({ password: 's3cret' }).subarray(0, 12))], counted: { where: 'VI_1', reason: 'length' } },
    { name: 'priority 255, wrong PASS', frames: [mc(good({ password: 'wrong' }))], counted: { where: 'VI_1', reason: 'auth_failure' } },
    { name: 'priority 255 without AH', frames: [mc(advertPayload({ vrid: 52, priority: 255, vips: [AH_VIP] }))], counted: { where: 'VI_2', reason: 'auth_type' } },
    {
      name: 'unicast from a non-peer',
      frames: [ipv4Frame({ srcMac: attMac, dstMac: masterMac, src: NOT_A_PEER, dst: master.ipv4, proto: 112, payload: advertPayload({ vrid: 53, priority: 255, vips: [UC_VIP], dst: master.ipv4 }) })],
      counted: { where: 'VI_3', reason: 'unicast_src' },
    },
    { name: 'GARP for the VIP', frames: [garpFrame(VIPS[0] as string, attMac)] },
  ];
}

/** Interleave the kinds: frame i of the flood is kind i mod K (each kind cycles its own variants). */
function interleave(kinds: Kind[]): Buffer[] {
  const n = Math.max(...kinds.map((k) => k.frames.length));
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) for (const k of kinds) out.push(k.frames[i % k.frames.length] as Buffer);
  return out;
}

interface StatusDoc {
  instances: Array<{ name: string; state: string; drops: Record<string, number>; adverts: { sent: number } }>;
  drops: Record<string, number>;
}

async function status(lab: Lab, d: RunningDaemon): Promise<StatusDoc> {
  const r = await lab.exec(d.host.ns, [process.execPath, ...NODE_FLAGS, MAIN, 'status', '--json', '--socket', path.join(d.dir, 'keepalived.control.sock')], 30_000);
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusDoc;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN);
}

/** Packets the kernel dropped on the daemon's raw sockets (receive buffer full): /proc/net/raw, last column. */
async function rawSocketDrops(lab: Lab, h: LabHost): Promise<number> {
  const r = await lab.exec(h.ns, ['cat', '/proc/net/raw']);
  return r.stdout.split('\n').slice(1).reduce((s, l) => {
    const f = l.trim().split(/\s+/);
    const port = parseInt((f[1] ?? ':0').split(':')[1] ?? '0', 16);
    return port === 112 ? s + Number(f[f.length - 1] ?? 0) : s;
  }, 0);
}

const dropsOf = (doc: StatusDoc, where: string): Record<string, number> => (where === 'daemon' ? doc.drops : (doc.instances.find((i) => i.name === where)?.drops ?? {}));
const sum = (o: Record<string, number>): number => Object.values(o).reduce((a, b) => a + b, 0);

t.test(`hostile traffic: ${PPS} packets/s for ${SECONDS} s from a third namespace`, { skip: !isRoot() && 'needs root', timeout: (SECONDS + 240) * 1000 }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const d1 = startDaemon(lab, h1, config(h1, h2, true));
  const d2 = startDaemon(lab, h2, config(h2, h1, false));
  logsOnFailure(t, d1, d2);
  const allVips = [...VIPS, AH_VIP, UC_VIP];
  t.ok(await waitFor(async () => (await Promise.all(allVips.map((v) => lab.hasAddress(h1, v)))).every(Boolean), 40_000), 'h1 is master of the three instances');
  t.ok(await d2.out.waitFor(/\(VI_3\).*(master set to|Entering BACKUP)/, 30_000), 'h2 is backup');
  const kinds = attackKinds(await macOf(lab, h3), h1, await macOf(lab, h1));
  const frames = interleave(kinds);
  const cap = captureBridge(lab, `src host ${h1.ipv4} and dst host 224.0.0.18 and ip proto 112 and ip[21] = 51`);
  t.teardown(cap.stop);
  await sleep(7000); // past the takeover GARP bursts; the capture runs
  // A short warm-up flood: the first packets of each kind compile code paths and fill log buffers.
  await runFlood(lab, h3, frames, PPS, 3);
  await sleep(11_000); // past the 10 s log window of the warm-up
  const quietFrom = Date.now() / 1000;
  await sleep(8000);
  const before = await status(lab, d1);
  const rawBefore = await rawSocketDrops(lab, h1);
  const pid = d1.cp.pid as number;
  const rss0 = rssKb(pid);
  const lines0 = d1.out.text.split('\n').length;
  const t0 = Date.now() / 1000;
  const flood = await runFlood(lab, h3, frames, PPS, SECONDS);
  const t1 = Date.now() / 1000;
  t.comment(`flood: ${flood.sent} packets in ${flood.seconds.toFixed(2)} s = ${flood.pps} packets/s (${flood.failed} send failures), ${kinds.length} kinds interleaved`);
  t.ok(flood.pps >= PPS * 0.95, `10k pps achieved: ${flood.pps}/s`);
  await sleep(1000);
  const rss1 = rssKb(pid);
  const after = await status(lab, d1);
  const rawAfter = await rawSocketDrops(lab, h1);
  // The suppressed lines follow the 10 s windows.
  t.ok(await d1.out.waitFor(new RegExp(`suppressed \\d+ similar log lines`), 15_000), 'a "suppressed N" line');
  await sleep(11_000);
  const grown = d1.out.text.split('\n').slice(lines0 - 1);
  cap.stop();

  // Role.
  const vipsHeld = (await Promise.all(allVips.map((v) => lab.hasAddress(h1, v)))).every(Boolean);
  const steppedDown = grown.some((l) => /Entering (BACKUP|FAULT) STATE/.test(l));
  const backupTookOver = d2.out.text.split('\n').some((l) => /Entering MASTER STATE/.test(l));
  t.ok(vipsHeld && !steppedDown, 'the master keeps its role and every VIP');
  t.notOk(backupTookOver, 'the backup never took over');
  t.same(after.instances.map((i) => i.state), ['MASTER', 'MASTER', 'MASTER']);

  // Advert gap on the wire (VI_1 from h1), during the flood and before it.
  const worst = (from: number, to: number): number => {
    const ts = cap.lines.map((l) => l.t).filter((x) => x >= from - 1.5 && x <= to + 1.5);
    let g = 0;
    for (let i = 1; i < ts.length; i++) if ((ts[i] as number) >= from && (ts[i - 1] as number) <= to) g = Math.max(g, (ts[i] as number) - (ts[i - 1] as number));
    return g;
  };
  const gap = worst(t0, t1);
  const quiet = worst(quietFrom, t0);
  // The issue's bound, on whatever host: 1.05 × advert_int (the load is printed to read a failure by).
  const bound = 1.05;
  t.ok(gap > 0 && gap < bound, `largest advert gap during the flood ${(gap * 1000).toFixed(1)} ms < ${bound * 1000} ms (before: ${(quiet * 1000).toFixed(1)} ms, load ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores)`);

  // Memory.
  const drss = (rss1 - rss0) / 1024;
  t.ok(Math.abs(drss) <= 5, `RSS flat: ${(rss0 / 1024).toFixed(1)} → ${(rss1 / 1024).toFixed(1)} MB (${drss >= 0 ? '+' : ''}${drss.toFixed(1)} MB)`);

  // Every drop counted by reason.
  const perKind = flood.sent / kinds.length;
  const delta = (where: string): Record<string, number> => {
    const a = dropsOf(after, where);
    const b = dropsOf(before, where);
    return Object.fromEntries(Object.keys(a).map((k) => [k, (a[k] ?? 0) - (b[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
  };
  const byWhere = Object.fromEntries(['VI_1', 'VI_2', 'VI_3', 'daemon'].map((w) => [w, delta(w)]));
  t.comment(`drops counted at the master (by reason): ${JSON.stringify(byWhere)}`);
  for (const k of kinds) {
    if (!k.counted || k.counted.reason === '*') continue;
    const got = byWhere[k.counted.where]?.[k.counted.reason] ?? 0;
    t.ok(got > 0, `${k.name}: counted as ${k.counted.where} ${k.counted.reason} (${got})`);
  }
  const reached = kinds.filter((k) => k.counted).length * perKind;
  const counted = sum(byWhere.VI_1 ?? {}) + sum(byWhere.VI_2 ?? {}) + sum(byWhere.VI_3 ?? {}) + sum(byWhere.daemon ?? {});
  const kernel = rawAfter - rawBefore;
  t.comment(`VRRP packets sent at the master ${Math.round(reached)}; counted by the daemon ${counted}; dropped by the kernel (raw socket buffers full) ${kernel}`);
  t.ok(counted + kernel >= reached * 0.98, `every packet that reached the master is counted: ${counted} + ${kernel} of ${Math.round(reached)}`);
  t.ok(counted <= reached * 1.02, `none counted twice: ${counted} ≤ ${Math.round(reached)}`);

  // Log growth (flood + 22 s): bounded, with the suppressed lines.
  t.comment(`log lines during the flood and 22 s after: ${grown.length}`);
  // Per kind of line (instance × reason, ≤ 12 here) and 10 s window: its first line and one "suppressed N".
  const lineBound = 2 * 12 * (Math.ceil((SECONDS + 22) / 10) + 1);
  t.ok(grown.length <= lineBound, `log growth bounded: ${grown.length} lines (≤ ${lineBound}) for ${flood.sent} hostile packets`);
  t.ok(grown.some((l) => /suppressed \d+ similar log lines/.test(l)), 'with "suppressed N" lines');
});
