/**
 * Real-time scheduling of the daemon (global_defs vrrp_rt_priority, bfd_rt_priority,
 * checker_rt_priority and their *_rlimit_rttime). keepalived runs VRRP, BFD and the checkers in
 * three processes and gives each its own SCHED_RR priority. tskeepalived runs all three on one
 * event-loop thread, so that thread runs SCHED_RR at the highest priority configured for a part
 * the configuration uses (VRRP: instances or static addresses; BFD: bfd_instance; checkers:
 * virtual_server), with that part's RLIMIT_RTTIME.
 *
 * As keepalived 2.2.7 does (observed with vrrp_rt_priority 50, `chrt -p`, /proc/PID/limits):
 * SCHED_RR|SCHED_RESET_ON_FORK at the priority, so scripts run SCHED_OTHER; RLIMIT_RTTIME soft
 * half of *_rlimit_rttime (default 10,000 µs: soft 5000); when the soft limit is passed
 * (SIGXCPU), the line "VRRP process has used too much CPU time, vrrp_rlimit_rttime may need to be
 * increased". Unlike keepalived, which keeps running real-time and is killed by the kernel at the
 * hard limit, the thread drops to SCHED_OTHER at the SIGXCPU (in the addon's signal handler) and
 * comes back to real time 1 s later: a garbage collection or a large status dump must not get the
 * daemon killed (one process here: a SIGKILL would leave the VIPs behind, where keepalived's
 * parent respawns its VRRP child).
 * The hard limit is not keepalived's (= *_rlimit_rttime): the kernel counts RLIMIT_RTTIME in
 * scheduler ticks and checks the hard limit before the soft one, so with 5,000/10,000 µs and
 * HZ=250 (4 ms ticks) the first check comes at 12 ms, past both, and the thread is killed without
 * a SIGXCPU (measured: a 100 ms busy loop at SCHED_RR 50 is SIGKILLed; keepalived 2.2.7's VRRP
 * process dies that way under the takeover benchmark's load and is respawned). Ours is
 * *_rlimit_rttime + 1 s: room for the SIGXCPU whatever HZ is, a backstop should the handler not
 * run. Applied once start-up is complete (so the
 * start-up's CPU bursts do not count) and again after every reload; SCHED_OTHER at stop.
 */
import type { GlobalDefs } from '../config/model';
import type { Logger } from '../observe/log';

export type RtPart = 'VRRP' | 'BFD' | 'checker';

export interface RtSettings {
  readonly part: RtPart;
  readonly priority: number;
  readonly rttimeUs: number;
}

/** The parts of the configuration that run (each one's keywords apply only when it does). */
export interface RtParts {
  readonly vrrp: boolean;
  readonly bfd: boolean;
  readonly checker: boolean;
}

export const DEFAULT_RLIMIT_RTTIME_US = 10_000;
/** Added to *_rlimit_rttime for the hard limit (see above). */
export const RT_HARD_BACKSTOP_US = 1_000_000;
const MAX_RLIMIT_US = 2 ** 31 - 1;

/** RLIMIT_RTTIME for a *_rlimit_rttime: soft half of it (as keepalived), hard it + RT_HARD_BACKSTOP_US. */
export function rttimeLimits(rttimeUs: number): { softUs: number; hardUs: number } {
  return { softUs: Math.min(MAX_RLIMIT_US, Math.max(1, Math.floor(rttimeUs / 2))), hardUs: Math.min(MAX_RLIMIT_US, rttimeUs + RT_HARD_BACKSTOP_US) };
}
/** How long the thread stays SCHED_OTHER after a SIGXCPU before it goes back to real time. */
export const RT_RESUME_MS = 1000;

const KEYWORD: Record<RtPart, string> = { VRRP: 'vrrp_rlimit_rttime', BFD: 'bfd_rlimit_rttime', checker: 'checker_rlimit_rttime' };
/** keepalived names its processes this way in the line (VRRP observed; BFD and checker by analogy). */
const PROCESS: Record<RtPart, string> = { VRRP: 'VRRP', BFD: 'BFD', checker: 'Checker' };

/** The settings for the loop thread: the highest configured priority of a running part (VRRP first on a tie). */
export function chooseRealtime(g: GlobalDefs, parts: RtParts): RtSettings | undefined {
  const candidates: RtSettings[] = [];
  const add = (part: RtPart, on: boolean, priority: number | undefined, rttimeUs: number | undefined): void => {
    if (on && priority !== undefined) candidates.push({ part, priority, rttimeUs: rttimeUs ?? DEFAULT_RLIMIT_RTTIME_US });
  };
  add('VRRP', parts.vrrp, g.vrrpRtPriority, g.vrrpRlimitRttimeUs);
  add('BFD', parts.bfd, g.bfdRtPriority, g.bfdRlimitRttimeUs);
  add('checker', parts.checker, g.checkerRtPriority, g.checkerRlimitRttimeUs);
  let best: RtSettings | undefined;
  for (const c of candidates) if (!best || c.priority > best.priority) best = c;
  return best;
}

export function tooMuchCpuLine(part: RtPart): string {
  return `${PROCESS[part]} process has used too much CPU time, ${KEYWORD[part]} may need to be increased`;
}

/** The addon's two calls (net/native rtEnable/rtDisable); a fake in tests. */
export interface RtPort {
  enable(priority: number, rttimeSoftUs: number, rttimeHardUs: number, onDemoted: () => void): void;
  disable(): void;
}

export interface RtTimers {
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

const nodeTimers: RtTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

export class RealtimeScheduler {
  private current: RtSettings | undefined;
  private resume: { cancel(): void } | undefined;
  private failedFor: string | undefined;
  demotions = 0;

  constructor(
    private readonly port: RtPort,
    private readonly log: Logger,
    private readonly timers: RtTimers = nodeTimers,
  ) {}

  get settings(): RtSettings | undefined {
    return this.current;
  }

  /** Start-up and every reload: real time as `s` says, or SCHED_OTHER when `s` is undefined. */
  apply(s: RtSettings | undefined): void {
    const was = this.current;
    this.current = s;
    this.resume?.cancel();
    this.resume = undefined;
    if (!s) {
      if (was) this.disable();
      return;
    }
    this.enable(s);
  }

  stop(): void {
    this.apply(undefined);
  }

  private enable(s: RtSettings): void {
    const key = `${s.priority}/${s.rttimeUs}`;
    try {
      const { softUs, hardUs } = rttimeLimits(s.rttimeUs);
      this.port.enable(s.priority, softUs, hardUs, () => this.demoted());
      this.failedFor = undefined;
    } catch (e) {
      // Said once per setting (EPERM without CAP_SYS_NICE, e.g. run as a user): the daemon runs on.
      if (this.failedFor !== key) {
        this.failedFor = key;
        const code = (e as { code?: string }).code ?? (e as Error).message;
        this.log.warn(`Unable to set real-time priority ${s.priority} (SCHED_RR) for the ${PROCESS[s.part]} process: ${code}; running at normal priority`);
      }
    }
  }

  private disable(): void {
    try {
      this.port.disable();
    } catch (e) {
      this.log.warn(`Unable to leave real-time scheduling: ${(e as Error).message}`);
    }
  }

  /** SIGXCPU: the addon has already put the thread back to SCHED_OTHER. */
  private demoted(): void {
    const s = this.current;
    if (!s) return;
    this.demotions++;
    this.log.warn(tooMuchCpuLine(s.part));
    this.resume?.cancel();
    this.resume = this.timers.setTimeout(() => {
      this.resume = undefined;
      if (this.current === s) this.enable(s);
    }, RT_RESUME_MS);
  }
}
