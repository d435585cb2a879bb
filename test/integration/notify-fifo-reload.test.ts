/**
 * `vrrp_notify_fifo FIFO user group` and fifo_write_vrrp_states_on_reload end to end, ours and
 * keepalived 2.2.7 in the same lab. Observed from keepalived 2.2.7: the FIFO it creates is
 * owned by the given user and group, mode 0600, and removed at stop; on SIGHUP with
 * fifo_write_vrrp_states_on_reload it writes one `GROUP "G1" MASTER 0` line per sync group and
 * no instance lines; without the option a reload writes nothing.
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor, sleep } from '../support/netns';
import { labDir, logsOnFailure, startDaemon, vrrpInstance, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived, type Starter } from '../support/keepalived';
import { fifoCatScript, fileLines } from '../support/lines';

function config(dir: string, onReload: boolean): string {
  const inst = (name: string, vrid: number, priority: number, vip: string): string => vrrpInstance({ name, vrid, priority, vip: `${vip}/24` });
  return `global_defs {
  router_id test
  script_user root
  vrrp_notify_fifo ${dir}/vrrp.fifo nobody nogroup
  vrrp_notify_fifo_script ${dir}/reader.sh
  ${onReload ? 'fifo_write_vrrp_states_on_reload' : ''}
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
}
${inst('VI_1', 51, 100, '192.0.2.101')}${inst('VI_2', 52, 90, '192.0.2.102')}`;
}

async function scenario(t: Test, start: Starter, who: string, onReload: boolean): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = labDir(lab, 'fifo');
  const out = fifoCatScript(dir).out;
  const fifo = path.join(dir, 'vrrp.fifo');
  const d: RunningDaemon = start(lab, h1, config(dir, onReload));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => fileLines(out).includes('INSTANCE "VI_1" MASTER 100') && fileLines(out).includes('INSTANCE "VI_2" MASTER 90'), 15_000), `${who}: both MASTER`);
  t.ok(await waitFor(() => fileLines(out).includes('GROUP "G1" MASTER 0'), 3_000), `${who}: group MASTER line`);
  const st = fs.statSync(fifo);
  t.ok(st.isFIFO(), `${who}: FIFO created`);
  t.equal(st.mode & 0o777, 0o600, `${who}: FIFO mode 0600`);
  const ids = (await lab.exec(h1.ns, ['sh', '-c', 'echo $(id -u nobody) $(getent group nogroup | cut -d: -f3)'])).stdout.trim().split(' ').map(Number);
  t.same([st.uid, st.gid], ids, `${who}: FIFO owned by nobody:nogroup`);

  await sleep(500);
  const before = fileLines(out).length;
  d.cp.kill('SIGHUP');
  t.ok(await d.out.waitFor(/Reload complete|Reloading|reload/i, 10_000), `${who}: reloaded`);
  await sleep(2500);
  const added = fileLines(out).slice(before);
  t.same(added, onReload ? ['GROUP "G1" MASTER 0'] : [], `${who}: lines written by the reload (${onReload ? 'with' : 'without'} fifo_write_vrrp_states_on_reload)`);

  d.cp.kill('SIGTERM');
  await Promise.race([d.exited, sleep(10_000)]);
  t.ok(await waitFor(() => !fs.existsSync(fifo), 3_000), `${who}: the FIFO it created is removed at stop`);
}

t.test('notify FIFO owner and fifo_write_vrrp_states_on_reload', { skip: !isRoot() && 'needs root' }, async (t) => {
  for (const onReload of [true, false]) {
    const tag = onReload ? 'with option' : 'without option';
    t.test(`ours, ${tag}`, (t) => scenario(t, startDaemon, 'ours', onReload));
    t.test(`keepalived 2.2.7, ${tag}`, { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', onReload));
  }
});
