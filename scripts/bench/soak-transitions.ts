/**
 * Soak (issue 14): 100,000 state transitions in one VrrpService (the daemon's VRRP half), and
 * what they leave behind. A peer flaps its priority across ours every 50 ms: priority 200
 * (we go BACKUP at once), then 50 (ignored; our Master_Down timer, 3 × the peer's 10 ms
 * advert interval + skew, makes us MASTER again), so each 100 ms brings two transitions, each
 * with its VIP add/delete, gratuitous ARPs, adverts and a real `notify` script (fork+exec of
 * /bin/sh through the addon, as the daemon runs hooks).
 *
 * Virtual time, real processes. 100,000 transitions at 2 per 100 ms are 83 minutes of wall
 * time; the VRRP timers therefore run on a virtual clock (test/support/fake-clock), the network
 * ports are in-memory fakes (FakeRtnl, a socket that hands over the peer's adverts, a counting
 * announcer), and everything else is real: the service, instance runtime, recorder, notifier,
 * hook queue and the native script runner, each hook a real child process. A run is bounded by
 * the spawn rate of the host, not by protocol time.
 *
 * Printed at start (after a 1,000-transition warm-up) and at the end: fds of this process, RSS
 * (after a full GC), pending virtual timers (the timer heap the runtime arms), Node's active
 * handles, and notify children still running. Exits 1 when any is not flat (fds/timers/handles
 * equal, RSS within ±5 MB, no child left).
 *
 * Usage (root not needed): node dist/scripts/bench/soak-transitions.js [--transitions 100000]
 * (it re-runs itself with --expose-gc and the daemon's V8 flags, read from the CLI's shebang).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfigText } from '../../src/config/load';
import { VrrpService } from '../../src/runtime/vrrp-service';
import { NativeScriptRunner } from '../../src/notify/native-runner';
import type { ScriptRunner } from '../../src/notify/exec';
import { Recorder } from '../../src/observe/recorder';
import type { Logger } from '../../src/observe/log';
import type { AnnouncePort, ReceivedPacket, VrrpSocket, VrrpSocketFactory } from '../../src/net/ports';
import { FakeClock } from '../../test/support/fake-clock';
import { FakeRtnl } from '../../test/support/fake-rtnl';
import { advertPayload } from '../../test/support/vrrp-frames';

const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const TRANSITIONS = arg('--transitions', 100_000);
const WARMUP = Math.min(1000, Math.floor(TRANSITIONS / 10));
const FLAP_MS = 50;
const PEER = '192.0.2.9';
const ME = '192.0.2.2';
const VIP = '192.0.2.100';

/** A logger that counts lines and keeps none (a MemoryLogger would grow with the run). */
class CountingLogger implements Logger {
  lines = 0;
  readonly detail = true;
  error(): void {
    this.lines++;
  }
  warn(): void {
    this.lines++;
  }
  info(): void {
    this.lines++;
  }
  debug(): void {
    this.lines++;
  }
  child(): Logger {
    return this;
  }
}

class PeerSockets implements VrrpSocketFactory {
  private handlers: Array<(p: ReceivedPacket) => void> = [];
  sent = 0;
  open(): VrrpSocket {
    let mine: ((p: ReceivedPacket) => void) | undefined;
    return {
      send: () => void this.sent++,
      onPacket: (cb) => {
        mine = cb;
        this.handlers.push(cb);
      },
      onError: () => undefined,
      close: () => {
        this.handlers = this.handlers.filter((h) => h !== mine);
      },
    };
  }
  deliver(priority: number): void {
    // VRRPv3, advert interval 1 cs: Master_Down_Interval = 30 ms + skew.
    const data = advertPayload({ vrid: 51, priority, vips: [VIP], version: 3, advertIntCs: 1, src: PEER, dst: '224.0.0.18' });
    for (const h of this.handlers) h({ family: 'inet', data, src: PEER, dst: '224.0.0.18', ttl: 255, ifindex: 2 });
  }
}

/** Children of this process still running (zombies not yet reaped count too: they hold a pid). */
function childPids(): string[] {
  const out: string[] = [];
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      out.push(...fs.readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
    } catch {
      /* thread gone */
    }
  }
  return out;
}
const stateOf = (pid: string): string => {
  try {
    return /State:\s+(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
  } catch {
    return 'gone';
  }
};
/** Children still running (zombies, exited and not yet reaped, are counted apart). */
const children = (): number => childPids().filter((p) => !['Z', 'gone'].includes(stateOf(p))).length;
const zombies = (): number => childPids().filter((p) => stateOf(p) === 'Z').length;
const describe = (pid: string): string => {
  try {
    const st = /State:\s+(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
    const name = /Name:\s+(\S+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? '?';
    return `${pid} ${name} ${st}`;
  } catch {
    return pid;
  }
};

interface Figures {
  transitions: number;
  fds: number;
  rssMb: number;
  heapMb: number;
  heapTotalMb: number;
  virtualTimers: number;
  activeHandles: number;
  children: number;
  zombies: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const gc = (globalThis as { gc?: () => void }).gc;

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-soak-'));
  const notify = path.join(dir, 'notify.sh');
  fs.writeFileSync(notify, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  const text = `global_defs {\n  router_id soak\n}\nvrrp_instance VI_1 {\n  state BACKUP\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  version 3\n  advert_int 1\n  notify ${notify}\n  virtual_ipaddress {\n    ${VIP}/24\n  }\n}\n`;
  const loaded = loadConfigText(text, path.join(dir, 'keepalived.conf'), { configId: 'soak', readFile: (p) => fs.readFileSync(p, 'utf8') });
  if (!loaded.model) throw new Error(`config: ${JSON.stringify(loaded.diagnostics)}`);
  const clock = new FakeClock();
  const rtnl = new FakeRtnl();
  await rtnl.addAddress({ family: 'inet', address: ME, prefixLen: 24, dev: 'eth0' });
  const sockets = new PeerSockets();
  let announced = 0;
  const announcer: AnnouncePort = { gratuitousArp: () => void announced++, unsolicitedNa: () => void announced++ };
  const log = new CountingLogger();
  const recorder = new Recorder();
  let transitions = 0;
  // Every transition queues one notify hook; hooks of an instance run one after another. The
  // virtual clock makes transitions far faster than real processes can start, so the soak
  // keeps the hook backlog small (as a real 50 ms flap does): otherwise what grows is the
  // queue of hooks still to run, which is the run's own backpressure, not a leak.
  const native = new NativeScriptRunner();
  let hooksDone = 0;
  const runner: ScriptRunner = { run: (argv, opts) => native.run(argv, opts).finally(() => void hooksDone++) };
  const MAX_BACKLOG = 8;
  const svc = new VrrpService(loaded.model, {
    clock, log, rtnl, sockets, announcer, runner, recorder,
    onStateChange: () => void transitions++,
  });
  await svc.start();

  let high = true;
  let lastSettle = 0;
  const runTo = async (target: number): Promise<void> => {
    while (transitions < target) {
      sockets.deliver(high ? 200 : 50);
      high = !high;
      clock.advance(FLAP_MS);
      await rtnl.settle();
      rtnl.calls.length = 0; // the fake records every call for tests; the soak must not measure that
      // Let real time pass for the hooks: never more than a few children at once.
      if (transitions - lastSettle >= 50 || children() > 8 || transitions - hooksDone > MAX_BACKLOG) {
        lastSettle = transitions;
        const end = Date.now() + 10_000;
        while ((children() > 2 || transitions - hooksDone > 2) && Date.now() < end) await sleep(2);
        await new Promise((r) => setImmediate(r));
      }
    }
  };
  const figures = async (): Promise<Figures> => {
    const end = Date.now() + 10_000;
    while ((children() > 0 || zombies() > 0 || hooksDone < transitions) && Date.now() < end) await sleep(10);
    await sleep(1200); // the hook queue's 1 s wait timers, if any, have run
    gc?.();
    gc?.();
    const m = process.memoryUsage();
    return {
      transitions,
      fds: fs.readdirSync('/proc/self/fd').length,
      rssMb: Math.round((m.rss / 2 ** 20) * 10) / 10,
      heapTotalMb: Math.round((m.heapTotal / 2 ** 20) * 10) / 10,
      heapMb: Math.round((m.heapUsed / 2 ** 20) * 10) / 10,
      virtualTimers: clock.pending(),
      activeHandles: process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap').length,
      children: children(),
      zombies: zombies(),
    };
  };

  const t0 = Date.now();
  await runTo(WARMUP);
  const start = await figures();
  console.log(`start: ${JSON.stringify(start)} ${childPids().map(describe).join(', ')}`);
  const t1 = Date.now();
  let nextReport = WARMUP + 10_000;
  while (transitions < TRANSITIONS) {
    await runTo(Math.min(nextReport, TRANSITIONS));
    if (transitions < TRANSITIONS) {
      const m = process.memoryUsage();
      console.log(`  ${transitions} transitions, ${((Date.now() - t1) / 1000).toFixed(0)} s, rss ${(m.rss / 2 ** 20).toFixed(1)} MB, virtual timers ${clock.pending()}, children ${children()}`);
    }
    nextReport += 10_000;
  }
  const endF = await figures();
  console.log(`end:   ${JSON.stringify(endF)} ${childPids().map(describe).join(', ')}`);
  const zBefore = zombies();
  await new Promise((r) => setImmediate(r));
  await sleep(300);
  console.log(`zombies ${zBefore} → ${zombies()} after 300 ms more of real time (virtual clock not moved)`);
  const wallS = (Date.now() - t0) / 1000;
  const virtS = (clock.now() - 1000) / 1000;
  const counts = Object.fromEntries(recorder.transitionCountsOf('VI_1'));
  console.log(
    `${transitions} transitions (${JSON.stringify(counts)}) in ${wallS.toFixed(0)} s wall, ${virtS.toFixed(0)} s virtual; ` +
      `${sockets.sent} adverts, ${announced} GARPs, ${log.lines} log lines; host load ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores`,
  );
  await svc.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  const flat =
    endF.fds === start.fds && endF.virtualTimers === start.virtualTimers && endF.activeHandles === start.activeHandles && Math.abs(endF.rssMb - start.rssMb) <= 5 && endF.children === 0 && endF.zombies <= Math.max(1, start.zombies);
  console.log(flat ? 'FLAT: fds, virtual timers, handles equal; RSS within ±5 MB; no notify child left' : 'NOT FLAT');
  process.exit(flat ? 0 : 1);
}

/**
 * The daemon's V8 flags (from the shebang of the CLI it runs as): RSS is only comparable when
 * the heap is sized as the daemon sizes it (plain node grows its young generation to 32 MB).
 */
function daemonFlags(): string[] {
  const cli = path.join(__dirname, '../../src/cli/main.js');
  const first = fs.readFileSync(cli, 'utf8').split('\n', 1)[0] ?? '';
  return first.split(/\s+/).filter((w) => w.startsWith('--'));
}

const flags = daemonFlags();
if (!flags.every((f) => process.execArgv.includes(f)) || !process.execArgv.includes('--expose-gc')) {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', ...flags, __filename, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 2);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exit(2);
});
