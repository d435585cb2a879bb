/**
 * promote_secondaries, ours and keepalived 2.2.7 in the same lab: observed on keepalived,
 * net.ipv4.conf.eth0.promote_secondaries is set to 1 when the daemon starts (already in BACKUP)
 * and put back to its previous value (0) when it stops.
 */
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived } from '../support/keepalived';

type Starter = (lab: Lab, h: LabHost, conf: string) => RunningDaemon;

async function flag(lab: Lab, h: LabHost): Promise<string> {
  return (await lab.exec(h.ns, ['sysctl', '-n', 'net.ipv4.conf.eth0.promote_secondaries'])).stdout.trim();
}

async function scenario(t: Test, start: Starter, who: string): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  t.equal(await flag(lab, h1), '0', `${who}: 0 before start`);
  const d = start(lab, h1, vrrpConfig({ state: 'BACKUP', priority: 100, extra: 'promote_secondaries' }));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('Entering BACKUP STATE (init)', 15_000), `${who}: started`);
  t.ok(await waitFor(async () => ((await flag(lab, h1)) === '1' ? true : undefined), 3000), `${who}: 1 while running`);
  t.notMatch(d.out.text, /promote_secondaries is accepted for compatibility but not implemented/, `${who}: no "not implemented" warning`);
  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, new Promise((r) => setTimeout(r, 10_000))]);
  t.equal(await flag(lab, h1), '0', `${who}: back to 0 after stop`);
}

t.test('promote_secondaries', { skip: !isRoot() && 'needs root' }, async (t) => {
  t.test('ours', (t) => scenario(t, startDaemon, 'ours'));
  t.test('keepalived 2.2.7', { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived'));
});
