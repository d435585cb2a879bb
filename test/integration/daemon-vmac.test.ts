import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor } from '../support/netns';
import { MAIN, logsOnFailure, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';

const skip = !isRoot() && 'needs root';
const VIP = '192.0.2.100';

async function linkJson(lab: Lab, ns: string, ifname: string): Promise<{ address?: string; link?: string; linkinfo?: { info_kind?: string } } | undefined> {
  const r = await lab.exec(ns, ['ip', '-j', '-d', 'link', 'show', ifname]);
  if (r.code !== 0) return undefined;
  return (JSON.parse(r.stdout) as Array<{ address?: string; link?: string; linkinfo?: { info_kind?: string } }>)[0];
}

t.test('use_vmac: a macvlan with 00:00:5e:00:01:VRID carries the VIP and the GARPs; removed on stop', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const d1 = startDaemon(lab, h1, vrrpConfig({ priority: 100, vrid: 51, extra: 'use_vmac' }));
  const d2 = startDaemon(lab, h2, vrrpConfig({ priority: 90, vrid: 51, extra: 'use_vmac' }));
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(async () => (await lab.addresses(h1, 'vrrp.51')).some((a) => a.startsWith(VIP)), 15000), 'h1 holds the VIP on vrrp.51');
  const link = await linkJson(lab, h1.ns, 'vrrp.51');
  t.equal(link?.address, '00:00:5e:00:01:33', 'VMAC address is 00:00:5e:00:01:VRID (51 = 0x33)');
  t.equal(link?.linkinfo?.info_kind, 'macvlan', 'it is a macvlan');
  await lab.exec(h3.ns, ['ping', '-c', '1', '-W', '1', VIP]);
  const neigh = (await lab.exec(h3.ns, ['ip', 'neigh', 'show', VIP])).stdout;
  t.match(neigh, '00:00:5e:00:01:33', `the client resolves the VIP to the virtual MAC (${neigh.trim()})`);
  t.ok(await waitFor(async () => !(await lab.addresses(h2, 'vrrp.51')).some((a) => a.startsWith(VIP)), 3000), 'the backup does not hold the VIP');
  d1.cp.kill('SIGTERM');
  t.equal(await d1.exited, 0, 'h1 stopped');
  t.equal(await linkJson(lab, h1.ns, 'vrrp.51'), undefined, 'vrrp.51 removed on stop');
  t.ok(await waitFor(async () => (await lab.addresses(h2, 'vrrp.51')).some((a) => a.startsWith(VIP)), 5000), 'h2 took over on its own VMAC');
  await lab.exec(h3.ns, ['ping', '-c', '1', '-W', '1', VIP]);
  t.match((await lab.exec(h3.ns, ['ip', 'neigh', 'show', VIP])).stdout, '00:00:5e:00:01:33', 'same virtual MAC after failover');
});

t.test('without -n the daemon detaches, writes its pid files, and SIGTERM removes them', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('fork');
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, vrrpConfig({ priority: 100 }));
  const pid = path.join(dir, 'keepalived.pid');
  const vpid = path.join(dir, 'vrrp.pid');
  const r = await lab.exec(h1.ns, [process.execPath, MAIN, '-G', '-f', conf, '-p', pid, '-r', vpid], 15000);
  t.equal(r.code, 0, 'the launching process exits 0 at once');
  const read = (f: string) => (fs.existsSync(f) ? Number(fs.readFileSync(f, 'utf8').trim()) : undefined);
  t.ok(await waitFor(() => read(pid) !== undefined && read(vpid) !== undefined, 15000), 'pid files written');
  const daemonPid = read(pid) as number;
  t.teardown(() => {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'the detached daemon runs VRRP');
  const again = await lab.exec(h1.ns, [process.execPath, MAIN, '-n', '-G', '-f', conf, '-p', pid, '-r', vpid], 15000);
  t.not(again.code, 0, 'a second daemon with the same pid file refuses to start');
  t.match(again.stderr + again.stdout, /already running/, 'and says why');
  process.kill(daemonPid, 'SIGTERM');
  t.ok(await waitFor(() => !fs.existsSync(pid) && !fs.existsSync(vpid), 5000), 'pid files removed on SIGTERM');
  t.notOk(await lab.hasAddress(h1, VIP), 'VIP released');
});

t.test('-s NAME runs the daemon inside network namespace NAME', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('netns');
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, vrrpConfig({ priority: 100 }));
  const { spawn } = await import('node:child_process');
  const cp = spawn(process.execPath, [MAIN, '-n', '-l', '-G', '-s', h1.ns, '-f', conf, '-p', path.join(dir, 'k.pid'), '-r', path.join(dir, 'v.pid')], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => cp.on('exit', (c) => r(c)));
  t.teardown(() => {
    if (cp.exitCode === null) cp.kill('SIGKILL');
  });
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'the VIP appears inside the namespace');
  cp.kill('SIGTERM');
  t.equal(await exited, 0, 'SIGTERM reaches the daemon in the namespace; exit 0');
  t.notOk(await lab.hasAddress(h1, VIP), 'VIP released');
});
