import t from 'tap';
import { spawn } from 'node:child_process';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig } from '../support/daemon';

const VIP = '192.0.2.100';

/** Gratuitous ARPs for the VIP seen on the lab bridge, with capture timestamps (s). */
function captureGarps(lab: Lab): { times: number[]; stop: () => void } {
  const times: number[] = [];
  const cp = spawn('ip', ['netns', 'exec', lab.bridgeNs, 'tcpdump', '-i', 'br0', '-n', '-tt', '-l', '-U', 'arp'], { stdio: ['ignore', 'pipe', 'ignore'] });
  let buf = '';
  cp.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      // "1700000000.123 ARP, Request who-has 192.0.2.100 (ff:ff:ff:ff:ff:ff) tell 192.0.2.100, length 28"
      const m = new RegExp(`^(\\d+\\.\\d+) ARP, Request who-has ${VIP.replace(/\./g, '\\.')}( \\([^)]*\\))? tell ${VIP.replace(/\./g, '\\.')}`).exec(line);
      if (m) times.push(Number(m[1]));
    }
  });
  return { times, stop: () => cp.kill('SIGTERM') };
}

t.test('gratuitous ARP bursts follow garp_master_repeat, garp_master_delay and garp_master_refresh', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const cap = captureGarps(lab);
  t.teardown(cap.stop);
  await sleep(700);
  const d = startDaemon(lab, lab.host(1), vrrpConfig({ priority: 100, extra: 'garp_master_repeat 3\n  garp_master_delay 2\n  garp_master_refresh 3\n  garp_master_refresh_repeat 2' }));
  logsOnFailure(t, d);
  t.ok(await waitFor(() => lab.hasAddress(lab.host(1), VIP), 15000), 'master');
  await sleep(6800);
  const ts = cap.times;
  const t0 = ts[0] ?? 0;
  const rel = ts.map((x) => x - t0);
  const first = rel.filter((x) => x < 0.5).length;
  const second = rel.filter((x) => x >= 1.7 && x < 2.5).length;
  t.equal(first, 3, `3 GARPs at once (garp_master_repeat); seen at ${rel.map((x) => x.toFixed(2)).join(', ')}`);
  t.equal(second, 3, '3 more after garp_master_delay 2 s');
  const refresh = rel.filter((x) => x >= 2.7 && x < 3.5).length;
  t.equal(refresh, 2, 'garp_master_refresh 3 s sends garp_master_refresh_repeat (2) GARPs');
});
