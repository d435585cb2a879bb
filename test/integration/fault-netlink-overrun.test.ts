/**
 * Fault matrix (issue 14): a netlink receive-buffer overrun in a live daemon. h1 (ours, master,
 * priority 200, `vrrp_netlink_monitor_rcv_bufs 16384` so the link/address watch socket
 * overruns) and h2 (ours, backup). In h1's namespace, test/support/addr-storm adds and deletes
 * addresses on a second interface, paced to 5,000 address events/s (at least 4,000/s must be
 * achieved; the rate is printed), for STORM_S seconds; in the middle
 * of the storm the VIP is deleted behind the daemon's back (its RTM_DELADDR may be among the
 * lost notifications). Asserted: the overrun is reported and the resync path runs (status
 * --json netlink.overruns/resyncs > 0 and a "Netlink resync" log line), the VIP is back on h1
 * within a printed bound, no state transition on either daemon, the log stays bounded.
 */
import path from 'node:path';
import t from 'tap';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { MAIN, NODE_FLAGS, logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';

const VIP = '192.0.2.100';
const RATE = 5000;
const STORM_S = 8;
const STORM = path.resolve(__dirname, '../support/addr-storm.js');

interface StatusDoc {
  instances: Array<{ name: string; state: string; transitions: unknown[] }>;
  netlink: { overruns: number; resyncs: number; resyncDumps: number };
}

async function status(lab: Lab, d: RunningDaemon): Promise<StatusDoc> {
  const r = await lab.exec(d.host.ns, [process.execPath, ...NODE_FLAGS, MAIN, 'status', '--json', '--socket', path.join(d.dir, 'keepalived.control.sock')], 30_000);
  if (r.code !== 0) throw new Error(`status failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusDoc;
}

t.test(`netlink overrun: ${RATE} address events/s for ${STORM_S} s in a live master's namespace`, { skip: !isRoot() && 'needs root', timeout: 180_000 }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  // The storm's interface: a veth pair inside h1 (no dummy module needed).
  for (const argv of [['ip', 'link', 'add', 'st0', 'type', 'veth', 'peer', 'name', 'st1'], ['ip', 'link', 'set', 'st0', 'up'], ['ip', 'link', 'set', 'st1', 'up']]) {
    const r = await lab.exec(h1.ns, argv);
    t.equal(r.code, 0, `${argv.join(' ')} ${r.stderr.trim()}`);
  }
  const d1 = startDaemon(lab, h1, vrrpConfig({ state: 'MASTER', priority: 200, global: 'vrrp_netlink_monitor_rcv_bufs 16384' }));
  const d2 = startDaemon(lab, h2, vrrpConfig({ priority: 100 }));
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 20_000), 'h1 holds the VIP');
  t.ok(await d2.out.waitFor(/Entering BACKUP STATE/, 20_000), 'h2 is backup');
  await sleep(2000);
  const before = await status(lab, d1);
  const trans1 = before.instances[0]?.transitions.length ?? -1;
  const lines0 = d1.out.text.split('\n').length;
  const d2Lines0 = d2.out.text.split('\n').length;

  const storm = lab.spawn(h1.ns, [process.execPath, STORM, 'st0', String(RATE), String(STORM_S)]);
  let out = '';
  let err = '';
  storm.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  storm.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  const done = new Promise<number | null>((r) => storm.on('exit', (c) => r(c)));
  const kill = setTimeout(() => storm.kill('SIGKILL'), (STORM_S + 30) * 1000);
  t.teardown(() => clearTimeout(kill));
  await sleep((STORM_S * 1000) / 2);
  const del = await lab.exec(h1.ns, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  const delAt = Date.now();
  t.equal(del.code, 0, 'the VIP deleted behind the daemon, mid-storm');
  const restored = await waitFor(() => lab.hasAddress(h1, VIP), 20_000, 20);
  const restoreMs = Date.now() - delAt;
  const code = await done;
  clearTimeout(kill);
  const last = out.trim().split('\n').pop() ?? '';
  const res = (last.startsWith('{') ? JSON.parse(last) : {}) as { events?: number; seconds?: number; rate?: number };
  t.equal(code, 0, `the storm ran to its end ${err.trim()}`);
  t.comment(`storm: ${res.events} address events in ${res.seconds?.toFixed(2)} s = ${res.rate}/s`);
  // The storm is paced to RATE. Its requests are encoded once and sent 250 to a datagram, so it
  // costs the kernel's address work and ~0.1 s of CPU per second (it reaches ~16,000 events/s
  // unpaced on the 2-core VM); 80 % of RATE is the floor, allowing for a busy host.
  t.ok((res.rate ?? 0) >= RATE * 0.8, `the storm reached ≥ ${RATE * 0.8} events/s (${res.rate}; aimed at ${RATE})`);
  t.ok(restored, `the VIP is back on h1 after its deletion in the storm (${restoreMs} ms; bound 20,000 ms)`);

  await sleep(3000); // the last resync ends once the storm is over
  const after = await status(lab, d1);
  t.comment(`netlink at h1: ${JSON.stringify(after.netlink)}`);
  t.ok(after.netlink.overruns > 0, `the watch socket overran (ENOBUFS ${after.netlink.overruns} times)`);
  t.ok(after.netlink.resyncs > 0, `the resync path ran (${after.netlink.resyncs} resyncs, ${after.netlink.resyncDumps} dumps)`);
  const grown = d1.out.text.split('\n').slice(lines0 - 1);
  t.ok(grown.some((l) => /Netlink resync: links and addresses re-read after an overrun/.test(l)), 'a "Netlink resync" line in the log');
  t.ok(grown.some((l) => /Netlink watch error: .*events may have been lost/.test(l)), 'the overrun itself is logged');

  // The VIP state: h1 master with the VIP, h2 without; no transition on either side.
  t.same(after.instances.map((i) => i.state), ['MASTER'], 'h1 still MASTER');
  t.equal(after.instances[0]?.transitions.length, trans1, 'no transition at h1');
  t.notOk(grown.some((l) => /Entering (BACKUP|FAULT|MASTER) STATE/.test(l)), 'no "Entering ... STATE" line at h1');
  t.notOk(d2.out.text.split('\n').slice(d2Lines0 - 1).some((l) => /Entering MASTER STATE/.test(l)), 'h2 never took over');
  t.ok(await lab.hasAddress(h1, VIP), 'h1 holds the VIP at the end');
  t.notOk(await lab.hasAddress(h2, VIP), 'h2 does not');
  const stormLeft = (await lab.addresses(h1, 'st0')).filter((a) => a.startsWith('2001:db8:5::'));
  t.equal(stormLeft.length, 0, 'the storm left no address behind');
  // Bounded log: the error and resync lines are rate-limited (one per 10 s window + "suppressed N").
  t.comment(`h1 log lines during the storm and after: ${grown.length}`);
  t.ok(grown.length <= 40, `log growth bounded (${grown.length} ≤ 40 lines)`);
});
