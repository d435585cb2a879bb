/**
 * SIGHUP applied in place, proven on the wire with the real keepalived 2.2.7 as the peer.
 * Our daemon is MASTER (VRRPv3, priority 200; keepalived BACKUP at 100). Reloads with
 * (a) a priority change still above the peer, (b) a VIP added and one removed, (c) a
 * vrrp_script tracker added with a weight, (d) advert_int changed must each show: no state
 * change in our log, no advert gap > 1.5 intervals, no priority-0 advert, GARPs only for an
 * added VIP, the right VIPs in `ip addr`, and keepalived staying BACKUP. (e) a VRID change
 * (identity) rebuilds: priority 0 first, keepalived takes over the old VRID, ours the new.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { execFileSync } from 'node:child_process';
import { MAIN, logsOnFailure, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { bridgeAdvertsAndGarps } from '../support/garp-capture';

const skip = (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed (.ci/run installs it)');

/** The VIPs of this test are 192.0.2.100 and up; hosts are 192.0.2.1.. */
const isVip = (cidr: string): boolean => /^192\.0\.2\.(\d+)\//.test(cidr) && Number(/^192\.0\.2\.(\d+)/.exec(cidr)?.[1]) >= 100;

interface Ours {
  vrid: number;
  priority: number;
  advertInt: number;
  vips: string[];
  track: boolean;
}

function oursConf(dir: string, o: Ours): string {
  return vrrpConfig({
    routerId: 'ours',
    global: 'vrrp_version 3\n  enable_script_security\n  script_user root',
    blocks: `vrrp_script chk {\n  script "${dir}/chk.sh"\n  interval 1\n  weight 10\n}\n`,
    vrid: o.vrid,
    priority: o.priority,
    advertInt: o.advertInt,
    extra: o.track ? 'track_script {\n    chk\n  }' : '',
    vips: o.vips.map((v) => `${v}/24`),
  });
}

const KA_CONF = vrrpConfig({ routerId: 'ka', global: 'vrrp_version 3', priority: 100, extra: 'skip_check_adv_addr', vips: ['192.0.2.100/24', '192.0.2.101/24'] });

t.test('SIGHUP applied in place on a master, keepalived 2.2.7 as the backup peer', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const { cap, arp } = await bridgeAdvertsAndGarps(t, lab);
  const dir = tmpDir('rip');
  fs.writeFileSync(path.join(dir, 'chk.sh'), '#!/bin/sh\nexit 0\n');
  fs.chmodSync(path.join(dir, 'chk.sh'), 0o755);
  let cfg: Ours = { vrid: 51, priority: 200, advertInt: 1, vips: ['192.0.2.100', '192.0.2.101'], track: false };
  const ours = startDaemon(lab, h1, oursConf(dir, cfg), [], dir);
  const ka = startKeepalived(lab, h2, KA_CONF);
  logsOnFailure(t, ours, ka);
  t.ok(await waitFor(async () => (await lab.hasAddress(h1, '192.0.2.100')) && (await lab.hasAddress(h1, '192.0.2.101')), 15000), 'ours MASTER with both VIPs');
  t.ok(await ka.out.waitFor(/\(VI_1\) Entering BACKUP STATE/, 10000), 'keepalived BACKUP');
  await sleep(6500); // past our second GARP burst (garp_master_delay 5 s)

  /** Reload with `next`; watch 4.5 s; return what happened on the wire and in the logs. */
  const reload = async (next: Ours) => {
    const prevInterval = cfg.advertInt;
    const kept = cfg.vips.filter((v) => next.vips.includes(v));
    cfg = next;
    fs.writeFileSync(ours.conf, oursConf(dir, next));
    const [ourLog, kaLog] = [ours.out.text.length, ka.out.text.length];
    const at = Date.now() / 1000;
    ours.cp.kill('SIGHUP');
    const done = await ours.out.waitFor(/Reload complete/, 5000);
    // `ip addr` sampled every 100 ms for 4.5 s: a VIP kept by the reload must never go missing.
    const dropped = new Set<string>();
    for (const end = Date.now() + 4500; Date.now() < end; await sleep(100)) {
      const now = (await lab.addresses(h1)).map((a) => a.split('/')[0]);
      for (const v of kept) if (!now.includes(v)) dropped.add(v);
    }
    const ads = cap.adverts.filter((a) => a.src === h1.ipv4 && a.vrid === 51 && a.t > at - 2 * prevInterval);
    const gaps = ads.slice(1).map((a, i) => a.t - (ads[i] as { t: number }).t);
    return {
      at,
      done,
      dropped: [...dropped],
      ourLog: ours.out.text.slice(ourLog),
      kaLog: ka.out.text.slice(kaLog),
      ads,
      gaps,
      maxGap: Math.max(...gaps),
      garps: arp.garps.filter((g) => g.t > at - 0.2),
      vips: (await lab.addresses(h1)).filter(isVip),
      kaVips: (await lab.addresses(h2)).filter(isVip),
    };
  };
  type Seen = Awaited<ReturnType<typeof reload>>;
  const common = (tt: typeof t, s: Seen, intervalS: number, vips: string[]): void => {
    tt.ok(s.done, 'Reload complete');
    tt.notMatch(s.ourLog, /\(VI_1\) (Entering|removing VIPs|sent 0 priority)/, 'no state change, no VIP removal, no priority 0 in our log');
    tt.ok(s.ads.length >= 4, `${s.ads.length} adverts from us around the reload`);
    tt.ok(s.maxGap <= 1.5 * intervalS, `largest advert gap ${Math.round(s.maxGap * 1000)} ms <= 1.5 intervals (${1500 * intervalS} ms)`);
    tt.notOk(s.ads.some((a) => a.priority === 0), 'no priority-0 advert');
    tt.same(s.dropped, [], 'no kept VIP missing from ip addr at any 100 ms sample');
    tt.same(s.vips.map((a) => a.replace(/\/\d+$/, '')).sort(), [...vips].sort(), `ip addr shows ${vips.join(' ')}`);
    tt.notMatch(s.kaLog, /Entering MASTER STATE/, 'keepalived stays BACKUP');
    tt.same(s.kaVips, [], 'keepalived holds no VIP');
  };

  await t.test('(a) priority 200 -> 180, still above the peer: advertised in place', async (t) => {
    const s = await reload({ ...cfg, priority: 180 });
    common(t, s, 1, ['192.0.2.100', '192.0.2.101']);
    t.match(s.ourLog, /\(VI_1\) Changing effective priority from 200 to 180/, "keepalived's log line");
    t.equal(s.ads.at(-1)?.priority, 180, 'now advertising 180');
    t.same(s.garps, [], 'no GARP at all (no VIP changed)');
  });

  await t.test('(b) VIP .102 added, .101 removed: delta only, GARP only for .102', async (t) => {
    const s = await reload({ ...cfg, vips: ['192.0.2.100', '192.0.2.102'] });
    common(t, s, 1, ['192.0.2.100', '192.0.2.102']);
    t.ok(s.garps.some((g) => g.ip === '192.0.2.102'), `GARPs for the added VIP (${s.garps.filter((g) => g.ip === '192.0.2.102').length})`);
    t.same(s.garps.filter((g) => g.ip !== '192.0.2.102').map((g) => g.ip), [], 'no GARP for the unchanged (or removed) VIPs');
  });

  await t.test('(c) vrrp_script tracker added with weight 10: effective priority 190 in place', async (t) => {
    const s = await reload({ ...cfg, track: true });
    common(t, s, 1, ['192.0.2.100', '192.0.2.102']);
    t.match(s.ourLog, /\(VI_1\) Changing effective priority from 180 to 190/, 'tracker weight applied');
    t.equal(s.ads.at(-1)?.priority, 190, 'now advertising 190');
    t.same(s.garps, [], 'no GARP');
  });

  await t.test('(d) advert_int 1 -> 0.5: timers re-armed in place', async (t) => {
    const s = await reload({ ...cfg, advertInt: 0.5 });
    common(t, s, 1, ['192.0.2.100', '192.0.2.102']);
    const late = s.ads.filter((a) => a.t > s.at + 1);
    const lateGaps = late.slice(1).map((a, i) => a.t - (late[i] as { t: number }).t);
    t.ok(lateGaps.length >= 4 && Math.max(...lateGaps) <= 0.75, `after the reload every ${Math.round(Math.max(...lateGaps) * 1000)} ms at most (0.5 s interval)`);
    t.same(s.garps, [], 'no GARP');
  });

  await t.test('(f) manual standby survives an in-place reload', async (t) => {
    const ctl = (...args: string[]): string =>
      execFileSync(process.execPath, [MAIN, ...args, '--socket', path.join(dir, 'keepalived.control.sock')], { encoding: 'utf8', timeout: 10_000 });
    // keepalived as MASTER checks the advert's VIP list (skip_check_adv_addr only spares a backup): give it ours.
    fs.writeFileSync(ka.conf, KA_CONF.replace('192.0.2.101/24', '192.0.2.102/24'));
    const kaReload = ka.out.text.length;
    ka.cp.kill('SIGHUP');
    await sleep(2000);
    t.notMatch(ka.out.text.slice(kaReload), /Entering MASTER STATE/, 'keepalived reloaded, still BACKUP');
    const [ourLog, kaLog] = [ours.out.text.length, ka.out.text.length];
    ctl('standby', 'VI_1', '--force'); // at once (the 2-interval handover window is 1 s at advert_int 0.5)
    t.ok(await ours.out.waitFor(/\(VI_1\) Entering BACKUP STATE/, 5000), 'standby: ours hands over');
    t.ok(await waitFor(() => /\(VI_1\) Entering MASTER STATE/.test(ka.out.text.slice(kaLog)), 5000), 'keepalived took over');
    const s = await reload({ ...cfg, priority: 185 });
    t.ok(s.done, 'Reload complete');
    t.notMatch(ours.out.text.slice(ourLog), /\(VI_1\) Entering MASTER STATE/, 'still BACKUP 4.5 s after the reload although 195 > 100 with preempt');
    t.match(ctl('status', 'VI_1', '--json'), /"standby":\s*true/, 'status still shows standby');
    ctl('resume', 'VI_1');
    t.ok(await waitFor(() => lab.hasAddress(h1, '192.0.2.100'), 8000), 'resume: ours preempts again');
    await sleep(1500);
  });

  await t.test('(e) identity change (VRID 51 -> 61) rebuilds and hands over cleanly', async (t) => {
    const kaLog = ka.out.text.length;
    const s = await reload({ ...cfg, vrid: 61, vips: ['192.0.2.150'] });
    t.ok(s.done, 'Reload complete');
    const zero = s.ads.find((a) => a.priority === 0 && a.t > s.at - 0.2);
    t.ok(zero, 'the old VRID 51 master said goodbye with priority 0');
    t.match(ka.out.text.slice(kaLog), /\(VI_1\) Entering MASTER STATE/, 'keepalived took over VRID 51');
    const kaFirst = cap.adverts.find((a) => a.src === h2.ipv4 && a.vrid === 51 && a.t > s.at - 0.2 && a.priority > 0);
    t.ok(zero && kaFirst && kaFirst.t - zero.t < 1.5, `keepalived advertised ${zero && kaFirst ? Math.round((kaFirst.t - zero.t) * 1000) : '?'} ms after our priority 0 (Skew_Time, no Master_Down wait)`);
    t.ok(await waitFor(() => lab.hasAddress(h2, '192.0.2.100'), 3000), 'keepalived holds the old VIP');
    t.ok(await waitFor(() => lab.hasAddress(h1, '192.0.2.150'), 8000), 'our rebuilt VRID 61 instance is MASTER with its VIP');
    t.notOk(await lab.hasAddress(h1, '192.0.2.100'), 'ours released the old VIP');
    t.ok(cap.adverts.some((a) => a.src === h1.ipv4 && a.vrid === 61 && a.priority === 195), 'ours advertises VRID 61');
  });
});
