/**
 * ScriptRunner: runs a user script (argv already split) without blocking the event loop,
 * with a timeout that kills the whole process group, and reports how it ended.
 */
import { spawn } from 'node:child_process';

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
  env?: NodeJS.ProcessEnv;
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
      const child = spawn(cmd, args, {
        stdio: opts.discardOutput ? 'ignore' : ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group, so a timeout kills the script's children too
        uid: opts.uid,
        gid: opts.gid,
        env: opts.env ?? process.env,
      });
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
