/**
 * What the benchmarks share besides the capture (wire-capture.ts, test/support/lines.ts): their
 * command-line options and how busy the machine was while they ran.
 */
import os from 'node:os';

/** The value after `name` on the command line, or `dflt`. */
export function argStr(name: string, dflt: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
}

/** The number after `name` on the command line, or `dflt`. */
export function argNum(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

export interface CpuTimes {
  busy: number;
  total: number;
}

/** CPU time of every core so far (ms): busy (user, nice, sys, irq) and in all. */
export function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times.user + c.times.nice + c.times.sys + c.times.irq;
    busy += t;
    total += t + c.times.idle;
  }
  return { busy, total };
}

/** How busy the machine was between two cpuTimes() readings, in % of all cores. */
export function busyPct(a: CpuTimes, b: CpuTimes): number {
  return (100 * (b.busy - a.busy)) / Math.max(1, b.total - a.total);
}
