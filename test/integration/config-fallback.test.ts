// `priority 300` must never reach the wire as the owner priority 255 (issue #11 point 1): keepalived
// 2.2.7 logs "Priority not valid! ... Using default 100" and runs at 100; so do we.
import t from 'tap';
import { spawn } from 'node:child_process';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig } from '../support/daemon';

/** Priorities of the VRRP adverts seen on the lab bridge. */
function capturePriorities(lab: Lab): { prios: number[]; stop: () => void } {
  const prios: number[] = [];
  const cp = spawn('ip', ['netns', 'exec', lab.bridgeNs, 'tcpdump', '-i', 'br0', '-n', '-l', '-U', 'ip proto 112'], { stdio: ['ignore', 'pipe', 'ignore'] });
  lab.onDestroy(() => cp.kill('SIGKILL'));
  let buf = '';
  cp.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const m = /\bprio (\d+)/.exec(buf.slice(0, i));
      if (m) prios.push(Number(m[1]));
      buf = buf.slice(i + 1);
    }
  });
  return { prios, stop: () => cp.kill('SIGTERM') };
}

t.test('priority 300: the daemon runs at 100 (keepalived\'s fallback), never advertises 255', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const cap = capturePriorities(lab);
  t.teardown(cap.stop);
  await sleep(700);
  const d = startDaemon(lab, lab.host(1), vrrpConfig({ priority: 300 }));
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor(/Entering BACKUP STATE/, 15000), 'starts as BACKUP (an owner would go straight to MASTER)');
  t.ok(await d.out.waitFor(/Entering MASTER STATE/, 15000), 'then MASTER, alone on the link');
  t.ok(await waitFor(() => cap.prios.length >= 3, 10000), 'adverts seen');
  t.notOk(d.out.has(/effective priority from \d+ to 255|effective priority from 300/), 'no priority change to 255 logged');
  t.ok(d.out.has(/'priority' value 300 is outside range \[1, 255\]; using the default 100/), 'the log says which value is used');
  t.ok(cap.prios.every((p) => p === 100), `every advert carries priority 100 (seen ${cap.prios.join(',')})`);
});

t.test('an interface that does not exist: the daemon refuses to start, as keepalived ("Non-existent interface specified in configuration")', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const d = startDaemon(lab, lab.host(1), vrrpConfig({ priority: 100, iface: 'eth7' }));
  logsOnFailure(t, d);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([d.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20000)))]);
  clearTimeout(timer);
  t.not(code, 'timeout', 'exits by itself');
  t.equal(code, 2, `exit status 2, as keepalived 2.2.7's daemon ("exited with permanent error CONFIG")`);
  t.ok(d.out.has(/interface eth7 for vrrp_instance VI_1 doesn't exist/), 'names the interface');
  t.ok(d.out.has(/Non-existent interface specified in configuration/), "keepalived's line");
  t.notOk(d.out.has(/Entering (BACKUP|MASTER) STATE/), 'no instance ran');
});

t.test('a main configuration file that does not exist: the daemon exits 6, as keepalived 2.2.7 ("Config files missing")', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const d = startDaemon(lab, lab.host(1), vrrpConfig({ priority: 100 }), ['-f', '/nonexistent/keepalived.conf']);
  logsOnFailure(t, d);
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([d.exited, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 20000)))]);
  clearTimeout(timer);
  t.equal(code, 6, 'exit status 6');
  t.notOk(d.out.has(/Entering (BACKUP|MASTER) STATE/), 'no instance ran');
});
