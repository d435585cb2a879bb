/**
 * Top-level `net_namespace NAME`, ours and keepalived 2.2.7 on the same configuration. The daemon
 * is started inside lab host h3 (which has its own eth0 on the same LAN) and names h2's namespace:
 * the VIP must land on h2's eth0 and never on h3's, its adverts must reach a peer (ours, in h1),
 * its notify scripts must run in h2's namespace, and at stop the VIP goes and the peer takes
 * over. Observed on keepalived 2.2.7: syslog ident "Keepalived_NAME" (announced with "Changing
 * syslog ident to Keepalived_NAME"), pid files in /run/keepalived/NAME/ (keepalived.pid,
 * vrrp.pid), that directory removed at stop; a namespace that does not exist: "Failed to open
 * /run/netns/NAME", "Unable to set network namespace NAME - exiting", exit status 0.
 * Nothing is configured on the host's own namespace; every namespace is the lab's.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Lab, OutputWatcher, isRoot, waitFor, type LabHost } from '../support/netns';
import { MAIN, NODE_FLAGS, logsOnFailure, seesMaster, startDaemon, tmpDir, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN } from '../support/keepalived';

const VIP = '192.0.2.100';
type Binary = { who: string; argv: string[] };
const OURS: Binary = { who: 'ours', argv: [process.execPath, ...NODE_FLAGS, MAIN] };
const KEEPALIVED: Binary = { who: 'keepalived', argv: [KEEPALIVED_BIN ?? '/usr/sbin/keepalived'] };

/** Starts `bin` inside `launcher` with no pid-file flags (the namespace's defaults are under test). */
function startIn(lab: Lab, launcher: LabHost, bin: Binary, config: string, dir: string): RunningDaemon {
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, config);
  const cp = lab.spawn(launcher.ns, [...bin.argv, '-n', '-l', '-D', '-G', '-f', conf]);
  const out = new OutputWatcher(cp);
  const exited = new Promise<number | null>((r) => cp.on('exit', (code) => r(code)));
  return { host: launcher, cp, out, dir, conf, exited };
}

async function nsId(lab: Lab, ns: string): Promise<string> {
  return (await lab.exec(ns, ['readlink', '/proc/self/ns/net'])).stdout.trim();
}

function namespacedConfig(ns: string, dir: string): string {
  const notify = path.join(dir, 'notify.sh');
  fs.writeFileSync(notify, `#!/bin/sh\necho "$3 $(readlink /proc/self/ns/net)" >> ${path.join(dir, 'notify.log')}\n`, { mode: 0o755 });
  return `net_namespace ${ns}\n${vrrpConfig({ priority: 150, extra: `notify ${notify}` })}`;
}

async function scenario(t: Test, bin: Binary): Promise<void> {
  const lab = await Lab.create(t, { hosts: 3 });
  const [peerHost, target, launcher] = [lab.host(1), lab.host(2), lab.host(3)];
  const pidDir = `/run/keepalived/${target.ns}`;
  t.teardown(() => fs.rmSync(pidDir, { recursive: true, force: true }));
  const peer = startDaemon(lab, peerHost, vrrpConfig({ priority: 100 }));
  const dir = tmpDir(`netns-${bin.who}`);
  const d = startIn(lab, launcher, bin, namespacedConfig(target.ns, dir), dir);
  logsOnFailure(t, peer, d);

  t.ok(await waitFor(() => lab.hasAddress(target, VIP), 20_000), `${bin.who}: the VIP appears in the named namespace (h2)`);
  t.notOk(await lab.hasAddress(launcher, VIP), `${bin.who}: and not in the namespace it was started from (h3)`);
  t.notOk(await lab.hasAddress(peerHost, VIP), `${bin.who}: the peer stays backup`);
  t.ok(await seesMaster(peer, target.ipv4, 10_000), `${bin.who}: the peer receives its adverts, sent from h2's address`);
  t.ok(d.out.has(`Changing syslog ident to Keepalived_${target.ns}`), `${bin.who}: says the syslog ident changes`);
  t.ok(await waitFor(() => fs.existsSync(path.join(pidDir, 'keepalived.pid')) && fs.existsSync(path.join(pidDir, 'vrrp.pid')), 5000),
    `${bin.who}: pid files in /run/keepalived/NAME/`);
  const want = await nsId(lab, target.ns);
  const notifyLog = path.join(dir, 'notify.log');
  const lines = await waitFor(() => {
    const text = fs.existsSync(notifyLog) ? fs.readFileSync(notifyLog, 'utf8') : '';
    return /^MASTER /m.test(text) ? text.trim().split('\n') : undefined;
  }, 10_000);
  t.ok(lines, `${bin.who}: notify scripts ran`);
  for (const l of lines ?? []) t.equal(l.split(' ')[1], want, `${bin.who}: notify ${l.split(' ')[0]} runs in the named namespace`);

  d.cp.kill('SIGTERM');
  t.equal(await Promise.race([d.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]), 0, `${bin.who}: exit 0 on SIGTERM`);
  t.notOk(await lab.hasAddress(target, VIP), `${bin.who}: VIP removed at stop`);
  t.ok(await waitFor(() => lab.hasAddress(peerHost, VIP), 10_000), `${bin.who}: the peer takes over (priority-0 advert reached it)`);
  t.notOk(fs.existsSync(pidDir), `${bin.who}: /run/keepalived/NAME removed at stop`);
}

async function missingNamespace(t: Test, bin: Binary): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const ns = `${lab.prefix}none`;
  const dir = tmpDir(`netns-missing-${bin.who}`);
  const d = startIn(lab, lab.host(1), bin, `net_namespace ${ns}\n${vrrpConfig({ priority: 100 })}`, dir);
  logsOnFailure(t, d);
  t.equal(await Promise.race([d.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]), 0, `${bin.who}: exits, status 0`);
  t.ok(d.out.has(`Failed to open /run/netns/${ns}`), `${bin.who}: Failed to open /run/netns/NAME`);
  t.ok(d.out.has(`Unable to set network namespace ${ns} - exiting`), `${bin.who}: Unable to set network namespace NAME - exiting`);
  t.notOk(await lab.hasAddress(lab.host(1), VIP), `${bin.who}: no VIP where it was started`);
  t.notOk(fs.existsSync(`/run/keepalived/${ns}`), `${bin.who}: no pid directory left`);
}

t.test('net_namespace NAME', { skip: !isRoot() && 'needs root' }, async (t) => {
  const noKa = !KEEPALIVED_BIN && 'keepalived not installed';
  t.test('ours: runs in the named namespace', (t) => scenario(t, OURS));
  t.test('keepalived 2.2.7: runs in the named namespace', { skip: noKa }, (t) => scenario(t, KEEPALIVED));
  t.test('ours: a namespace that does not exist', (t) => missingNamespace(t, OURS));
  t.test('keepalived 2.2.7: a namespace that does not exist', { skip: noKa }, (t) => missingNamespace(t, KEEPALIVED));
});
