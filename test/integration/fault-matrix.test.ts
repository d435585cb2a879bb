/**
 * Fault matrix (issue #14): two of our daemons on one link (h1 priority 100, h2 priority 90,
 * VRRPv2, advert_int 1 s, VIP 192.0.2.100), one fault per test. Each test asserts that after
 * the fault (and its repair, where it has one) exactly one host holds the VIP, and stays the
 * only one for 3 s; the time to converge is printed. Faults: SIGSTOP of the master for 5 s then
 * SIGCONT; one-way loss (the master's adverts dropped at the backup) then healed; a partition
 * (both ways) then healed; 40 SIGHUPs in 8 s while a vrrp_script runs; kill -9 during a reload
 * and a restart that must clean the stale VIP; SIGTERM during a reload (no reload applied after
 * "Stopping", no VIP left); the master's interface deleted and re-created;
 * carrier loss on the master (its bridge port down) and back; a vrrp_script on the master that
 * hangs (timed out, counted as failed, the backup takes over) and then returns (the master
 * preempts back).
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { isRoot, sleep, waitFor, type Lab, type LabHost } from '../support/netns';
import { logsOnFailure, reloadAfterStopProblems, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';
import { FAULT_VIP as VIP, faultPair, onlyHolder, type FaultPair } from '../support/fault-lab';

const skip = !isRoot() && 'needs root';

async function pair(t: Test, cfg1?: string, cfg2?: string): Promise<FaultPair> {
  const p = await faultPair(t, { cfg1, cfg2 });
  await onlyHolder(t, p.lab, [p.h1, p.h2], 'h1', Date.now(), 15_000, 'start-up', { stableMs: 1000 });
  return p;
}

/** nft on `h`: drop VRRP (protocol 112) arriving from `from`. */
async function dropVrrpFrom(lab: Lab, h: LabHost, from: string): Promise<void> {
  const r = await lab.exec(h.ns, ['nft', `add table inet fm; add chain inet fm in { type filter hook input priority 0; }; add rule inet fm in ip saddr ${from} ip protocol 112 drop`]);
  if (r.code !== 0) throw new Error(`nft: ${r.stderr}`);
}
async function heal(lab: Lab, h: LabHost): Promise<void> {
  await lab.exec(h.ns, ['nft', 'delete table inet fm']);
}

t.test('SIGSTOP of the master for 5 s, then SIGCONT: one holder again', { skip }, async (t) => {
  const { lab, h1, h2, d1 } = await pair(t);
  const pid = d1.cp.pid!;
  const stopped = Date.now();
  process.kill(pid, 'SIGSTOP');
  t.teardown(() => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  });
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 8000), 'h2 takes the VIP while h1 is stopped');
  await sleep(Math.max(0, stopped + 5000 - Date.now()));
  const cont = Date.now();
  process.kill(pid, 'SIGCONT');
  // h1 (100) resumes advertising and h2 (90) yields: h1 must not keep the VIP beside another master
  await onlyHolder(t, lab, [h1, h2], 'h1', cont, 5000, 'after SIGCONT');
});

t.test("one-way loss (the master's adverts dropped at the backup), then healed", { skip }, async (t) => {
  const { lab, h1, h2, d2 } = await pair(t);
  await dropVrrpFrom(lab, h2, h1.ipv4);
  // h2 no longer hears h1 and becomes MASTER too (as keepalived: nothing in VRRP can prevent it)
  t.ok(await d2.out.waitFor('(VI_1) Entering MASTER STATE', 8000), 'h2 takes over while it hears nothing');
  const healed = Date.now();
  await heal(lab, h2);
  await onlyHolder(t, lab, [h1, h2], 'h1', healed, 4000, 'after the loss heals');
});

t.test('partition (both ways), then healed', { skip }, async (t) => {
  const { lab, h1, h2, d2 } = await pair(t);
  await dropVrrpFrom(lab, h2, h1.ipv4);
  await dropVrrpFrom(lab, h1, h2.ipv4);
  t.ok(await d2.out.waitFor('(VI_1) Entering MASTER STATE', 8000), 'h2 becomes MASTER in its partition');
  t.ok(await lab.hasAddress(h1, VIP), 'h1 stays MASTER in its own');
  const healed = Date.now();
  await heal(lab, h1);
  await heal(lab, h2);
  await onlyHolder(t, lab, [h1, h2], 'h1', healed, 4000, 'after the partition heals');
});

t.test('40 SIGHUPs in 8 s while a vrrp_script runs: the master stays master, one holder', { skip }, async (t) => {
  const script = `vrrp_script chk {\n  script "/bin/sleep 0.2"\n  interval 1\n  weight -20\n}\n`;
  const cfg = (priority: number, state: 'MASTER' | 'BACKUP') => script + vrrpConfig({ state, priority, extra: 'track_script {\n    chk\n  }' });
  const { lab, h1, h2, d1, d2 } = await pair(t, cfg(100, 'MASTER'), cfg(90, 'BACKUP'));
  const masters1 = d1.out.count(/Entering MASTER STATE/);
  const masters2 = d2.out.count(/Entering MASTER STATE/);
  const start = Date.now();
  for (let i = 0; i < 40; i++) {
    d1.cp.kill('SIGHUP');
    await sleep(200);
  }
  t.ok(await waitFor(() => d1.out.count(/Reload/) > 0, 5000), 'reloads were handled');
  t.equal(d1.cp.exitCode, null, 'h1 still running after 40 SIGHUPs');
  await onlyHolder(t, lab, [h1, h2], 'h1', start, 10_000, 'after 40 SIGHUPs');
  t.equal(d1.out.count(/Entering MASTER STATE/), masters1, 'h1 never left MASTER');
  t.equal(d2.out.count(/Entering MASTER STATE/), masters2, 'h2 never became MASTER');
});

t.test('SIGTERM during a reload: nothing is set up again behind the cleanup, h1 leaves no VIP', { skip }, async (t) => {
  const { lab, h1, h2, d1 } = await pair(t);
  // A few SIGHUPs queue reloads; the SIGTERM comes while one is in flight (its parse runs on a worker).
  for (let i = 0; i < 3; i++) d1.cp.kill('SIGHUP');
  await sleep(5);
  const from = d1.out.text.length;
  d1.cp.kill('SIGTERM');
  t.equal(await Promise.race([d1.exited, sleep(10_000).then(() => 'timeout')]), 0, 'exit 0');
  const tail = d1.out.text.slice(from);
  t.same(reloadAfterStopProblems(d1.out.text), [], 'no reload starts after "Stopping"; none is applied unless it was applying already');
  t.comment(/Reload abandoned: stopping/.test(tail) ? 'a reload in flight was abandoned' : 'no reload was in flight at the SIGTERM');
  t.notOk(await lab.hasAddress(h1, VIP), 'h1 removed its VIP');
  await onlyHolder(t, lab, [h1, h2], 'h2', Date.now(), 5000, 'after the SIGTERM');
});

t.test('kill -9 during a reload, restart at lower priority: the stale VIP is cleaned, one holder', { skip }, async (t) => {
  const { lab, h1, h2, d1 } = await pair(t);
  d1.cp.kill('SIGHUP');
  d1.cp.kill('SIGKILL');
  await d1.exited;
  t.ok(await lab.hasAddress(h1, VIP), 'the killed master left its VIP behind (kernel state)');
  t.ok(await waitFor(() => lab.hasAddress(h2, VIP), 8000), 'h2 takes over');
  const restart = Date.now();
  const d1b = startDaemon(lab, h1, vrrpConfig({ state: 'BACKUP', priority: 50 }));
  logsOnFailure(t, d1b);
  await onlyHolder(t, lab, [h1, h2], 'h2', restart, 5000, 'after the restart');
});

t.test("the master's interface deleted and re-created: one holder throughout recovery", { skip }, async (t) => {
  const { lab, h1, h2 } = await pair(t);
  const del = Date.now();
  const r = await lab.exec(h1.ns, ['ip', 'link', 'del', 'eth0']);
  t.equal(r.code, 0, 'eth0 deleted on h1');
  await onlyHolder(t, lab, [h1, h2], 'h2', del, 8000, 'after the delete');
  // re-created: a new veth into the lab bridge, same name and address
  const mk = [
    ['ip', 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'p1', 'netns', lab.bridgeNs],
    ['ip', '-n', lab.bridgeNs, 'link', 'set', 'p1', 'master', 'br0', 'up'],
    ['ip', 'addr', 'add', `${h1.ipv4}/24`, 'dev', 'eth0'],
    ['ip', 'link', 'set', 'eth0', 'up'],
  ];
  for (const c of mk) {
    const x = await lab.exec(h1.ns, c);
    t.equal(x.code, 0, `${c.join(' ')} ${x.stderr}`);
  }
  const back = Date.now();
  await onlyHolder(t, lab, [h1, h2], 'h1', back, 8000, 'after the interface comes back (h1 preempts)');
});

t.test("carrier loss on the master (its switch port down), then carrier back: one holder in both", { skip }, async (t) => {
  const { lab, h1, h2, d1 } = await pair(t);
  const lost = Date.now();
  await lab.setLink(h1, false); // the bridge side of h1's veth: eth0 stays admin up, loses carrier
  t.ok(await d1.out.waitFor('Entering FAULT STATE', 3000), 'h1 enters FAULT on carrier loss');
  // h1 must drop the VIP in FAULT, so h2 is the only holder (not two)
  await onlyHolder(t, lab, [h1, h2], 'h2', lost, 8000, 'while h1 has no carrier');
  const back = Date.now();
  await lab.setLink(h1, true);
  await onlyHolder(t, lab, [h1, h2], 'h1', back, 8000, 'after the carrier comes back (h1 preempts)');
});

t.test('a vrrp_script that hangs on the master: timed out, the backup takes over; when it returns, the master is back', { skip }, async (t) => {
  const dir = tmpDir('fm-hang');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const flag = path.join(dir, 'hang');
  const sleepArg = `999.${process.pid % 1000}${Date.now() % 1000}`; // names this test's hung runs for pgrep
  const chk = path.join(dir, 'chk.sh');
  fs.writeFileSync(chk, `#!/bin/sh\n[ -f ${flag} ] && exec sleep ${sleepArg}\nexit 0\n`, { mode: 0o755 });
  const script = `vrrp_script chk {\n  script "${chk}"\n  interval 1\n  timeout 1\n  weight -20\n}\n`;
  const cfg1 = script + vrrpConfig({ state: 'MASTER', priority: 100, extra: 'track_script {\n    chk\n  }' });
  const { lab, h1, h2, d1 } = await pair(t, cfg1);
  const hung = async (): Promise<number> => (await lab.exec(h1.ns, ['pgrep', '-f', `sleep ${sleepArg}`])).stdout.split('\n').filter(Boolean).length;
  fs.writeFileSync(flag, '');
  const from = Date.now();
  t.ok(await d1.out.waitFor('VRRP_Script(chk) timed_out', 6000), 'h1 logs the hung script as timed out');
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 100 to 80', 3000), 'a timeout counts as a failure: 100 -> 80');
  await onlyHolder(t, lab, [h1, h2], 'h2', from, 8000, 'while the script hangs (h2 at 90 preempts h1 at 80)');
  t.ok((await hung()) <= 1, 'never more than one run of the hung script at a time');
  fs.rmSync(flag);
  const back = Date.now();
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 80 to 100', 6000), 'the script returns: 80 -> 100');
  await onlyHolder(t, lab, [h1, h2], 'h1', back, 8000, 'after the script returns (h1 preempts)');
  t.ok(await waitFor(async () => ((await hung()) === 0 ? true : undefined), 3000), 'no hung run left behind');
});
