/**
 * MISC_CHECK: run `misc_path` (split like keepalived: quotes group words) through the
 * ScriptRunner, bounded by misc_timeout (the whole process group is killed on timeout, and
 * when the checker is stopped).
 * Exit 0 = up, anything else = down; with `misc_dynamic`, exit 1 = down and exit 2..255 =
 * up with the real server's weight set to (status - 2).
 */
import { splitCommand } from '../../config/script-argv';
import { ProcessScriptRunner, type ScriptRunner, type ScriptOutcome } from '../../notify/exec';
import { runOptionsOf, type PreparedScript } from '../../notify/script-policy';
import { fail, ok, type Probe, type ProbeResult } from '../result';

export interface MiscOptions {
  path: string;
  timeoutMs: number;
  dynamic?: boolean;
  /** From the ScriptPolicy: credentials and the checked file to exec (absent: run `path` as ourselves). */
  prepared?: PreparedScript;
  runner?: ScriptRunner;
}

/** Exit status → result (pure, table-tested). */
export function judgeMiscOutcome(outcome: ScriptOutcome, dynamic: boolean): ProbeResult {
  switch (outcome.kind) {
    case 'timed_out':
      return fail('timeout', 'timed_out');
    case 'signalled':
      return fail('script_error', `killed by signal ${outcome.signal}`);
    case 'spawn_error':
      return fail('script_error', outcome.message);
    case 'exited': {
      const st = outcome.status;
      if (st === 0) return ok('exited with status 0');
      if (dynamic && st >= 2 && st <= 255) return ok(`exited with status ${st}`, st - 2);
      return fail('script_failed', `exited with status ${st}`);
    }
  }
}

export function miscProbe(o: MiscOptions): Probe {
  const runner = o.runner ?? new ProcessScriptRunner();
  const argv = splitCommand(o.path);
  return async (signal) => {
    if (signal.aborted) return fail('timeout', 'aborted');
    // Aborted (the checker stopped: reload, ha_suspend, shutdown): the script's process group is
    // killed, so the checker that replaces this one never runs beside a copy still running.
    let group: number | undefined;
    const kill = (): void => {
      if (group === undefined) return;
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    signal.addEventListener('abort', kill, { once: true });
    try {
      const r = await runner.run(argv, {
        ...(o.prepared ? runOptionsOf(o.prepared) : {}),
        timeoutMs: o.timeoutMs,
        discardOutput: true,
        onSpawn: (pid) => {
          group = pid;
          if (signal.aborted) kill();
        },
      });
      return judgeMiscOutcome(r.outcome, Boolean(o.dynamic));
    } finally {
      signal.removeEventListener('abort', kill);
    }
  };
}
