/**
 * global_defs startup_script / shutdown_script (+ _timeout), as keepalived.conf(5): run once,
 * before anything starts and after everything stopped; a script still running at its timeout is
 * killed so start and stop never hang. Observed through what each script sees when it runs
 * (the VIP on eth0 or not) and the order of the daemon's log lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Lab, isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, tmpDir, vrrpConfig } from '../support/daemon';

const VIP = '192.0.2.100';
const skip = !isRoot() && 'needs root';

function scriptFile(dir: string, name: string, body: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  return f;
}

t.test('startup_script runs before VRRP starts, shutdown_script after the VIP is released', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('life');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const seen = path.join(dir, 'seen');
  const up = scriptFile(dir, 'up.sh', `sleep 1; echo "startup $(ip -o -4 addr show dev eth0 | grep -c ${VIP})" >> ${seen}`);
  const down = scriptFile(dir, 'down.sh', `echo "shutdown $(ip -o -4 addr show dev eth0 | grep -c ${VIP})" >> ${seen}`);
  const d = startDaemon(lab, h1, vrrpConfig({ state: 'MASTER', priority: 100, global: `startup_script ${up}\n  shutdown_script ${down}` }), [], dir);
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15_000), 'the daemon becomes MASTER and holds the VIP');
  const text = d.out.text;
  t.notMatch(text, /(startup|shutdown)_script is accepted for compatibility but not implemented/, 'no "not implemented" warning');
  const iRun = text.indexOf(`Running startup script ${up}`);
  const iDone = text.indexOf(`Startup script ${up} finished`);
  const iInit = text.indexOf('Entering BACKUP STATE (init)');
  t.ok(iRun >= 0 && iDone > iRun && iInit > iDone, 'startup script ran and finished before the instance started');
  t.match(fs.readFileSync(seen, 'utf8'), /^startup 0$/m, 'the startup script saw no VIP');
  d.cp.kill('SIGTERM');
  t.equal(await Promise.race([d.exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]), 0, 'stops with exit 0');
  t.match(fs.readFileSync(seen, 'utf8'), /^shutdown 0$/m, 'the shutdown script ran after the VIP was released');
  const out = d.out.text;
  const iShut = out.indexOf(`Running shutdown script ${down}`);
  t.ok(iShut > out.indexOf('removing VIPs.', out.indexOf('Stopping')) && out.indexOf('Stopped Keepalived') > iShut, 'shutdown script between the release and "Stopped"');
});

t.test('startup_script_timeout: a hanging startup script is killed and start-up goes on', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h1 = lab.host(1);
  const dir = tmpDir('life');
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const hang = scriptFile(dir, 'hang.sh', 'sleep 60');
  const started = Date.now();
  const d = startDaemon(lab, h1, vrrpConfig({ state: 'MASTER', priority: 100, global: `startup_script ${hang}\n  startup_script_timeout 1` }), [], dir);
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor(`Startup script ${hang} timed out after 1 s - killed`, 15_000), 'the script is killed at its timeout');
  t.ok(await waitFor(() => lab.hasAddress(h1, VIP), 15_000), 'and the daemon still starts and becomes MASTER');
  t.comment(`exec → VIP ${Date.now() - started} ms with a 1 s startup_script_timeout`);
  // what runs inside the lab namespace: the daemon only, not the script nor its sleep
  const pids = (await lab.exec(h1.ns, ['ip', 'netns', 'pids', h1.ns])).stdout.split('\n').filter(Boolean);
  const cmds = pids.map((p) => {
    try {
      return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ');
    } catch {
      return '';
    }
  });
  t.same(cmds.filter((c) => c.includes('hang.sh') || /^sleep /.test(c)), [], 'no copy of the script (or its sleep) left running');
});
