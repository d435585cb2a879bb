/**
 * Fault matrix (issue #14), faults of the host rather than the network:
 *  - a full /tmp when dumps are requested: the daemon runs in a private mount namespace whose
 *    /tmp is a 256 KiB tmpfs filled to the last block; SIGUSR1 (data + parent data), SIGUSR2
 *    (stats) and SIGRTMIN+2 (JSON) must leave it running, log a clear error per file and leave no
 *    partial or temporary file; once space is freed the same signal writes the dump.
 *  - the system clock (CLOCK_REALTIME) stepped +1 h and -1 h with `date -s`, 8 s each: the
 *    VRRP timers are monotonic, so no transition on either side and the master keeps its advert
 *    rate (counted on the bridge). The clock is put back by the offset measured against the
 *    monotonic clock before the step, at the end, in teardown and on exit, even on failure.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Lab, isRoot, sleep, waitFor } from '../support/netns';
import { logsOnFailure, vrrpConfig } from '../support/daemon';
import { startWithPrivateTmp } from '../support/private-tmp';
import { FAULT_VIP as VIP, faultPair, masterAndBackup } from '../support/fault-lab';

const skip = !isRoot() && 'needs root';

t.test('a full /tmp when dumps are requested: the daemon keeps running, says why, leaves no partial file', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  // our daemon with a private, tiny (256 KiB), full tmpfs as /tmp
  const d = startWithPrivateTmp(lab, lab.host(1), 'ours', vrrpConfig({ state: 'MASTER', priority: 100 }), [], { fullTmpfsKb: 256 });
  logsOnFailure(t, d);
  t.ok(await d.out.waitFor('Entering MASTER STATE', 30_000), 'daemon up and MASTER');
  const pid = d.cp.pid as number;
  const tmp = `/proc/${pid}/root/tmp`;
  const df = execFileSync('nsenter', ['-t', String(pid), '-m', 'df', '-k', '/tmp'], { encoding: 'utf8' });
  t.comment(df.trim());
  t.match(df, /\s100%\s/, "the daemon's /tmp is full");
  const before = fs.readdirSync(tmp).sort();
  for (const [sig, what] of [['SIGUSR1', 'data'], ['SIGUSR2', 'stats'], [36, 'json']] as const) {
    const errs = d.out.count(/Unable to write/);
    process.kill(pid, sig);
    t.ok(await waitFor(() => (d.out.count(/Unable to write/) > errs ? true : undefined), 5000), `${String(sig)}: an error is logged`);
    await sleep(300);
    t.equal(d.cp.exitCode, null, `${String(sig)}: still running`);
    t.same(fs.readdirSync(tmp).sort(), before, `${String(sig)}: nothing new in /tmp (no partial or temporary file)`);
    const line = d.out.text.split('\n').filter((l) => l.includes('Unable to write')).pop() ?? '';
    t.match(line, new RegExp(`Unable to write ${what} dump: /tmp/keepalived\\.${what}: .*(ENOSPC|no space)`, 'i'), `${String(sig)}: the error names the file and the cause: ${line.trim()}`);
  }
  t.match(d.out.text, /Unable to write parent data dump: \/tmp\/keepalived_parent\.data: .*ENOSPC/, 'the parent data file too');
  // still doing its job: adverts and state untouched, and the next dump works once there is room
  t.ok(await lab.hasAddress(d.host, VIP), 'still holds the VIP');
  fs.rmSync(path.join(tmp, 'fill'));
  process.kill(pid, 'SIGUSR1');
  t.ok(await waitFor(() => (fs.existsSync(path.join(tmp, 'keepalived.data')) ? true : undefined), 5000), 'with room again, SIGUSR1 writes /tmp/keepalived.data');
  t.match(fs.readFileSync(path.join(tmp, 'keepalived.data'), 'utf8'), /VRRP Topology/, 'a whole dump');
  t.notOk(fs.readdirSync(tmp).some((f) => f.endsWith('.tmp')), 'no temporary file left');
});

/** Realtime clock control that always puts the clock back by the offset measured against the monotonic clock. */
class ClockStepper {
  private readonly wall0 = Date.now();
  private readonly mono0 = performance.now();
  private stepped = false;
  step(byMs: number): void {
    this.stepped = true;
    this.set(Date.now() + byMs);
  }
  restore(): void {
    if (!this.stepped) return;
    this.set(this.wall0 + (performance.now() - this.mono0));
    this.stepped = false;
  }
  private set(ms: number): void {
    execFileSync('date', ['-s', `@${(ms / 1000).toFixed(6)}`], { stdio: 'ignore' });
  }
}

t.test('the system clock stepped +1 h and -1 h: no failover, adverts keep their rate', { skip }, async (t) => {
  const p = await faultPair(t);
  const { lab, h1, h2, d1, d2 } = p;
  t.ok(await masterAndBackup(p, 30_000), 'h1 master, h2 backup');
  await sleep(1500);
  const r = await lab.exec(lab.bridgeNs, ['nft', 'add table bridge ck; add chain bridge ck f { type filter hook forward priority 0; }; add rule bridge ck f ip saddr 192.0.2.1 ip protocol 112 counter']);
  t.equal(r.code, 0, 'advert counter on the bridge');
  const adverts = async (): Promise<number> => Number(/packets (\d+)/.exec((await lab.exec(lab.bridgeNs, ['nft', 'list', 'table', 'bridge', 'ck'])).stdout)?.[1] ?? -1);
  const clock = new ClockStepper();
  const onExit = (): void => clock.restore();
  process.on('exit', onExit);
  t.teardown(() => {
    clock.restore();
    process.off('exit', onExit);
  });
  const tr1 = d1.out.count(/Entering \w+ STATE/);
  const tr2 = d2.out.count(/Entering \w+ STATE/);
  for (const byMs of [3_600_000, -3_600_000]) {
    const a0 = await adverts();
    const m0 = performance.now();
    clock.step(byMs);
    let holders = true;
    while (performance.now() - m0 < 8000) {
      if (!(await lab.hasAddress(h1, VIP)) || (await lab.hasAddress(h2, VIP))) holders = false;
      await sleep(200);
    }
    clock.restore();
    const n = (await adverts()) - a0;
    const secs = (performance.now() - m0) / 1000;
    t.comment(`clock ${byMs > 0 ? '+' : '-'}1 h for ${secs.toFixed(1)} s: ${n} adverts from h1 (advert_int 1 s)`);
    t.ok(holders, `${byMs > 0 ? '+' : '-'}1 h: h1 the only holder throughout`);
    t.ok(n >= Math.floor(secs) - 1 && n <= Math.ceil(secs) + 1, `${byMs > 0 ? '+' : '-'}1 h: h1 kept advertising once a second (${n} in ${secs.toFixed(1)} s)`);
  }
  await sleep(4000); // past a Master_Down_Interval after the last step
  t.equal(d1.out.count(/Entering \w+ STATE/), tr1, 'h1 made no transition');
  t.equal(d2.out.count(/Entering \w+ STATE/), tr2, 'h2 made no transition');
  t.ok((await lab.hasAddress(h1, VIP)) && !(await lab.hasAddress(h2, VIP)), 'one holder (h1) after both steps');
  t.ok(Math.abs(Date.now() - (performance.timeOrigin + performance.now())) < 1000, 'the clock is back (within 1 s of the monotonic reckoning)');
});
