/**
 * Issue 14, "Spoofed adverts are amplified": a master with 3 VIPs under 1,000 spoofed
 * lower-priority adverts/s (one source, for 5 s) used to answer each with an advert, a GARP
 * burst (5 × 3 VIPs) and 4 log lines (1,000 adverts, 15,000 GARPs, 4,000 lines per second).
 * Now, per source: ≤ 1 answer per advert interval, ≤ 1 GARP burst per garp_lower_prio_delay,
 * log lines limited with a "suppressed N" line (src/vrrp/rate-limit.ts). Counted on the wire.
 *
 * TSK_COMPARE_KEEPALIVED=1 runs the same flood at keepalived 2.2.7 and prints its figures.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { advertPayload, ipv4Frame } from '../support/vrrp-frames';
import { captureBridge, macOf, runFlood } from '../support/wire';

const VIPS = ['192.0.2.100', '192.0.2.101', '192.0.2.102'];
const SPOOFED_SRC = '192.0.2.66';
const FLOOD_PPS = 1000;
const FLOOD_S = 5;

const config = vrrpConfig({ routerId: 'spoof-test', state: 'MASTER', priority: 200, vips: VIPS.map((v) => `${v}/24`) });

interface Figures {
  flood: { sent: number; pps: number };
  adverts: number;
  garps: number;
  lines: number;
  suppressedLine: boolean;
  stillMaster: boolean;
}

async function floodAt(t: Test, start: (lab: Lab) => RunningDaemon): Promise<Figures> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const d = start(lab);
  logsOnFailure(t, d);
  if (!(await waitFor(async () => (await Promise.all(VIPS.map((v) => lab.hasAddress(h1, v)))).every(Boolean), 40_000))) throw new Error('never master');
  await sleep(6000); // past the takeover GARP bursts (garp_master_delay 5 s)
  const cap = captureBridge(lab, `(ip proto 112 and src host ${h1.ipv4}) or arp`);
  t.teardown(cap.stop);
  await sleep(1000);
  const linesBefore = d.out.text.split('\n').length;
  const t0 = Date.now() / 1000;
  const frame = ipv4Frame({
    srcMac: await macOf(lab, h2), src: SPOOFED_SRC, dst: '224.0.0.18', proto: 112, ttl: 255,
    payload: advertPayload({ vrid: 51, priority: 100, vips: VIPS }),
  });
  const flood = await runFlood(lab, h2, [frame], FLOOD_PPS, FLOOD_S);
  const t1 = Date.now() / 1000;
  t.comment(`flood: ${flood.sent} spoofed adverts in ${flood.seconds.toFixed(2)} s (${flood.pps}/s, ${flood.failed} failed)`);
  // The log window is 10 s: the "suppressed N" line comes after it.
  const suppressedLine = !!(await d.out.waitFor(/suppressed \d+ similar log lines/, 15_000));
  await sleep(500);
  cap.stop();
  const inFlood = cap.lines.filter((l) => l.t >= t0 && l.t <= t1 + 0.2);
  const adverts = inFlood.filter((l) => / > 224\.0\.0\.18: VRRPv\d/.test(l.text)).length;
  const garps = inFlood.filter((l) => VIPS.some((v) => l.text.includes(`who-has ${v} `) || l.text.includes(`who-has ${v} tell ${v}`))).length;
  const after = d.out.text.split('\n').slice(linesBefore - 1);
  const lines = after.length - 1;
  const stillMaster = (await Promise.all(VIPS.map((v) => lab.hasAddress(h1, v)))).every(Boolean) && !after.some((l) => /Entering BACKUP STATE/.test(l));
  return { flood, adverts, garps, lines, suppressedLine, stillMaster };
}

t.test('1,000 spoofed lower-priority adverts/s at a master with 3 VIPs are not amplified', { skip: !isRoot() && 'needs root' }, async (t) => {
  const f = await floodAt(t, (lab) => startDaemon(lab, lab.host(1), config));
  t.comment(`ours, during ${FLOOD_S} s of flood: ${f.adverts} adverts sent, ${f.garps} GARPs, ${f.lines} log lines (until the suppressed line)`);
  t.ok(f.flood.sent >= FLOOD_PPS * FLOOD_S * 0.9, `the flood ran (${f.flood.sent} sent)`);
  // Unlimited: ~5,000 answers, ~75,000 GARPs, ~20,000 lines. Limited: ≤ 2 adverts/s (regular
  // + one answer), ≤ 3 bursts of 15 GARPs; lines: 1 "forcing" line, 1 "suppressed" line and
  // 18 per GARP burst (3 "Sending/queueing" + one per frame, as keepalived -D logs them), ≤ 2 bursts.
  t.ok(f.adverts <= 2 * FLOOD_S + 3, `adverts bounded: ${f.adverts}`);
  t.ok(f.adverts >= FLOOD_S - 1, `still advertising: ${f.adverts}`);
  t.ok(f.garps <= 3 * 15 + 5, `GARPs bounded: ${f.garps}`);
  t.ok(f.lines <= 2 * 18 + 2 + 4, `log lines bounded: ${f.lines}`);
  t.ok(f.suppressedLine, 'a "suppressed N" line after the window');
  t.ok(f.stillMaster, 'the master keeps its role and VIPs');
});

t.test('keepalived 2.2.7 under the same flood (figures only)', { skip: (!process.env.TSK_COMPARE_KEEPALIVED || !KEEPALIVED_BIN || !isRoot()) && 'set TSK_COMPARE_KEEPALIVED=1' }, async (t) => {
  const f = await floodAt(t, (lab) => startKeepalived(lab, lab.host(1), config)).catch((e: Error) => {
    t.comment(e.message);
    return undefined;
  });
  if (f) t.comment(`keepalived 2.2.7, during ${FLOOD_S} s of flood (${f.flood.pps}/s): ${f.adverts} adverts sent, ${f.garps} GARPs, ${f.lines} log lines; suppressed line: ${f.suppressedLine}; master kept: ${f.stillMaster}`);
  t.pass('measured');
});
