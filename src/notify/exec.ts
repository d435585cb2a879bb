/**
 * ScriptRunner: runs a user script (argv already split) without blocking the event loop,
 * with a timeout that kills the whole process group, and reports how it ended.
 */
import type { spawn as SpawnFn } from 'node:child_process';

/** node:child_process is required on first use, not at start-up (it pulls in net, streams and more). */
const spawn = ((...a: Parameters<typeof SpawnFn>) => (require('node:child_process') as { spawn: typeof SpawnFn }).spawn(...a)) as typeof SpawnFn;

/** PATH given to every script (and used to find a script named without a '/'). */
export const SCRIPT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Variables passed through from the daemon's environment when set (locale and time zone). */
const PASSED = ['LANG', 'LC_ALL', 'TZ'] as const;

/**
 * The environment every script gets: PATH=SCRIPT_PATH, plus LANG, LC_ALL and TZ when the daemon
 * has them. Nothing else of the daemon's environment reaches a script (keepalived 2.2.7 passes
 * its whole environment; secrets in the service's environment must not reach user scripts).
 */
export function scriptEnv(from: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const env: Record<string, string> = { PATH: SCRIPT_PATH };
  for (const k of PASSED) {
    const v = from[k];
    if (v !== undefined) env[k] = v;
  }
  return env;
}

export type ScriptOutcome =
  | { kind: 'exited'; status: number }
  | { kind: 'signalled'; signal: string }
  | { kind: 'timed_out' }
  | { kind: 'spawn_error'; message: string };

export interface ScriptResult {
  outcome: ScriptOutcome;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  timeoutMs?: number;
  uid?: number;
  gid?: number;
  /** The script's whole environment (default scriptEnv()). */
  env?: Record<string, string>;
  /** The file to execute, already resolved (and checked) by the ScriptPolicy; argv[0] is kept. */
  execPath?: string;
  /** Called with the child's pid (its process group) once it is started. */
  onSpawn?: (pid: number) => void;
  /** Cap on captured output per stream, so a chatty script cannot grow memory. */
  maxOutput?: number;
  /** Don't capture stdout/stderr (check scripts): cheaper to spawn; output goes to /dev/null. */
  discardOutput?: boolean;
}

export interface ScriptRunner {
  run(argv: readonly string[], opts?: RunOptions): Promise<ScriptResult>;
}

export class ProcessScriptRunner implements ScriptRunner {
  run(argv: readonly string[], opts: RunOptions = {}): Promise<ScriptResult> {
    const started = performance.now();
    const max = opts.maxOutput ?? 64 * 1024;
    return new Promise((resolve) => {
      const [cmd, ...args] = argv;
      if (cmd === undefined) {
        resolve({ outcome: { kind: 'spawn_error', message: 'empty command' }, stdout: '', stderr: '', durationMs: 0 });
        return;
      }
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let settled = false;
      // Fallback when the addon is missing: libuv clears the supplementary groups when a uid or
      // gid is given, but cannot close fds inherited without close-on-exec (the native runner does).
      const child = spawn(opts.execPath ?? cmd, args, {
        argv0: cmd,
        stdio: opts.discardOutput ? 'ignore' : ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills the script's children too
        uid: opts.uid,
        gid: opts.gid,
        env: opts.env ?? scriptEnv(),
      });
      if (child.pid !== undefined) opts.onSpawn?.(child.pid);
      const finish = (outcome: ScriptOutcome): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve({ outcome, stdout, stderr, durationMs: performance.now() - started });
      };
      child.stdout?.on('data', (d: Buffer) => {
        if (stdout.length < max) stdout += d.toString();
      });
      child.stderr?.on('data', (d: Buffer) => {
        if (stderr.length < max) stderr += d.toString();
      });
      const timer =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              try {
                if (child.pid) process.kill(-child.pid, 'SIGKILL');
              } catch {
                /* already gone */
              }
            }, opts.timeoutMs)
          : undefined;
      child.on('error', (e) => finish({ kind: 'spawn_error', message: e.message }));
      child.on('close', (code, signal) => {
        if (timedOut) finish({ kind: 'timed_out' });
        else if (signal) finish({ kind: 'signalled', signal });
        else finish({ kind: 'exited', status: code ?? 0 });
      });
    });
  }
}
