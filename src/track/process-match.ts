/**
 * vrrp_track_process matching over a /proc snapshot (pure; the runtime reads /proc).
 * Facts (keepalived.conf(5), vrrp_track_process):
 *  - `process NAME [PARAMS…]`: NAME matches the process name exactly (like `pgrep ^NAME$`),
 *    i.e. /proc/PID/comm, which the kernel truncates to 15 characters; a longer NAME is
 *    compared with the basename of argv[0] when comm is its 15-character prefix.
 *  - `full_command`: NAME is compared with argv[0] as given at exec (e.g. /usr/sbin/nginx).
 *  - PARAMS absent: any parameters match. Present: by default they must equal the whole
 *    parameter list; `param_match initial` = a prefix of it; `partial` = appear as a
 *    contiguous run anywhere in it.
 *  - `quorum N` [1] / `quorum_max M`: present while N <= matching processes <= M.
 */

export interface ProcessInfo {
  pid: number;
  /** /proc/PID/comm without the trailing newline. */
  comm: string;
  /** /proc/PID/cmdline split on NUL (empty for kernel threads). */
  argv: readonly string[];
}

export interface ProcessSpec {
  /** The `process` line split into words: name then parameters. */
  process: readonly string[];
  paramMatch?: 'exact' | 'initial' | 'partial';
  fullCommand?: boolean;
  quorum?: number;
  quorumMax?: number;
}

const COMM_LEN = 15;

function basename(p: string): string {
  const i = p.lastIndexOf('/');
  return i < 0 ? p : p.slice(i + 1);
}

function nameMatches(spec: ProcessSpec, name: string, p: ProcessInfo): boolean {
  if (spec.fullCommand) return p.argv[0] === name;
  if (p.comm === name) return true;
  return name.length > COMM_LEN && p.comm === name.slice(0, COMM_LEN) && basename(p.argv[0] ?? '') === name;
}

function paramsMatch(mode: ProcessSpec['paramMatch'], want: readonly string[], have: readonly string[]): boolean {
  if (want.length === 0) return true;
  if (mode === 'initial') return want.every((w, i) => have[i] === w);
  if (mode === 'partial') {
    for (let start = 0; start + want.length <= have.length; start++) {
      if (want.every((w, i) => have[start + i] === w)) return true;
    }
    return false;
  }
  return want.length === have.length && want.every((w, i) => have[i] === w);
}

export function processMatches(spec: ProcessSpec, p: ProcessInfo): boolean {
  const [name, ...params] = spec.process;
  if (name === undefined || !nameMatches(spec, name, p)) return false;
  return paramsMatch(spec.paramMatch, params, p.argv.slice(1));
}

export function countMatches(spec: ProcessSpec, procs: readonly ProcessInfo[]): number {
  let n = 0;
  for (const p of procs) if (processMatches(spec, p)) n++;
  return n;
}

/** Present when quorum <= count <= quorum_max. */
export function quorumState(spec: ProcessSpec, count: number): 'up' | 'down' {
  const min = spec.quorum ?? 1;
  const max = spec.quorumMax ?? Number.POSITIVE_INFINITY;
  return count >= min && count <= max ? 'up' : 'down';
}
