/**
 * Named routing tables and protocols in static_routes / static_rules / virtual_routes, read
 * from iproute2's name files as `ip` reads them, ours and keepalived 2.2.7 in the same lab.
 * The lab host gets its own /etc/iproute2 through `ip netns exec`'s /etc/netns/NS overlay
 * (the daemons run under `ip netns exec`), so the host's files are never touched.
 * Observed on keepalived 2.2.7: `table NAME` is looked up in /etc/iproute2/rt_tables (its binary
 * names no rt_tables.d and it does not know the later iproute_etc_dir keyword); ours also reads
 * rt_tables.d/*.conf as `ip` does. A route keepalived tracks (no `no_track`) is installed `proto
 * keepalived` whatever its `protocol` says, with a config warning; a no_track route keeps it.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { startDaemon, logsOnFailure, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

const config = (withDotD: boolean): string => `global_defs {
   router_id named_tables
}
static_routes {
    198.51.100.64/26 dev eth0 table lbtable
    198.51.100.0/26 dev eth0 table lbtable protocol lbproto
    198.51.100.240/28 dev eth0 table lbtable protocol lbproto no_track
${withDotD ? '    198.51.100.128/26 dev eth0 table fromdotd\n' : ''}}
static_rules {
    from 192.0.2.16 table lbtable priority 100
    from 192.0.2.17 table lbtable protocol 250
    from 192.0.2.18 table lbtable preference 7 protocol lbproto
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.20
    }
    virtual_routes {
        198.51.100.192/26 dev eth0 table lbtable protocol lbproto
    }
    virtual_rules {
        from 192.0.2.20 table lbtable
    }
}
`;

/** /etc/netns/NS/iproute2, removed with the lab. */
function iproute2Overlay(lab: Lab, h: LabHost): void {
  const dir = path.join('/etc/netns', h.ns, 'iproute2');
  fs.mkdirSync(path.join(dir, 'rt_tables.d'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'rt_tables'), '255\tlocal\n254\tmain\n253\tdefault\n0\tunspec\n200\tlbtable\n');
  fs.writeFileSync(path.join(dir, 'rt_tables.d', 'extra.conf'), '201 fromdotd\n');
  fs.writeFileSync(path.join(dir, 'rt_protos'), '4\tstatic\n250\tlbproto\n');
  lab.onDestroy(() => fs.rmSync(path.join('/etc/netns', h.ns), { recursive: true, force: true }));
}

async function sh(lab: Lab, h: LabHost, cmd: string): Promise<string> {
  return (await lab.exec(h.ns, ['sh', '-c', cmd])).stdout;
}

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function scenario(t: Test, start: Starter, who: string, withDotD: boolean): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  iproute2Overlay(lab, h);
  const d = start(lab, h, config(withDotD));
  logsOnFailure(t, d);
  // -N: numeric, so the check does not depend on this process's own view of the name files.
  const routes = (): Promise<string> => sh(lab, h, 'ip -N route show table all');
  const installed = await waitFor(async () => {
    const r = await routes();
    return /198\.51\.100\.64\/26 dev eth0 table 200 proto 18/.test(r) && /198\.51\.100\.192\/26 dev eth0 table 200 proto/.test(r) ? r : undefined;
  }, 10_000);
  t.ok(installed, `${who}: static route in table lbtable (200), virtual route in lbtable`);
  // keepalived 2.2.7: "Route cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol",
  // for static and virtual routes alike; with no_track the protocol is kept.
  t.match(installed ?? '', /198\.51\.100\.0\/26 dev eth0 table 200 proto 18/, `${who}: a tracked static route's protocol lbproto is reset to keepalived (18)`);
  t.match(installed ?? '', /198\.51\.100\.192\/26 dev eth0 table 200 proto 18/, `${who}: so is a virtual route's`);
  t.match(installed ?? '', /198\.51\.100\.240\/28 dev eth0 table 200 proto 250/, `${who}: a no_track route keeps protocol lbproto (250)`);
  t.equal(d.out.count(/Route cannot be tracked if protocol is not RTPROT_KEEPALIVED\(18\), resetting protocol/), 2, `${who}: and says so, once per reset route`);
  const rules = (await waitFor(async () => {
    const r = await sh(lab, h, 'ip -N rule show');
    return /192\.0\.2\.20 /.test(r) ? r : undefined;
  }, 10_000)) ?? '';
  t.match(rules, /^100:\s+from 192\.0\.2\.16 lookup 200 proto 18/m, `${who}: static rule looks up lbtable (200)`);
  // keepalived 2.2.7 numbers rules written without a preference itself, in the order the config
  // declares them (the kernel alone would give 32765, 32764, ... in arrival order), and resets a
  // tracked rule's protocol as a route's.
  t.match(rules, /^16384:\s+from 192\.0\.2\.17 lookup 200 proto 18/m, `${who}: a static rule without preference gets 16384, protocol 250 reset to 18`);
  // A rule's protocol is a number only, for keepalived 2.2.7: a name is refused and the rule installed without it.
  t.match(rules, /^7:\s+from 192\.0\.2\.18 lookup 200 proto 18/m, `${who}: a rule with protocol lbproto (a name) is installed as proto 18`);
  t.ok(d.out.has(/Invalid protocol lbproto/), `${who}: and "Invalid protocol lbproto" is said`);
  t.match(rules, /^16383:\s+from 192\.0\.2\.20 lookup 200 proto 18/m, `${who}: the next one (a virtual rule) 16383`);
  t.equal(d.out.count(/Rule has no preference specified - setting to 1638[34]\. This is probably not what you want\./), 2, `${who}: and says so for each`);
  t.equal(d.out.count(/Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED\(18\), resetting protocol/), 1, `${who}: and that the rule's protocol was reset`);
  if (withDotD) t.match(installed ?? '', /198\.51\.100\.128\/26 dev eth0 table 201 proto 18/, `${who}: a table named only in rt_tables.d/extra.conf (201)`);
  t.notOk(d.out.has(/unknown table|invalid table|not a valid table/i), `${who}: no table error`);
  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, new Promise((r) => setTimeout(r, 8000))]);
  t.notMatch(await routes(), /table 20[01]/, `${who}: routes removed at stop`);
}

t.test('named tables and protocols from iproute2 files', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours (rt_tables and rt_tables.d)', (t) => scenario(t, startDaemon, 'ours', true));
  t.test('keepalived 2.2.7 (rt_tables)', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', false));
});
