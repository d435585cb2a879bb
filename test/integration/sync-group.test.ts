/**
 * vrrp_sync_group in the running daemon: a member going to FAULT (its own track_interface)
 * takes the whole group to FAULT and the peer takes every VIP; a group-level track_file with
 * weight 0 faults the group; the group's notify hooks run once per group transition, with
 * keepalived's `GROUP name STATE priority` arguments.
 */
import t, { type Test } from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpInstance } from '../support/daemon';

const VIP1 = '192.0.2.100';
const VIP2 = '192.0.2.101';
const skip = !isRoot() && 'needs root';

function config(dir: string, prio: number, withTrack: boolean): string {
  const hooks = path.join(dir, 'group.log');
  const sh = path.join(dir, 'gnotify.sh');
  fs.writeFileSync(sh, `#!/bin/sh\necho "$*" >> ${hooks}\n`);
  fs.chmodSync(sh, 0o755);
  fs.writeFileSync(path.join(dir, 'gate'), '0\n');
  const inst = (name: string, vrid: number, vip: string, extra = ''): string => vrrpInstance({ name, vrid, vip: `${vip}/24`, priority: prio, extra });
  return `global_defs {
  router_id ${path.basename(dir)}
  enable_script_security
  script_user root
}
vrrp_track_file gate {
  file ${dir}/gate
  weight 0
}
vrrp_sync_group G {
  group {
    VI_1
    VI_2
  }
  ${withTrack ? 'track_file {\n    gate\n  }' : ''}
  notify ${sh}
  notify_master "${sh} group-master"
  notify_fault "${sh} group-fault"
}
${inst('VI_1', 51, VIP1)}
${inst('VI_2', 52, VIP2, withTrack ? 'track_interface {\n    tk0\n  }' : '')}
`;
}

async function addVeth(t: Test, lab: Lab, h: LabHost): Promise<void> {
  for (const argv of [['ip', 'link', 'add', 'tk0', 'type', 'veth', 'peer', 'name', 'tk1'], ['ip', 'link', 'set', 'tk1', 'up'], ['ip', 'link', 'set', 'tk0', 'up']]) {
    t.equal((await lab.exec(h.ns, argv)).code, 0, argv.join(' '));
  }
}

const both = async (lab: Lab, h: LabHost, has: boolean): Promise<boolean> =>
  (await lab.hasAddress(h, VIP1)) === has && (await lab.hasAddress(h, VIP2)) === has;

function lines(dir: string): string[] {
  try {
    return fs.readFileSync(path.join(dir, 'group.log'), 'utf8').trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

t.test('sync group: one member to FAULT takes the group; group track_file; group notify once', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  await addVeth(t, lab, h1);
  const [dir1, dir2] = [tmpDir('sg1'), tmpDir('sg2')];
  const d1 = startDaemon(lab, h1, config(dir1, 100, true), [], dir1);
  const d2 = startDaemon(lab, h2, config(dir2, 90, false), [], dir2);
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(() => both(lab, h1, true), 15000), 'h1 holds both VIPs');
  t.ok(await waitFor(() => lines(dir1).includes('GROUP G MASTER 0'), 3000), 'group notify: GROUP G MASTER 0 (a group has no priority; keepalived 2.2.7 passes 0)');

  await lab.exec(h1.ns, ['ip', 'link', 'set', 'tk0', 'down']);
  t.ok(await d1.out.waitFor('(VI_2) Entering FAULT STATE', 3000), 'VI_2 faults on its tracked interface');
  t.ok(await d1.out.waitFor(/\(VI_1\) Entering (FAULT|BACKUP) STATE/, 3000), 'VI_1 follows its group');
  t.ok(await waitFor(() => both(lab, h2, true), 6000), 'h2 takes both VIPs');
  t.ok(await waitFor(() => both(lab, h1, false), 3000), 'h1 holds neither');
  t.ok(await waitFor(() => lines(dir1).includes('group-fault'), 3000), 'group notify_fault ran');

  await lab.exec(h1.ns, ['ip', 'link', 'set', 'tk0', 'up']);
  t.ok(await waitFor(() => both(lab, h1, true), 10000), 'tk0 up: h1 takes both back');
  t.ok(await waitFor(() => both(lab, h2, false), 3000), 'h2 released both');

  fs.writeFileSync(path.join(dir1, 'gate'), '1\n');
  t.ok(await waitFor(() => both(lab, h2, true), 8000), 'group track_file weight 0 non-zero: group faults, h2 takes over');
  t.ok(await waitFor(() => both(lab, h1, false), 3000), 'h1 released both');
  fs.writeFileSync(path.join(dir1, 'gate'), '0\n');
  t.ok(await waitFor(() => both(lab, h1, true), 10000), 'gate back to 0: h1 master again');
  await waitFor(() => lines(dir1).filter((l) => l === 'group-master').length >= 3, 3000);

  const l = lines(dir1);
  const notifies = l.filter((x) => x.startsWith('GROUP '));
  t.same(
    notifies.map((x) => x.split(' ')[2]).filter((s) => s !== 'BACKUP'),
    ['MASTER', 'FAULT', 'MASTER', 'FAULT', 'MASTER'],
    `group notify once per group transition: ${notifies.join(' | ')}`,
  );
  t.equal(l.filter((x) => x === 'group-master').length, 3, 'notify_master for the group ran 3 times');
  t.equal(l.filter((x) => x === 'group-fault').length, 2, 'notify_fault for the group ran 2 times');
});

t.test('sync group: one member becoming MASTER pulls the others to MASTER', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const [dir1, dir2] = [tmpDir('sgp1'), tmpDir('sgp2')];
  const d1 = startDaemon(lab, h1, config(dir1, 100, false), [], dir1);
  const d2 = startDaemon(lab, h2, config(dir2, 90, false), [], dir2);
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(() => both(lab, h1, true), 15000), 'h1 holds both VIPs');
  t.ok(await d2.out.waitFor('(VI_2) Entering BACKUP STATE', 5000), 'h2 backup');
  // h2 stops hearing VRID 51 only (the second byte of the VRRP header); VRID 52 adverts still arrive.
  const mark = d2.out.text.length;
  const nft = await lab.exec(h2.ns, ['nft', 'add table inet tk; add chain inet tk in { type filter hook input priority 0; }; add rule inet tk in ip protocol 112 @th,8,8 51 counter drop; add rule inet tk in ip protocol 112 @th,8,8 52 counter']);
  t.equal(nft.code, 0, `nft: ${nft.stderr}`);
  t.ok(await waitFor(() => d2.out.text.indexOf('(VI_1) Entering MASTER STATE', mark) >= 0, 6000), 'h2 VI_1 times out and becomes MASTER');
  const afterVi1 = d2.out.text.indexOf('(VI_1) Entering MASTER STATE', mark);
  // VI_2 still hears h1's priority-100 adverts, so nothing but the group can make it MASTER.
  t.ok(await waitFor(() => d2.out.text.indexOf('(VI_2) Entering MASTER STATE', afterVi1) >= 0, 1000), 'VI_2 pulled to MASTER with it');
  // The rule really split the VRIDs: 51 dropped, 52 kept arriving (so VI_2 did not time out itself).
  const counters = (await lab.exec(h2.ns, ['nft', 'list', 'table', 'inet', 'tk'])).stdout;
  // nft prints the VRID back in hex (0x33 = 51).
  const count = (vrid: number): number => Number(new RegExp(`@th,8,8 0x${vrid.toString(16)} counter packets (\\d+)`).exec(counters)?.[1] ?? -1);
  t.ok(count(51) > 0, `VRID 51 adverts dropped (${count(51)})`);
  t.ok(count(52) >= 3, `VRID 52 adverts kept arriving (${count(52)})`);
  t.match(d2.out.text.slice(mark), /VRRP_Group\(G\) Syncing instances to MASTER state/, "keepalived's sync line");
});
