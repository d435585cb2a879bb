/**
 * Trackers in the running daemon (one host, one daemon per test): vrrp_script timeouts,
 * rise/fall, reversed weights, weight 0 → FAULT with init_fail, track_file values × weight,
 * track_process appearing and disappearing, track_interface with a weight. The daemon's
 * "(VI_1) Changing effective priority from N to M" lines are the observable; a master
 * announces the new priority at once (seen on the wire).
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { Lab, isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';
import { WireCapture } from '../../scripts/bench/wire-capture';

const VIP = '192.0.2.100';
const skip = !isRoot() && 'needs root';

function writeScript(p: string, body: string): string {
  fs.writeFileSync(p, `#!/bin/sh\n${body}\n`);
  fs.chmodSync(p, 0o755);
  return p;
}

t.test('vrrp_script: timeout kills and fails, fall/rise 2, reverse weight; a master announces at once', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('trk');
  fs.writeFileSync(path.join(dir, 'up'), '');
  const global = `}
vrrp_script hang {
  script "${writeScript(path.join(dir, 'hang.sh'), 'sleep 30')}"
  interval 2
  timeout 1
  weight -20
}
vrrp_script flag {
  script "${writeScript(path.join(dir, 'flag.sh'), `test -f ${dir}/up`)}"
  interval 1
  rise 2
  fall 2
  weight -10
}
vrrp_script rev {
  script "${writeScript(path.join(dir, 'rev.sh'), `test -f ${dir}/rev`)}"
  interval 1
  weight 7 reverse
}
global_defs {
  enable_script_security
  script_user root`;
  const extra = 'track_script {\n    hang\n    flag\n    rev\n  }';
  const cap = new WireCapture(lab.bridgeNs);
  t.teardown(() => cap.stop());
  await cap.ready();
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global, extra }), [], dir);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('VRRP_Script(hang) timed_out', 6000), 'hung script timed out');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 100 to 80', 3000), 'timeout counts as failure: 100 -> 80');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'lone node becomes master');
  const hangs = (await lab.exec(h1.ns, ['pgrep', '-f', `${dir}/hang.sh`])).stdout.trim();
  t.equal(hangs.split('\n').filter(Boolean).length <= 1, true, 'never more than one run of the hung script at a time');

  fs.rmSync(path.join(dir, 'up'));
  const removed = Date.now();
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 80 to 70', 6000), 'flag down after fall 2: 80 -> 70');
  const fallMs = Date.now() - removed;
  t.ok(fallMs > 900, `fall 2 needs two failed runs (${fallMs} ms)`);
  const changedAt = Date.now() / 1000;
  // The master sends an advert with the new priority at once, not at its next advert tick.
  const seen = await waitFor(() => cap.adverts.find((a) => a.priority === 70), 2000, 10);
  t.ok(seen, 'advert with priority 70 on the wire');
  if (seen) t.ok(seen.t - changedAt < 0.5, `announced ${Math.round((seen.t - changedAt) * 1000)} ms after the log line`);

  fs.writeFileSync(path.join(dir, 'rev'), '');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 70 to 63', 4000), 'reverse weight 7 subtracts when up: 70 -> 63');
  fs.writeFileSync(path.join(dir, 'up'), '');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 63 to 73', 5000), 'flag up after rise 2: 63 -> 73');
  t.ok(d.out.has(/VRRP_Script\(flag\) failed \(exited with status 1\)/), 'exit status logged');
  t.ok(d.out.has('VRRP_Script(flag) succeeded'), 'success logged');
});

t.test('weight 0 with init_fail: the instance starts in FAULT and leaves it when the script succeeds', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('trk');
  const global = `}
vrrp_script gate {
  script "${writeScript(path.join(dir, 'gate.sh'), `test -f ${dir}/ok`)}"
  interval 1
  weight 0
  init_fail
}
global_defs {
  enable_script_security
  script_user root`;
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global, extra: 'track_script {\n    gate\n  }' }), [], dir);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('Entering FAULT STATE', 5000), 'FAULT while the weight-0 script fails');
  await waitFor(() => false, 1500);
  t.notOk(await lab.hasAddress(h1, VIP), 'no VIP in FAULT');
  fs.writeFileSync(path.join(dir, 'ok'), '');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 10000), 'script succeeds: leaves FAULT and becomes master');
});

t.test('track_file: value × weight, weight 0 file → FAULT on a non-zero value', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('trk');
  const f = path.join(dir, 'prio');
  const z = path.join(dir, 'gate');
  fs.writeFileSync(f, '0\n');
  fs.writeFileSync(z, '0\n');
  const global = `}
vrrp_track_file tf {
  file ${f}
  weight 3
}
vrrp_track_file tz {
  file ${z}
  weight 0
}
global_defs {`;
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global, extra: 'track_file {\n    tf\n    tz\n  }' }), [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'master');
  fs.writeFileSync(f, '5\n');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 100 to 115', 5000), '5 × 3: 100 -> 115');
  fs.writeFileSync(f, '-4\n');
  // writeFileSync truncates first: the watcher may read the empty file (value 0, priority 100) before -4 lands
  t.ok(await d.out.waitFor(/\(VI_1\) Changing effective priority from (115|100) to 88/, 5000), '-4 × 3: -> 88');
  fs.writeFileSync(z, '1\n');
  t.ok(await d.out.waitFor('Entering FAULT STATE', 5000), 'weight-0 file non-zero: FAULT');
  t.ok(await waitFor(async () => !(await lab.hasAddress(h1, VIP)), 3000), 'VIP released in FAULT');
  fs.writeFileSync(z, '0\n');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 10000), 'back to 0: leaves FAULT, master again');
});

t.test('track_process: the process appearing and disappearing moves the priority', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('trk');
  const name = `tkp${process.pid % 100000}`;
  const bin = path.join(dir, name);
  fs.copyFileSync('/bin/sleep', bin);
  fs.chmodSync(bin, 0o755);
  const global = `}
vrrp_track_process tp {
  process ${name}
  quorum 1
  weight 10
}
global_defs {`;
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, global, extra: 'track_process {\n    tp\n  }' }), [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'master');
  const p = spawn(bin, ['60'], { stdio: 'ignore' });
  t.teardown(() => void p.kill('SIGKILL'));
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 100 to 110', 5000), 'process appeared: 100 -> 110');
  p.kill('SIGKILL');
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 110 to 100', 5000), 'process gone: 110 -> 100');
});

t.test('track_interface with a weight', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  for (const argv of [['ip', 'link', 'add', 'tk0', 'type', 'veth', 'peer', 'name', 'tk1'], ['ip', 'link', 'set', 'tk1', 'up'], ['ip', 'link', 'set', 'tk0', 'up']]) {
    const r = await lab.exec(h1.ns, argv);
    t.equal(r.code, 0, argv.join(' '));
  }
  const d = startDaemon(lab, h1, vrrpConfig({ priority: 100, extra: 'track_interface {\n    tk0 weight -15\n  }' }));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 8000), 'master');
  await lab.exec(h1.ns, ['ip', 'link', 'set', 'tk0', 'down']);
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 100 to 85', 3000), 'tk0 down: 100 -> 85');
  t.ok(await lab.hasAddress(h1, VIP), 'a weighted interface does not fault');
  await lab.exec(h1.ns, ['ip', 'link', 'set', 'tk0', 'up']);
  t.ok(await d.out.waitFor('(VI_1) Changing effective priority from 85 to 100', 3000), 'tk0 up: 85 -> 100');
});
