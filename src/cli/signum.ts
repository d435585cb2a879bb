/**
 * `keepalived --signum=SIGFUNC`: the signal number a SIGFUNC name maps to (keepalived(8)
 * SIGNALS). Linux numbering; glibc reserves two real-time signals, so SIGRTMIN is 34 and
 * SIGRTMAX 64. Names are case-sensitive, as in keepalived (`--signum=stop` is unknown).
 */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;

export const SIGFUNCS: Readonly<Record<string, number>> = {
  STOP: 15, // SIGTERM
  RELOAD: 1, // SIGHUP
  DATA: 10, // SIGUSR1
  STATS: 12, // SIGUSR2
  STATS_CLEAR: SIGRTMAX - 1,
  JSON: SIGRTMIN + 2,
};

/** The signal number, or undefined for an unknown SIGFUNC. */
export function signum(sigfunc: string): number | undefined {
  return Object.prototype.hasOwnProperty.call(SIGFUNCS, sigfunc) ? SIGFUNCS[sigfunc] : undefined;
}
