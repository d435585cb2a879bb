/**
 * notify_priority_changes (vrrp_instance) and vrrp_notify_priority_changes (global_defs) end to
 * end, ours and keepalived 2.2.7 in the same lab: a track_file (weight 1) moves the effective
 * priority while BACKUP and then while MASTER. Observed from keepalived 2.2.7: the FIFO gets
 * `INSTANCE "VI_1" BACKUP_PRIORITY 105` / `MASTER_PRIORITY 107` lines for each change; the
 * notify script is not run for them (only for BACKUP, MASTER, STOP).
 */
import fs from 'node:fs';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Lab, isRoot, waitFor } from '../support/netns';
import { labDir, logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';
import { KEEPALIVED_BIN, startKeepalived, type Starter } from '../support/keepalived';
import { fifoCatScript, fileLines } from '../support/lines';

function config(dir: string, where: 'instance' | 'global'): string {
  return vrrpConfig({
    global: `script_user root\n  vrrp_notify_fifo ${dir}/vrrp.fifo\n  vrrp_notify_fifo_script ${dir}/reader.sh\n  ${where === 'global' ? 'vrrp_notify_priority_changes' : ''}`,
    blocks: `track_file tf {\n  file ${dir}/track.val\n  weight 1\n}\n`,
    priority: 100,
    extra: `notify ${dir}/notify.sh\n  ${where === 'instance' ? 'notify_priority_changes' : ''}\n  track_file {\n    tf\n  }`,
  });
}

async function scenario(t: Test, start: Starter, who: string, where: 'instance' | 'global' | 'off'): Promise<void> {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = labDir(lab, 'prio');
  const fifo = fifoCatScript(dir).out;
  fs.writeFileSync(path.join(dir, 'notify.sh'), `#!/bin/sh\necho "$*" >> ${dir}/notify.out\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'track.val'), '0\n');
  const d: RunningDaemon = start(lab, h1, config(dir, where === 'off' ? 'instance' : where).replace(where === 'off' ? 'notify_priority_changes' : '\0', ''));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => fileLines(fifo).includes('INSTANCE "VI_1" BACKUP 100'), 15_000), `${who}: BACKUP line`);
  fs.writeFileSync(path.join(dir, 'track.val'), '5\n');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 100 to 105', 5_000), `${who}: priority 105 while BACKUP`);
  t.ok(await waitFor(() => fileLines(fifo).includes('INSTANCE "VI_1" MASTER 105'), 10_000), `${who}: MASTER line`);
  fs.writeFileSync(path.join(dir, 'track.val'), '7\n');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 105 to 107', 5_000), `${who}: priority 107 while MASTER`);
  const expected = where === 'off'
    ? ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 105']
    : ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" BACKUP_PRIORITY 105', 'INSTANCE "VI_1" MASTER 105', 'INSTANCE "VI_1" MASTER_PRIORITY 107'];
  await waitFor(() => fileLines(fifo).length >= expected.length, 3_000);
  await new Promise((r) => setTimeout(r, 500)); // nothing more may arrive
  t.same(fileLines(fifo), expected, `${who}: FIFO lines (${where})`);
  t.same(fileLines(path.join(dir, 'notify.out')), ['INSTANCE VI_1 BACKUP 100', 'INSTANCE VI_1 MASTER 105'], `${who}: notify script only for state changes`);
}

t.test('notify_priority_changes', { skip: !isRoot() && 'needs root' }, async (t) => {
  for (const where of ['instance', 'global', 'off'] as const) {
    t.test(`ours, ${where}`, (t) => scenario(t, startDaemon, 'ours', where));
    t.test(`keepalived 2.2.7, ${where}`, { skip: !KEEPALIVED_BIN && 'keepalived not installed' }, (t) => scenario(t, startKeepalived, 'keepalived', where));
  }
});
