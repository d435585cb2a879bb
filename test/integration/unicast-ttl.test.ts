/**
 * unicast_ttl end to end, ours and keepalived 2.2.7 in the same lab. keepalived 2.2.7, observed
 * with tcpdump -v: an instance with `unicast_ttl 7` sends its unicast adverts with IPv4 TTL 7
 * (IPv6: hop limit 7); without the keyword IPv4 ones go with 255 and IPv6 ones with the link's
 * default hop limit (64: keepalived sets it only when configured); a receiver accepts a unicast advert
 * whatever its TTL (its own unicast_ttl changes nothing there; only unicast_peer min_ttl/max_ttl
 * do), so the backup stays BACKUP. Also ours as master with keepalived as its backup.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, sleep, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';
import { captureBridge, type Capture } from '../support/wire';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

function conf(me: LabHost, peer: LabHost, priority: number, ttl: number | undefined): string {
  const kw = ttl === undefined ? '' : `unicast_ttl ${ttl}`;
  const inst = (name: string, vrid: number, src: string, dst: string, vip: string): string => `vrrp_instance ${name} {
  state BACKUP
  interface eth0
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int 1
  unicast_src_ip ${src}
  unicast_peer {
    ${dst}
  }
  ${kw}
  virtual_ipaddress {
    ${vip}
  }
}
`;
  return `global_defs {\n  router_id r${me.index}\n}\n${inst('VI_4', 51, me.ipv4, peer.ipv4, '192.0.2.100/24')}${inst('VI_6', 61, me.ipv6, peer.ipv6, '2001:db8::100/64')}`;
}

/** TTLs (IPv4 `ttl N`, IPv6 `hlim N`) of the captured adverts. */
function ttls(c: Capture): number[] {
  return c.lines.map((l) => Number((/\b(?:ttl|hlim) (\d+)[,)]/.exec(l.text) ?? [])[1] ?? -1));
}

async function scenario(t: Test, startMaster: Starter, startBackup: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  // One capture per sender and family: with -v the IPv4 TTL is on the line that has the timestamp.
  const cap = (filter: string): Capture => captureBridge(lab, filter, ['-v']);
  const from1v4 = cap(`ip proto 112 and src host ${h1.ipv4}`);
  const from1v6 = cap(`ip6 proto 112 and src host ${h1.ipv6}`);
  const from2v4 = cap(`ip proto 112 and src host ${h2.ipv4}`);
  const from2v6 = cap(`ip6 proto 112 and src host ${h2.ipv6}`);
  await sleep(500); // tcpdump listening
  const d1 = startMaster(lab, h1, conf(h1, h2, 100, 7));
  logsOnFailure(t, d1);
  t.ok(await d1.out.waitFor('(VI_4) Entering MASTER STATE', 15_000), `${who}: h1 MASTER (IPv4)`);
  t.ok(await d1.out.waitFor('(VI_6) Entering MASTER STATE', 5_000), `${who}: h1 MASTER (IPv6)`);
  // The backup starts once h1 is master: from then on only h1's adverts keep it BACKUP.
  const d2 = startBackup(lab, h2, conf(h2, h1, 90, undefined));
  logsOnFailure(t, d2);
  t.ok(await d2.out.waitFor('(VI_4) Entering BACKUP STATE', 15_000), `${who}: h2 BACKUP`);
  await sleep(4000); // > Master_Down_Interval of the backup: it must have accepted the TTL-7 adverts
  t.notOk(d2.out.has('Entering MASTER STATE'), `${who}: the backup accepts adverts with TTL 7 and stays BACKUP`);
  const v4 = ttls(from1v4);
  const v6 = ttls(from1v6);
  t.ok(v4.length >= 3 && v4.every((x) => x === 7), `${who}: h1's IPv4 adverts carry TTL 7 (${v4.join(' ')})`);
  t.ok(v6.length >= 3 && v6.every((x) => x === 7), `${who}: h1's IPv6 adverts carry hop limit 7 (${v6.join(' ')})`);
  // The backup takes over (h1 stops: priority 0) and advertises without unicast_ttl: 255.
  d1.cp.kill('SIGTERM');
  t.ok(await d2.out.waitFor('(VI_4) Entering MASTER STATE', 10_000), `${who}: h2 takes over`);
  await sleep(2500);
  const w4 = ttls(from2v4);
  const w6 = ttls(from2v6);
  // keepalived sets the IPv6 hop limit only for unicast_ttl: otherwise the link's default (64 in a new namespace).
  const hopLimit = Number((await lab.exec(h2.ns, ['sysctl', '-n', 'net.ipv6.conf.eth0.hop_limit'])).stdout.trim());
  t.ok(w4.length >= 2 && w4.every((x) => x === 255), `${who}: without unicast_ttl IPv4 adverts carry TTL 255 (${w4.join(' ')})`);
  t.ok(w6.length >= 2 && w6.every((x) => x === hopLimit), `${who}: without unicast_ttl IPv6 adverts carry the link's hop limit ${hopLimit} (${w6.join(' ')})`);
  for (const c of [from1v4, from1v6, from2v4, from2v6]) c.stop();
}

t.test('unicast_ttl', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, startDaemon, 'ours'));
  const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
  t.test('keepalived 2.2.7', { skip: noKa }, (t) => scenario(t, startKeepalived, startKeepalived, 'keepalived'));
  t.test('ours as master, keepalived 2.2.7 as backup', { skip: noKa }, (t) => scenario(t, startDaemon, startKeepalived, 'ours+keepalived'));
});
