/**
 * Start-up (issue 11 point 7): a stop signal that arrives while the daemon starts is honoured,
 * and two nodes started together elect without a transient master.
 */
import t from 'tap';
import { Lab, isRoot, waitFor } from '../support/netns';
import { logsOnFailure, startDaemon, vrrpConfig, type RunningDaemon } from '../support/daemon';

const skip = !isRoot() && 'needs root';

/** Send `sig` synchronously from the output handler that first sees `line` (no event-loop turn in between). */
function signalOnLine(d: RunningDaemon, line: string, sig: NodeJS.Signals): Promise<boolean> {
  return new Promise((resolve) => {
    let buf = '';
    const on = (b: Buffer): void => {
      buf += b.toString();
      if (!buf.includes(line)) return;
      d.cp.stdout?.off('data', on);
      d.cp.stderr?.off('data', on);
      resolve(d.cp.kill(sig));
    };
    d.cp.stdout?.on('data', on);
    d.cp.stderr?.on('data', on);
  });
}

t.test('SIGTERM sent the moment "Entering BACKUP STATE (init)" is logged stops the daemon', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  // Three rounds: the signal lands at slightly different points of the end of start-up each time.
  for (let round = 1; round <= 3; round++) {
    const d = startDaemon(lab, lab.host(1), vrrpConfig({ priority: 100 }));
    logsOnFailure(t, d);
    t.ok(await Promise.race([signalOnLine(d, 'Entering BACKUP STATE (init)', 'SIGTERM'), d.exited.then(() => false)]), `round ${round}: signalled at the BACKUP (init) line`);
    const code = await Promise.race([d.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 8000))]);
    t.not(code, 'hung', `round ${round}: the daemon exited (it did not run on and become MASTER)`);
    t.notOk(d.out.has('Entering MASTER STATE'), `round ${round}: never became MASTER`);
    t.ok(await waitFor(() => d.out.has('Stopped Keepalived'), 2000), `round ${round}: stopped as keepalived does`);
    if (code === 'hung') d.cp.kill('SIGKILL');
  }
});

/**
 * Two nodes started 100 ms apart: the election follows the start order and the priorities, with
 * exactly one MASTER transition in the pair (no transient master, no second VIP move). Rounds:
 * equal priorities (the first started wins), higher priority first, lower priority first.
 */
t.test('two nodes started together: one VIP move, no transient master', { skip }, async (t) => {
  const rounds: Array<{ what: string; first: number; second: number; winner: 'first' | 'second' }> = [
    { what: 'equal priorities: the first started wins', first: 100, second: 100, winner: 'first' },
    { what: 'higher priority started first', first: 150, second: 100, winner: 'first' },
    { what: 'lower priority started first', first: 100, second: 150, winner: 'second' },
  ];
  for (const r of rounds) {
    const lab = await Lab.create(t, { hosts: 2 });
    const a = startDaemon(lab, lab.host(1), vrrpConfig({ priority: r.first }));
    await new Promise((res) => setTimeout(res, 100));
    const b = startDaemon(lab, lab.host(2), vrrpConfig({ priority: r.second }));
    logsOnFailure(t, a, b);
    const win = r.winner === 'first' ? a : b;
    const lose = r.winner === 'first' ? b : a;
    t.ok(await win.out.waitFor('Entering MASTER STATE', 15000), `${r.what}: the expected node becomes MASTER`);
    // Long enough for a preemption to show (a lower-priority master is preempted at the next advert).
    await new Promise((res) => setTimeout(res, 2500));
    t.equal(lose.out.count(/Entering MASTER STATE/), 0, `${r.what}: the other node never became MASTER (no extra VIP move)`);
    t.equal(win.out.count(/Entering MASTER STATE/), 1, `${r.what}: one MASTER transition`);
    t.ok(await lab.hasAddress(win.host, '192.0.2.100'), `${r.what}: the VIP is on the winner`);
    t.notOk(await lab.hasAddress(lose.host, '192.0.2.100'), `${r.what}: and not on the other`);
    await lab.destroy();
  }
});
