/**
 * vrrp_strict / no_accept with nftables, ours and Debian's keepalived 2.2.7 in the same lab
 * (h1 runs the daemon and becomes MASTER alone, h2 is the client). Observed on keepalived and
 * asserted for both: without `accept`, h2's ping to the VIP gets no answer (table `ip keepalived`
 * with set `vips` and drop rules in input/output at priority -1) while h1's own address answers;
 * with `accept` (VRRPv3: strict VRRPv2 resets accept) the VIP answers and no table is made; at
 * stop the table is gone; after kill -9 the table stays until the restarted daemon replaces it
 * (ours deletes it at start-up, keepalived when it next becomes MASTER), and after that run's
 * stop nothing is left. The rulesets the two install are compared line by line.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, waitFor, type LabHost } from '../support/netns';
import { startDaemon, logsOnFailure, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, crashTree, startKeepalived } from '../support/keepalived';

const VIP = '192.0.2.100';
type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function ruleset(lab: Lab, h: LabHost): Promise<string> {
  return (await lab.exec(h.ns, ['nft', 'list', 'ruleset'])).stdout;
}

/** Does the client get any echo reply from `ip` within ~2 s? */
async function pingAnswered(lab: Lab, from: LabHost, ip: string): Promise<boolean> {
  return (await lab.exec(from.ns, ['ping', '-n', '-c', '4', '-i', '0.2', '-w', '2', ip], 5000)).code === 0;
}

async function masterWithVip(lab: Lab, h: LabHost, d: RunningDaemon): Promise<boolean> {
  return Boolean(await d.out.waitFor('(VI_1) Entering MASTER STATE', 30_000)) && Boolean(await waitFor(() => lab.hasAddress(h, VIP), 3000));
}

async function stop(d: RunningDaemon): Promise<void> {
  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, sleep(8000)]);
}

interface Seen {
  rulesetWhileMaster: string;
}

async function noAccept(t: Test, start: Starter, who: string, seen: Seen): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, client] = [lab.host(1), lab.host(2)];
  const conf = vrrpConfig({ priority: 100, global: 'vrrp_strict', vip: `${VIP}/24` });
  const d = start(lab, h1, conf);
  logsOnFailure(t, d);
  t.ok(await masterWithVip(lab, h1, d), `${who}: MASTER with the VIP`);
  t.ok(await pingAnswered(lab, client, h1.ipv4), `${who}: h1's own address answers (the lab works)`);
  t.notOk(await pingAnswered(lab, client, VIP), `${who}: ping to the VIP is dropped (no accept)`);
  seen.rulesetWhileMaster = await ruleset(lab, h1);
  t.match(seen.rulesetWhileMaster, /table ip keepalived \{[\s\S]*elements = \{ 192\.0\.2\.100 \}[\s\S]*ip daddr @vips drop/, `${who}: table ip keepalived drops the VIP`);
  await stop(d);
  t.equal(await ruleset(lab, h1), '', `${who}: nothing left after stop`);

  // kill -9: the table stays behind; a restart must not leave it stale.
  const d2 = start(lab, h1, conf);
  logsOnFailure(t, d2);
  t.ok(await masterWithVip(lab, h1, d2), `${who}: MASTER again`);
  crashTree(d2.cp.pid as number);
  await Promise.race([d2.exited, sleep(5000)]);
  t.match(await ruleset(lab, h1), /table ip keepalived/, `${who}: kill -9 leaves the table (nobody to remove it)`);
  const d3 = start(lab, h1, conf);
  logsOnFailure(t, d3);
  if (who === 'ours') {
    t.ok(await d3.out.waitFor('Startup complete', 30_000), 'ours: started');
    const early = await ruleset(lab, h1);
    if (!d3.out.has('Entering MASTER STATE')) t.equal(early, '', 'ours: the stale table is deleted at start-up, before any election');
    t.ok(d3.out.has('Deleting old ip keepalived table'), 'ours: says so');
  }
  t.ok(await masterWithVip(lab, h1, d3), `${who}: MASTER after the restart`);
  const again = await ruleset(lab, h1);
  t.equal((again.match(/^table /gm) ?? []).length, 1, `${who}: one table after the restart`);
  t.equal((again.match(/ip daddr @vips drop/g) ?? []).length, 1, `${who}: one drop rule (the stale one did not pile up)`);
  t.notOk(await pingAnswered(lab, client, VIP), `${who}: the VIP is still dropped after the restart`);
  await stop(d3);
  t.equal(await ruleset(lab, h1), '', `${who}: nothing left after kill -9, restart and stop`);
}

async function withAccept(t: Test, start: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, client] = [lab.host(1), lab.host(2)];
  const d = start(lab, h1, vrrpConfig({ priority: 100, version: 3, global: 'vrrp_strict', extra: 'accept', vip: `${VIP}/24` }));
  logsOnFailure(t, d);
  t.ok(await masterWithVip(lab, h1, d), `${who}: MASTER with the VIP`);
  t.ok(await pingAnswered(lab, client, VIP), `${who}: with accept the VIP answers`);
  t.equal(await ruleset(lab, h1), '', `${who}: no table with accept`);
  await stop(d);
}

/** IPv6 (VRRPv3, link-local first VIP): ND accepted, link-local VIP keyed by interface, global VIP dropped. */
async function ipv6(t: Test, start: Starter, who: string, seen: Seen): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, client] = [lab.host(1), lab.host(2)];
  const conf = vrrpConfig({ priority: 100, version: 3, global: 'vrrp_strict\n  nftables_counters', vip: 'fe80::100/64\n    2001:db8::100/64' });
  const d = start(lab, h1, conf);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('(VI_1) Entering MASTER STATE', 30_000), `${who}: MASTER`);
  t.ok(await waitFor(() => lab.hasAddress(h1, '2001:db8::100'), 3000), `${who}: IPv6 VIP added`);
  t.ok(await pingAnswered(lab, client, h1.ipv6), `${who}: h1's own IPv6 address answers`);
  t.notOk(await pingAnswered(lab, client, '2001:db8::100'), `${who}: ping to the IPv6 VIP is dropped`);
  // Counters differ run to run; the layout must not.
  seen.rulesetWhileMaster = (await ruleset(lab, h1)).replace(/counter packets \d+ bytes \d+/g, 'counter');
  t.match(seen.rulesetWhileMaster, /table ip6 keepalived \{[\s\S]*fe80::100 \. "eth0"[\s\S]*icmpv6 type @neighbor-discovery counter accept/, `${who}: ip6 table with ND accept and the link-local set`);
  await stop(d);
  t.equal(await ruleset(lab, h1), '', `${who}: nothing left after stop`);
}

t.test('vrrp_strict no_accept with nftables', { skip: !isRoot() && 'needs root' }, async (t) => {
  const ours: Seen = { rulesetWhileMaster: '' };
  const theirs: Seen = { rulesetWhileMaster: '' };
  await t.test('ours: no accept', (t) => noAccept(t, startDaemon, 'ours', ours));
  await t.test('ours: accept', (t) => withAccept(t, startDaemon, 'ours'));
  if (!KEEPALIVED_BIN) return;
  await t.test('keepalived 2.2.7: no accept', (t) => noAccept(t, startKeepalived, 'keepalived', theirs));
  await t.test('keepalived 2.2.7: accept', (t) => withAccept(t, startKeepalived, 'keepalived'));
  t.equal(ours.rulesetWhileMaster, theirs.rulesetWhileMaster, 'the same ruleset as keepalived 2.2.7, line for line');
  const ours6: Seen = { rulesetWhileMaster: '' };
  const theirs6: Seen = { rulesetWhileMaster: '' };
  await t.test('ours: IPv6', (t) => ipv6(t, startDaemon, 'ours', ours6));
  await t.test('keepalived 2.2.7: IPv6', (t) => ipv6(t, startKeepalived, 'keepalived', theirs6));
  t.equal(ours6.rulesetWhileMaster, theirs6.rulesetWhileMaster, 'IPv6 (with nftables_counters): the same ruleset as keepalived 2.2.7, line for line');
});
