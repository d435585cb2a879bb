/**
 * SIGHUP reload in the running daemon, proven on the wire: an unchanged instance keeps its
 * state, VIP and tracker state with no advert gap > advert_int + 50 ms and no GARP burst;
 * a removed instance releases its VIP and runs notify_deleted; a new one starts; a config with
 * errors is refused and the running one kept.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, sleep } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpInstance } from '../support/daemon';
import { bridgeAdvertsAndGarps } from '../support/garp-capture';

const skip = !isRoot() && 'needs root';

function instance(name: string, vrid: number, vip: string, prio: number, dir: string, extra = ''): string {
  return vrrpInstance({ name, vrid, vip: `${vip}/24`, priority: prio, extra: `${extra}\n  notify ${dir}/notify.sh\n  notify_deleted "${dir}/notify.sh deleted ${name}"` });
}

function config(dir: string, instances: string[], prio = 100): string {
  const byName: Record<string, string> = {
    VI_1: instance('VI_1', 51, '192.0.2.100', prio, dir, 'track_script {\n    chk\n  }'),
    VI_2: instance('VI_2', 52, '192.0.2.101', prio, dir),
    VI_3: instance('VI_3', 53, '192.0.2.102', prio, dir),
  };
  return `global_defs {
  router_id ${path.basename(dir)}
  enable_script_security
  script_user root
}
vrrp_script chk {
  script "${dir}/chk.sh"
  interval 1
  weight 5
  rise 3
}
${instances.map((n) => byName[n]).join('\n')}`;
}

function setup(dir: string): void {
  const w = (f: string, body: string): void => {
    fs.writeFileSync(path.join(dir, f), `#!/bin/sh\n${body}\n`);
    fs.chmodSync(path.join(dir, f), 0o755);
  };
  w('chk.sh', 'exit 0');
  w('notify.sh', `echo "$*" >> ${dir}/hooks.log`);
}

const hooks = (dir: string): string[] => {
  try {
    return fs.readFileSync(path.join(dir, 'hooks.log'), 'utf8').trim().split('\n');
  } catch {
    return [];
  }
};

t.test('SIGHUP: unchanged instance untouched on the wire; removed releases; new starts; broken config refused', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const { cap, arp } = await bridgeAdvertsAndGarps(t, lab);
  const [dir1, dir2] = [tmpDir('rl1'), tmpDir('rl2')];
  setup(dir1);
  setup(dir2);
  const d1 = startDaemon(lab, h1, config(dir1, ['VI_1', 'VI_2']), [], dir1);
  const d2 = startDaemon(lab, h2, config(dir2, ['VI_1'], 90), [], dir2);
  logsOnFailure(t, d1, d2);
  t.ok(await waitFor(async () => (await lab.hasAddress(h1, '192.0.2.100')) && (await lab.hasAddress(h1, '192.0.2.101')), 15000), 'h1 master of VI_1 and VI_2');
  t.ok(await d1.out.waitFor('(VI_1) Changing effective priority from 100 to 105', 8000), 'chk up (rise 3): 105');
  await sleep(6500); // past the second GARP burst (garp_master_refresh is off; the 5 s repeat is not)

  fs.writeFileSync(d1.conf, config(dir1, ['VI_1', 'VI_3']));
  const before = d1.out.text.length;
  const reloadAt = Date.now() / 1000;
  d1.cp.kill('SIGHUP');
  t.ok(await d1.out.waitFor('Reload complete', 5000), 'reload complete');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h1, '192.0.2.101')), 3000), 'removed VI_2 released its VIP');
  t.ok(await waitFor(() => hooks(dir1).includes('deleted VI_2'), 3000), 'notify_deleted ran for VI_2');
  t.ok(hooks(dir1).includes('INSTANCE VI_2 DELETED 0') || hooks(dir1).some((l) => /^INSTANCE VI_2 DELETED \d+$/.test(l)), 'notify: INSTANCE VI_2 DELETED');
  t.ok(await waitFor(() => lab.hasAddress(h1, '192.0.2.102'), 8000), 'new VI_3 started and became master');
  await sleep(3000);
  const after = d1.out.text.slice(before);
  t.notMatch(after, /\(VI_1\) Entering/, 'VI_1 changed no state');
  t.notMatch(after, /\(VI_1\) Changing effective priority/, 'VI_1 kept its tracker-derived priority');
  t.match(after, /VRRP_Script\(chk\) considered successful on reload/, 'tracker state kept across reload');
  t.ok(await lab.hasAddress(h1, '192.0.2.100'), 'VI_1 VIP kept');

  const vi1 = cap.adverts.filter((a) => a.vrid === 51 && a.src === h1.ipv4 && a.t > reloadAt - 3);
  t.ok(vi1.length >= 5, `${vi1.length} VI_1 adverts around the reload`);
  t.ok(vi1.every((a) => a.priority === 105), 'VI_1 advertised 105 throughout');
  const gaps = vi1.slice(1).map((a, i) => a.t - (vi1[i] as { t: number }).t);
  const maxGap = Math.max(...gaps);
  t.ok(maxGap <= 1.05, `largest VI_1 advert gap ${Math.round(maxGap * 1000)} ms <= advert_int + 50 ms`);
  const vipGarps = arp.garps.filter((g) => g.ip === '192.0.2.100' && g.t > reloadAt - 0.5);
  t.equal(vipGarps.length, 0, 'no gratuitous ARP for the unchanged VIP around the reload');
  t.ok(arp.garps.some((g) => g.ip === '192.0.2.102'), 'the new instance did announce its VIP (capture works)');

  // A broken config is refused and the running one kept.
  fs.writeFileSync(d1.conf, config(dir1, ['VI_1', 'VI_3']).replace('virtual_router_id 53', 'virtual_router_id 999'));
  const before2 = d1.out.text.length;
  const badAt = Date.now() / 1000;
  d1.cp.kill('SIGHUP');
  t.ok(await d1.out.waitFor(/reload aborted, the running configuration is kept/, 5000), 'broken config refused (logged)');
  await sleep(2500);
  const after2 = d1.out.text.slice(before2);
  t.notMatch(after2, /Entering|Reload complete/, 'nothing changed');
  t.ok((await lab.hasAddress(h1, '192.0.2.100')) && (await lab.hasAddress(h1, '192.0.2.102')), 'both VIPs still held');
  t.ok(cap.adverts.filter((a) => a.vrid === 53 && a.t > badAt).length >= 2, 'VI_3 keeps advertising');
  t.equal(d1.cp.exitCode, null, 'daemon still running');
});
