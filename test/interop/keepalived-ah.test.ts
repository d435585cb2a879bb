/**
 * `auth_type AH` (VRRPv2 IPsec-AH, HMAC-MD5-96) between our daemon and Debian's keepalived
 * 2.2.7. keepalived with AH listens on IP protocol 51 only, so if our adverts were not AH it
 * would never see them and both would be master: "exactly one master" proves it accepts ours,
 * a takeover proves we accept its. Both roles; after the crash the crashed node restarts and
 * preempts again (its sequence counter starts from zero and must pick up the peer's numbers).
 * A wrong key is rejected by both, each logging keepalived's line and counting it in its dumps.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { MAIN, logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, KEEPALIVED_PACKET_COMPLAINTS, crashTree, interopLab, startKeepalived } from '../support/keepalived';
import { startWithPrivateTmp, type PrivateTmpDaemon } from '../support/private-tmp';

const VIP = '192.0.2.100';
const BAD_ICV = 'IPSEC-AH : invalid IPSEC HMAC-MD5 value. Due to fields mutation or bad password !';

function conf(me: LabHost, priority: number, pass = 'secret12'): string {
  return vrrpConfig({ routerId: me.name, vrid: 42, priority, vip: `${VIP}/24`, extra: `authentication {\n    auth_type AH\n    auth_pass ${pass}\n  }` });
}

const skip = (!isRoot() && 'needs root') || (!KEEPALIVED_BIN && 'keepalived not installed (.ci/run installs it)');
const complaints = (d: RunningDaemon): string[] => d.out.text.split('\n').filter((l) => KEEPALIVED_PACKET_COMPLAINTS.test(l) || /IPSEC-AH/.test(l));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function stop(d: RunningDaemon): Promise<void> {
  if (d.cp.exitCode !== null || d.cp.signalCode !== null) return;
  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, sleep(8000)]);
}

for (const oursIsMaster of [true, false]) {
  t.test(`AH: ${oursIsMaster ? 'ours master, keepalived backup' : 'keepalived master, ours backup'}`, { skip }, async (t) => {
    const { lab, hOurs, hKa, pOurs, pKa, master, backup } = await interopLab(t, oursIsMaster);
    const start = (who: 'ours' | 'ka'): RunningDaemon => (who === 'ours' ? startDaemon(lab, hOurs, conf(hOurs, pOurs)) : startKeepalived(lab, hKa, conf(hKa, pKa)));
    const all: RunningDaemon[] = [start('ours'), start('ka')];
    logsOnFailure(t, ...all);
    const [ours, ka] = all as [RunningDaemon, RunningDaemon];
    t.ok(await waitFor(() => lab.hasAddress(master, VIP), 30000), 'the higher priority holds the VIP');
    await sleep(3000);
    t.ok(await lab.hasAddress(master, VIP), 'still master after several adverts');
    t.notOk(await lab.hasAddress(backup, VIP), 'exactly one master');
    t.ok(await (oursIsMaster ? Promise.resolve(true) : ours.out.waitFor(/master set to 192\.0\.2\.2|Entering BACKUP STATE/, 1000)), 'ours is backup');
    // crash the master; the backup takes over
    const crashed = oursIsMaster ? ours : ka;
    if (oursIsMaster) ours.cp.kill('SIGKILL');
    else crashTree(ka.cp.pid as number);
    await Promise.race([crashed.exited, sleep(3000)]);
    t.ok(await waitFor(() => lab.hasAddress(backup, VIP), 8000), 'the backup takes over after the master crashed');
    await sleep(2500);
    // the crashed node comes back with a fresh sequence counter and preempts
    const again = start(oursIsMaster ? 'ours' : 'ka');
    all.push(again);
    logsOnFailure(t, again);
    t.ok(await waitFor(async () => (await lab.hasAddress(master, VIP)) && !(await lab.hasAddress(backup, VIP)), 30000), 'the restarted higher priority preempts: one master again');
    await sleep(2500);
    t.ok((await lab.hasAddress(master, VIP)) && !(await lab.hasAddress(backup, VIP)), 'and it stays that way');
    for (const d of all.filter((x) => x.host === hKa)) t.same(complaints(d), [], 'keepalived logged no complaint about our adverts');
    for (const d of all.filter((x) => x.host === hOurs)) t.same(complaints(d), [], 'ours logged no complaint about keepalived\'s adverts');
    for (const d of all) await stop(d);
  });
}

function sigJson(): number {
  return Number(execFileSync(KEEPALIVED_BIN as string, ['--signum=JSON'], { encoding: 'utf8' }).trim());
}

async function dumpFile(d: PrivateTmpDaemon, sig: NodeJS.Signals | number, file: string): Promise<string> {
  const f = path.join(d.tmp, file);
  fs.rmSync(f, { force: true });
  process.kill(d.cp.pid as number, sig);
  await waitFor(() => fs.existsSync(f) && fs.statSync(f).size > 0, 5000, 20);
  await sleep(200);
  return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '';
}

t.test('AH: a wrong key is rejected and counted by both', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [hOurs, hKa] = [lab.host(1), lab.host(2)];
  const ours = startWithPrivateTmp(lab, hOurs, 'ours', conf(hOurs, 100, 'secret12'));
  const ka = startWithPrivateTmp(lab, hKa, 'keepalived', conf(hKa, 90, 'wrongkey'));
  logsOnFailure(t, ours, ka);
  t.ok(await waitFor(() => lab.hasAddress(hOurs, VIP), 30000), 'ours becomes master');
  t.ok(await waitFor(() => lab.hasAddress(hKa, VIP), 30000), 'keepalived does not accept our adverts under another key: it becomes master too');
  t.ok(await ka.out.waitFor(new RegExp(`\\(VI_1\\) ${BAD_ICV.replace(/[.()!]/g, (c) => `\\${c}`)}`), 5000), 'keepalived logs the bad ICV');
  t.ok(await ours.out.waitFor(new RegExp(`\\(VI_1\\) ${BAD_ICV.replace(/[.()!]/g, (c) => `\\${c}`)}`), 5000), 'ours logs the same line');
  await sleep(2000);
  const kaStats = await dumpFile(ka, 'SIGUSR2', 'keepalived.stats');
  const kaFail = /Authentication Errors:\n(?:.*\n)*?\s+Failure: (\d+)/.exec(kaStats);
  t.ok(kaFail && Number(kaFail[1]) > 0, `keepalived counts auth failures (${kaFail?.[1]})`);
  const json = JSON.parse((await dumpFile(ours, sigJson(), 'keepalived.json')) || '[]') as Array<{ stats: { auth_failure: number } }>;
  const st = json[0]?.stats;
  t.ok(st && st.auth_failure > 0, `ours counts auth_failure (${st?.auth_failure})`);
  const status = execFileSync(process.execPath, [MAIN, 'status', 'VI_1', '-p', path.join(ours.dir, 'keepalived.pid')], { encoding: 'utf8', timeout: 10_000 });
  const drops = /Drops\s+.*\bah_auth_failed (\d+)/.exec(status);
  if (!t.ok(drops && Number(drops[1]) > 0, `ours shows ah_auth_failed in \`status\` (${drops?.[1]})`)) t.comment(status);
  await stop(ours);
  await stop(ka);
});
