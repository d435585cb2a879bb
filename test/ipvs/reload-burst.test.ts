/**
 * Runs INSIDE the IPVS VM (npm run test:ipvs), issue #14 fault matrix "40 SIGHUPs in 8 s while
 * scripts and checkers run" with real IPVS (test/integration/fault-matrix has the VRRP pair with a
 * vrrp_script only; checkers need the kernel table):
 *   one daemon (-n -l -D) with a MASTER instance on a veth that tracks a vrrp_script, and a virtual
 *   server whose real servers are checked by a MISC_CHECK script (.11), a TCP_CHECK that finds a
 *   listener (.12) and a TCP_CHECK that finds none (.13). Each script appends a line to its own
 *   file and sleeps, so runs overlap the reloads.
 * Asserted while 40 SIGHUPs arrive 200 ms apart and for 3 s after, polling every ~100 ms: the VIP
 * never leaves, the two healthy real servers never leave the kernel table and the dead one never
 * comes back, the daemon keeps running, the scripts and checkers keep running after the burst, no
 * script runs twice at once (a reload must not start a second copy beside the running one), and
 * a SIGTERM sent 50 ms after one more SIGHUP (so a reload is in flight) starts no reload after
 * "Stopping" (one already applying finishes first), leaves no script process, and removes the
 * VIP and our service.
 * Found by this test (fixed with it): a reload queued behind others ran after "Stopping" and put
 * the VIP and the service back after the cleanup (exit 0, both left behind); every reload
 * re-added a real server its checker had failed (the checkers restarted from "alive").
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile, execFileSync } from 'node:child_process';
import { MAIN, reloadAfterStopProblems } from '../support/daemon';
import { ipvsadm, quiet, realServerLab, sleep, startProc, until } from '../support/ipvs-vm';

const IF = 'tkr0';
const VIP = '192.0.2.50';
const SIGHUPS = 40;
const GAP_MS = 200;

/** A script that counts its runs and notices a second copy of itself alive at once. */
function counter(dir: string, name: string, sleepS: number): string {
  const p = path.join(dir, `${name}.sh`);
  fs.writeFileSync(
    p,
    `#!/bin/sh
echo run >> ${dir}/${name}.runs
# another copy still alive (a copy killed when its checker stopped leaves a stale pid: not counted)
if [ -f ${dir}/${name}.pid ] && kill -0 "$(cat ${dir}/${name}.pid)" 2>/dev/null; then echo overlap >> ${dir}/${name}.overlaps; fi
echo $$ > ${dir}/${name}.pid
sleep ${sleepS}
rm -f ${dir}/${name}.pid
exit 0
`,
    { mode: 0o755 },
  );
  return p;
}

const lines = (f: string): number => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0);

function config(dir: string): string {
  return `global_defs {
  router_id vm
}
vrrp_script chk {
  script "${counter(dir, 'vs', 0.3)}"
  interval 1
  timeout 10
}
vrrp_instance VI_1 {
  state MASTER
  interface ${IF}
  virtual_router_id 51
  priority 150
  advert_int 1
  virtual_ipaddress {
    ${VIP}/32
  }
  track_script {
    chk
  }
}
virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    weight 1
    MISC_CHECK {
      misc_path "${counter(dir, 'rs', 0.2)}"
      misc_timeout 10
    }
  }
  real_server 192.0.2.12 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 2
    }
  }
  real_server 192.0.2.13 8080 {
    weight 1
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;
}

/** The real servers of 192.0.2.100:80 in ipvsadm -Ln's text ([] when the service is missing). */
function realServersIn(table: string): string[] {
  const m = /^TCP {2}192\.0\.2\.100:80 rr[^\n]*\n((?: {2}->[^\n]*\n?)*)/m.exec(table);
  return m ? [...(m[1] ?? '').matchAll(/-> (192\.0\.2\.\d+):8080/g)].map((x) => x[1] as string).sort() : [];
}
const realServers = (): string[] => realServersIn(ipvsadm());
const HEALTHY = '192.0.2.11,192.0.2.12';

const vipIn = (addrs: string): boolean => addrs.includes(` ${VIP}/32 `);
const hasVip = (): boolean => vipIn(execFileSync('ip', ['-o', 'addr', 'show', 'dev', IF], { encoding: 'utf8' }));
/** Asynchronous, so the polling does not hold up the SIGHUPs' schedule (slow under emulation). */
const run = (cmd: string, args: string[]): Promise<string> =>
  new Promise((resolve) => execFile(cmd, args, { encoding: 'utf8' }, (_e, out) => resolve(String(out ?? ''))));

/** Processes whose command line mentions dir (the scripts), none when there are none. */
function scriptsRunning(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', dir], { encoding: 'utf8' }).split('\n').filter((l) => l && !/pgrep/.test(l));
  } catch {
    return [];
  }
}

if (!fs.existsSync('/proc/net/ip_vs')) {
  t.plan(0, 'no IPVS in this kernel: run with npm run test:ipvs');
} else {
  realServerLab(t, IF, 'tkr1');
  t.teardown(() => quiet('ipvsadm', ['-D', '-t', '192.0.2.100:80']));

  t.test(`${SIGHUPS} SIGHUPs in ${(SIGHUPS * GAP_MS) / 1000} s while a vrrp_script, a MISC_CHECK and TCP_CHECKs run`, { timeout: 150_000 }, async (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-reload-burst-'));
    fs.chmodSync(dir, 0o755);
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const conf = path.join(dir, 'keepalived.conf');
    fs.writeFileSync(conf, config(dir));
    const files = ['-p', `${dir}/k.pid`, '-c', `${dir}/c.pid`, '-r', `${dir}/v.pid`];
    const d = startProc(t, [process.execPath, MAIN, '-n', '-l', '-D', '-f', conf, ...files]);

    t.ok(await until(() => hasVip(), 60_000), 'MASTER: the VIP is on the interface');
    t.ok(await until(() => realServers().join() === HEALTHY, 60_000), `checkers settled: ${HEALTHY} in, 192.0.2.13 (no listener) out`);
    await sleep(1500);
    const before = { vs: lines(`${dir}/vs.runs`), rs: lines(`${dir}/rs.runs`), reloads: (d.out().match(/Reloading\b/g) ?? []).length };
    t.ok(before.vs > 0 && before.rs > 0, `scripts ran before the burst (vrrp_script ${before.vs}, MISC_CHECK ${before.rs})`);

    let polls = 0;
    let vipMissing = 0;
    const wrongTables = new Set<string>();
    let wrong = 0;
    let stop = false;
    const poll = (async () => {
      while (!stop) {
        polls++;
        const [addrs, table] = await Promise.all([run('ip', ['-o', 'addr', 'show', 'dev', IF]), run('ipvsadm', ['-Ln'])]);
        if (!vipIn(addrs)) vipMissing++;
        const rs = realServersIn(table).join();
        if (rs !== HEALTHY) {
          wrong++;
          wrongTables.add(rs || '(service missing)');
        }
        await sleep(100);
      }
    })();
    const burstStart = Date.now();
    for (let i = 0; i < SIGHUPS; i++) {
      d.cp.kill('SIGHUP');
      await sleep(burstStart + (i + 1) * GAP_MS - Date.now());
    }
    const burstMs = Date.now() - burstStart;
    const afterBurst = { vs: lines(`${dir}/vs.runs`), rs: lines(`${dir}/rs.runs`) };
    await sleep(3000);
    stop = true;
    await poll;

    const reloads = (d.out().match(/Reloading\b/g) ?? []).length - before.reloads;
    t.equal(d.cp.exitCode, null, `still running after ${SIGHUPS} SIGHUPs in ${burstMs} ms`);
    t.ok(reloads > 0 && reloads <= SIGHUPS, `reloads handled: ${reloads} "Reloading" lines for ${SIGHUPS} SIGHUPs (requests made while one runs wait as one)`);
    t.equal(vipMissing, 0, `the VIP never left (${polls} polls over the burst and 3 s after)`);
    t.equal(wrong, 0, `the real servers stayed ${HEALTHY} in every poll${wrong ? ` (seen: ${[...wrongTables].join(' | ')})` : ''}`);
    const end = { vs: lines(`${dir}/vs.runs`), rs: lines(`${dir}/rs.runs`) };
    t.ok(end.vs > afterBurst.vs, `the vrrp_script keeps running after the burst (${afterBurst.vs} → ${end.vs} runs)`);
    t.ok(end.rs > afterBurst.rs, `the MISC_CHECK keeps running after the burst (${afterBurst.rs} → ${end.rs} runs)`);
    t.comment(`runs during the burst: vrrp_script ${afterBurst.vs - before.vs}, MISC_CHECK ${afterBurst.rs - before.rs}`);
    t.equal(lines(`${dir}/vs.overlaps`), 0, 'the vrrp_script never ran twice at once');
    t.equal(lines(`${dir}/rs.overlaps`), 0, 'the MISC_CHECK never ran twice at once');
    t.match(d.out(), /Reload complete/, '"Reload complete" logged');

    // SIGTERM while a reload is in flight: the reload must not set anything up behind the cleanup.
    const stopAt = d.out().length;
    d.cp.kill('SIGHUP');
    await sleep(50);
    d.cp.kill('SIGTERM');
    t.equal(await Promise.race([d.exited, sleep(20_000).then(() => 'timeout')]), 0, 'SIGTERM during a reload: exit 0');
    const tail = d.out().slice(stopAt);
    t.ok(tail.includes('Stopping'), '"Stopping" logged');
    t.same(reloadAfterStopProblems(d.out()), [], 'no reload starts after "Stopping"; none is applied unless it was applying already');
    t.comment(/Reload abandoned: stopping/.test(tail) ? 'the reload in flight was abandoned' : 'the reload in flight was already applying: it finished, then the cleanup ran');
    t.ok(await until(() => scriptsRunning(dir).length === 0, 5000), `no script process left: ${scriptsRunning(dir).join(' | ') || 'none'}`);
    t.notOk(hasVip(), 'SIGTERM removed the VIP');
    t.same(realServers(), [], 'SIGTERM removed our service');
  });
}
