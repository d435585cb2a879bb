/**
 * The daemon's own log lines (start, reload, stop) in keepalived 2.2.7's words, measured in a
 * namespace lab with `keepalived -n -l -D` (test/interop/log-lines.test.ts compares the two
 * logs). keepalived writes these from its parent process, whose syslog ident is `Keepalived`
 * (PARENT_IDENT); VRRP lines come from `Keepalived_vrrp`, checker lines from
 * `Keepalived_healthcheckers`. We are one process, so the ident goes with each line.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PARENT_IDENT = 'Keepalived';
export const VRRP_IDENT = 'Keepalived_vrrp';
export const CHECKER_IDENT = 'Keepalived_healthcheckers';

/** "Running on Linux 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) (built for …)". */
export function runningOn(): string {
  return `Running on ${os.type()} ${os.release()} ${os.version()} (Node.js ${process.version})`;
}

/**
 * The command as the user typed it: keepalived logs its argv, whose argv[0] is what the shell
 * was given ('keepalived', '/usr/sbin/keepalived'). Ours runs as `node [flags] SCRIPT args`:
 * SCRIPT is mapped back to the command name — the bare name when the PATH finds this very file
 * under it (the shell's lookup gave the kernel the full path), 'keepalived' when run as
 * `node …/main.js` — and node and its flags are left out.
 */
export function commandArgv0(script: string, pathEnv = process.env.PATH ?? '', isSame: (a: string, b: string) => boolean = sameFile): string {
  const base = path.basename(script);
  if (/^main\.[jt]s$/.test(base)) return 'keepalived';
  for (const dir of pathEnv.split(':')) {
    if (!dir) continue;
    const candidate = path.join(dir, base);
    if (isSame(candidate, script)) return base;
  }
  return script;
}

function sameFile(a: string, b: string): boolean {
  try {
    const sa = fs.statSync(a);
    const sb = fs.statSync(b);
    return sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}

/** "Command line: 'keepalived' '-n' '-l' …" from process.argv. */
export function commandLine(argv: readonly string[] = process.argv, pathEnv?: string): string {
  const words = [commandArgv0(argv[1] ?? 'keepalived', pathEnv), ...argv.slice(2)];
  return `Command line: ${words.map((a) => `'${a}'`).join(' ')}`;
}

export const configurationFile = (file: string): string => `Configuration file ${file}`;
export const openingFile = (file: string): string => `Opening file '${file}'.`;

/** CPU seconds of this process and of its reaped children (scripts), from /proc/self/stat. */
export interface CpuTimes {
  selfUserS: number;
  selfSystemS: number;
  childUserS: number;
  childSystemS: number;
}

export function cpuTimes(): CpuTimes {
  const u = process.cpuUsage();
  let childUserS = 0;
  let childSystemS = 0;
  try {
    // Fields after the ")" of comm: state is field 3; cutime and cstime are fields 16 and 17, in clock ticks (USER_HZ 100).
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    childUserS = Number(rest[13]) / 100;
    childSystemS = Number(rest[14]) / 100;
  } catch {
    /* not Linux: children unknown */
  }
  return { selfUserS: u.user / 1e6, selfSystemS: u.system / 1e6, childUserS, childSystemS };
}

const f6 = (n: number): string => (Number.isFinite(n) ? n : 0).toFixed(6);

/** keepalived's VRRP process at -D: "Stopped - used 0.010336 user time, 0.000000 system time" (else "Stopped"). */
export function stoppedUsed(t: CpuTimes, detail: boolean): string {
  return detail ? `Stopped - used ${f6(t.selfUserS)} user time, ${f6(t.selfSystemS)} system time` : 'Stopped';
}

/** keepalived's parent at -D: "CPU usage (self/children) user: 0.019220/0.010336 system: 0.028831/0.008182". */
export function cpuUsage(t: CpuTimes): string {
  return `CPU usage (self/children) user: ${f6(t.selfUserS)}/${f6(t.childUserS)} system: ${f6(t.selfSystemS)}/${f6(t.childSystemS)}`;
}

/**
 * net_namespace NAME / -s NAME, keepalived 2.2.7's lines (observed): once the configuration is
 * read, "Changing syslog ident to Keepalived_NAME" and every ident gets "_NAME" (Keepalived_NAME,
 * Keepalived_vrrp_NAME); a namespace that does not exist ends the run, with exit status 0.
 */
export const changingIdent = (ns: string): string => `Changing syslog ident to ${PARENT_IDENT}_${ns}`;
export const namespaceOpenFailed = (nsPath: string): string => `Failed to open ${nsPath}`;
export const namespaceSetFailed = (ns: string, why: string): string => `Failed to set network namespace ${ns}: ${why}`;
export const namespaceExiting = (ns: string): string => `Unable to set network namespace ${ns} - exiting`;
