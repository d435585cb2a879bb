/**
 * NativeScriptRunner: check scripts (output discarded) are started through the addon's
 * vfork+exec and watched through a pidfd, which costs a small fraction of child_process.spawn's
 * CPU (no fork of the whole Node heap, no stdio/JS machinery). With hundreds of scripts a
 * second on a loaded host that difference is what keeps VRRP adverts on time.
 * Every other run (output wanted, a custom env, or no addon) goes to ProcessScriptRunner.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isNativeError, loadNative, type NativeAddon } from '../net/native';
import { ProcessScriptRunner, type RunOptions, type ScriptOutcome, type ScriptResult, type ScriptRunner } from './exec';

/** Signal number → 'SIGKILL', built once from the OS table. */
const SIGNAL_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.signals).map(([name, num]) => [num, name] as const),
);

export function signalName(n: number): string {
  return SIGNAL_NAMES.get(n) ?? `SIG${n}`;
}

/** pidfd_open errors that mean "this host cannot do native spawns at all" (old kernel, seccomp). */
const UNSUPPORTED = new Set(['ENOSYS', 'EPERM']);

export interface NativeScriptRunnerOptions {
  /** Runner for everything the native path does not handle (default: a ProcessScriptRunner). */
  fallback?: ScriptRunner;
  /** Injected addon (tests); default loadNative(), and no addon means always fall back. */
  addon?: NativeAddon | null;
}

export class NativeScriptRunner implements ScriptRunner {
  private readonly fallback: ScriptRunner;
  private addon: NativeAddon | null;

  constructor(opts: NativeScriptRunnerOptions = {}) {
    this.fallback = opts.fallback ?? new ProcessScriptRunner();
    if (opts.addon !== undefined) this.addon = opts.addon;
    else {
      try {
        const a = loadNative();
        this.addon = typeof a.spawnProcess === 'function' && typeof a.watchExit === 'function' ? a : null;
      } catch {
        this.addon = null;
      }
    }
  }

  /** True when discardOutput runs will use the addon. */
  get native(): boolean {
    return this.addon !== null;
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<ScriptResult> {
    const addon = this.addon;
    if (!addon || opts.discardOutput !== true || opts.env !== undefined) return this.fallback.run(argv, opts);
    const started = performance.now();
    const done = (outcome: ScriptOutcome): ScriptResult => ({ outcome, stdout: '', stderr: '', durationMs: performance.now() - started });
    const cmd = argv[0];
    if (cmd === undefined || cmd === '') return Promise.resolve(done({ kind: 'spawn_error', message: 'empty command' }));
    // A path is checked here so a missing or non-executable script gets a plain message; a bare
    // name is looked up in PATH by execvp, whose failure the addon reports the same way.
    if (cmd.includes('/')) {
      try {
        accessSync(cmd, fsConstants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : code;
        return Promise.resolve(done({ kind: 'spawn_error', message: `${cmd}: ${why}` }));
      }
    }
    const ids: { uid?: number; gid?: number } = {};
    if (opts.uid !== undefined) ids.uid = opts.uid;
    if (opts.gid !== undefined) ids.gid = opts.gid;
    return new Promise((resolve) => {
      let pid = 0; // 0 until the pool thread has started the child
      let timedOut = false;
      const killGroup = (): void => {
        try {
          // The child called setsid: its pid is its process group, and it stays ours
          // (unreaped) until watchExit fires, so this cannot hit a recycled pid.
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      };
      const timer =
        opts.timeoutMs !== undefined
          ? setTimeout(() => {
              timedOut = true;
              if (pid) killGroup(); // else killed as soon as the spawn reports back
            }, opts.timeoutMs)
          : undefined;
      const fail = (message: string): void => {
        if (timer) clearTimeout(timer);
        resolve(done({ kind: 'spawn_error', message }));
      };
      try {
        addon.spawnProcessAsync(argv, ids, (err, child) => {
          if (err || !child) {
            if (err && err.syscall === 'pidfd_open' && UNSUPPORTED.has(err.code)) {
              this.addon = null; // this kernel cannot do it: use child_process from now on
              if (timer) clearTimeout(timer);
              resolve(this.fallback.run(argv, opts));
            } else fail(`${cmd}: ${err ? `${err.syscall} ${err.code}` : 'no child'}`);
            return;
          }
          pid = child.pid;
          if (timedOut) killGroup();
          addon.watchExit(child.pidfd, (werr, res) => {
            if (timer) clearTimeout(timer);
            if (timedOut) resolve(done({ kind: 'timed_out' }));
            else if (werr || !res) resolve(done({ kind: 'spawn_error', message: `${cmd}: ${werr ? `${werr.syscall} ${werr.code}` : 'no exit status'}` }));
            else if (res.signal !== undefined) resolve(done({ kind: 'signalled', signal: signalName(res.signal) }));
            else resolve(done({ kind: 'exited', status: res.status ?? 0 }));
          });
        });
      } catch (e) {
        fail(`${cmd}: ${(e as Error).message}`); // argument errors are thrown synchronously
      }
    });
  }
}
