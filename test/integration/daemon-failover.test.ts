import t from 'tap';
import { Lab, isRoot, waitFor } from '../support/netns';
import { startDaemon, vrrpConfig } from '../support/daemon';

const VIP = '192.0.2.100';

t.test('two daemons: one master holds the VIP; SIGKILL of the master moves it to the backup', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 3 });
  const [h1, h2, h3] = [lab.host(1), lab.host(2), lab.host(3)];
  const d1 = startDaemon(lab, h1, vrrpConfig({ state: 'MASTER', priority: 100 }));
  const d2 = startDaemon(lab, h2, vrrpConfig({ state: 'BACKUP', priority: 90 }));
  t.teardown(() => {
    if (t.passing()) return;
    t.comment(`h1 log:\n${d1.out.text}`);
    t.comment(`h2 log:\n${d2.out.text}`);
  });
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15000), 'h1 (priority 100) holds the VIP');
  t.ok(await d1.out.waitFor('(VI_1) Entering MASTER STATE', 2000), 'h1 logs Entering MASTER STATE');
  t.ok(await d2.out.waitFor('(VI_1) Entering BACKUP STATE', 2000), 'h2 logs Entering BACKUP STATE');
  // both may time out together and h2 briefly be master before yielding: wait for it to settle
  t.ok(await waitFor(async () => !(await lab.hasAddress(h2, VIP)), 3000), 'h2 does not hold the VIP');

  // h3 learns the VIP's MAC (h1's)
  await lab.exec(h3.ns, ['ping', '-c', '1', '-W', '1', VIP]);
  const macOf = async (h: typeof h1) => JSON.parse((await lab.exec(h.ns, ['ip', '-j', 'link', 'show', 'eth0'])).stdout)[0].address as string;
  const neigh = async () => (await lab.exec(h3.ns, ['ip', 'neigh', 'show', VIP])).stdout;
  t.match(await neigh(), await macOf(h1), 'h3 resolves the VIP to h1');

  const killedAt = Date.now();
  d1.cp.kill('SIGKILL');
  // Master_Down_Interval for priority 90, advert 1 s: 3 + (256-90)/256 = 3.648 s
  const took = await waitFor(() => lab.hasAddress(h2, VIP), 3648 + 1500, 20);
  t.ok(took, 'h2 holds the VIP after the master died');
  const elapsed = Date.now() - killedAt;
  t.ok(elapsed >= 3000, `takeover not before Master_Down_Interval (${elapsed} ms)`);
  t.ok(await d2.out.waitFor('(VI_1) Entering MASTER STATE', 1000), 'h2 logs Entering MASTER STATE');
  const mac2 = await macOf(h2);
  t.ok(await waitFor(async () => (await neigh()).includes(mac2), 2000), 'gratuitous ARP moved h3 to h2\'s MAC');

  d2.cp.kill('SIGTERM');
  t.equal(await Promise.race([d2.exited, new Promise((r) => setTimeout(() => r('timeout'), 2000))]), 0, 'SIGTERM: exit 0 quickly');
  t.notOk(await lab.hasAddress(h2, VIP), 'SIGTERM released the VIP');
});
