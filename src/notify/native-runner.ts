/**
 * NativeScriptRunner: scripts are started through the addon's vfork+exec and watched through a
 * pidfd, which costs a small fraction of child_process.spawn's CPU (no fork of the whole Node
 * heap, no stdio/JS machinery). With hundreds of scripts a second on a loaded host that
 * difference is what keeps VRRP adverts on time. The child also gets what child_process cannot
 * give it: every fd >= 3 closed (close_range), the group list replaced by the gid alone, the
 * minimal environment (scriptEnv) and exec of the exact file the ScriptPolicy checked (execve of
 * execPath). Output, when wanted, comes through pipes read as net.Sockets.
 * Without the addon (or on a kernel without pidfd_open) runs go to ProcessScriptRunner.
 */
import net from 'node:net';
import { closeSync } from 'node:fs';
import { accessSync, constants as fsConstants } from 'node:fs';
import { constants as osConstants } from 'node:os';
import { isNativeError, loadNative, type NativeAddon, type NativeSpawnOptions } from '../net/native';
import { ProcessScriptRunner, scriptEnv, type RunOptions, type ScriptOutcome, type ScriptResult, type ScriptRunner } from './exec';

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
  /**
   * net_namespace: an open fd of the namespace every child enters. The addon spawns from a libuv
   * pool thread, which keeps the namespace it was created in (setns moves one thread only).
   */
  netnsFd?: number;
}

export class NativeScriptRunner implements ScriptRunner {
  private readonly fallback: ScriptRunner;
  private addon: NativeAddon | null;
  private readonly netnsFd: number | undefined;

  constructor(opts: NativeScriptRunnerOptions = {}) {
    // The fallback (child_process) forks from the JS thread, which is already in the namespace.
    this.fallback = opts.fallback ?? new ProcessScriptRunner();
    this.netnsFd = opts.netnsFd;
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
    if (!addon) return this.fallback.run(argv, opts);
    const started = performance.now();
    let stdout = '';
    let stderr = '';
    const done = (outcome: ScriptOutcome): ScriptResult => ({ outcome, stdout, stderr, durationMs: performance.now() - started });
    const cmd = argv[0];
    if (cmd === undefined || cmd === '') return Promise.resolve(done({ kind: 'spawn_error', message: 'empty command' }));
    // A path is checked here so a missing or non-executable script gets a plain message; a bare
    // name is looked up in PATH by execvp, whose failure the addon reports the same way.
    const file = opts.execPath ?? (cmd.includes('/') ? cmd : undefined);
    if (file !== undefined) {
      try {
        accessSync(file, fsConstants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? 'error';
        const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not executable' : code;
        return Promise.resolve(done({ kind: 'spawn_error', message: `${cmd}: ${why}` }));
      }
    }
    const env = opts.env ?? scriptEnv();
    const spawnOpts: NativeSpawnOptions & { env: string[] } = {
      env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    };
    if (this.netnsFd !== undefined) spawnOpts.netns = this.netnsFd;
    if (opts.uid !== undefined) spawnOpts.uid = opts.uid;
    if (opts.gid !== undefined) spawnOpts.gid = opts.gid;
    if (file !== undefined) spawnOpts.file = file;
    // Output: one pipe per stream; the write ends go to the child and are closed here after
    // the spawn, so the read ends see EOF when the script (and anything it forked) is done.
    const max = opts.maxOutput ?? 64 * 1024;
    const readers: Promise<void>[] = [];
    const writeEnds: number[] = [];
    const sockets: net.Socket[] = [];
    if (opts.discardOutput !== true) {
      const capture = (which: 'stdout' | 'stderr'): void => {
        const [r, w] = addon.makePipe();
        spawnOpts[which] = w;
        writeEnds.push(w);
        const sock = new net.Socket({ fd: r, readable: true, writable: false });
        readers.push(
          new Promise((res) => {
            sock.on('data', (d: Buffer) => {
              if (which === 'stdout' && stdout.length < max) stdout += d.toString();
              if (which === 'stderr' && stderr.length < max) stderr += d.toString();
            });
            sock.on('close', () => res());
            sock.on('error', () => res());
          }),
        );
        sockets.push(sock);
      };
      try {
        capture('stdout');
        capture('stderr');
      } catch (e) {
        for (const w of writeEnds) closeSync(w);
        for (const sk of sockets) sk.destroy();
        return Promise.resolve(done({ kind: 'spawn_error', message: `${cmd}: ${(e as Error).message}` }));
      }
    }
    const closeWriteEnds = (): void => {
      for (const w of writeEnds.splice(0)) {
        try {
          closeSync(w);
        } catch {
          /* closed */
        }
      }
    };
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
      // Output of a script that left a child holding the pipe is not waited for after exit.
      const finish = (outcome: ScriptOutcome): void => {
        if (timer) clearTimeout(timer);
        const grace = setTimeout(() => {
          for (const sk of sockets) sk.destroy();
        }, 100);
        void Promise.all(readers).then(() => {
          clearTimeout(grace);
          resolve(done(outcome));
        });
      };
      const fail = (message: string): void => {
        closeWriteEnds();
        finish({ kind: 'spawn_error', message });
      };
      try {
        addon.spawnProcessAsync(argv, spawnOpts, (err, child) => {
          closeWriteEnds();
          if (err || !child) {
            if (err && err.syscall === 'pidfd_open' && UNSUPPORTED.has(err.code)) {
              this.addon = null; // this kernel cannot do it: use child_process from now on
              if (timer) clearTimeout(timer);
              for (const sk of sockets) sk.destroy();
              resolve(this.fallback.run(argv, opts));
            } else fail(`${cmd}: ${err ? `${err.syscall} ${err.code}` : 'no child'}`);
            return;
          }
          pid = child.pid;
          opts.onSpawn?.(pid);
          if (timedOut) killGroup();
          addon.watchExit(child.pidfd, (werr, res) => {
            if (timedOut) finish({ kind: 'timed_out' });
            else if (werr || !res) finish({ kind: 'spawn_error', message: `${cmd}: ${werr ? `${werr.syscall} ${werr.code}` : 'no exit status'}` });
            else if (res.signal !== undefined) finish({ kind: 'signalled', signal: signalName(res.signal) });
            else finish({ kind: 'exited', status: res.status ?? 0 });
          });
        });
      } catch (e) {
        fail(`${cmd}: ${(e as Error).message}`); // argument errors are thrown synchronously
      }
    });
  }
}
