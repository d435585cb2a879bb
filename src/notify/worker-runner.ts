/**
 * ScriptRunner that spawns from a worker thread. Forking and exec'ing a script costs the
 * spawning thread milliseconds; with hundreds of vrrp_scripts a second that would delay the
 * main thread's advert timers (keepalived's "thread timer expired" failovers). Here the main
 * thread only posts a message and later receives the result, so adverts stay on time.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ProcessScriptRunner, type RunOptions, type ScriptResult, type ScriptRunner } from './exec';

interface Pending {
  resolve: (r: ScriptResult) => void;
}

export class WorkerScriptRunner implements ScriptRunner {
  private worker: Worker | undefined;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();
  /** Used when the worker cannot start (or dies): scripts still run, just on this thread. */
  private readonly fallback = new ProcessScriptRunner();
  private broken = false;

  private ensure(): Worker | undefined {
    if (this.broken) return undefined;
    if (this.worker) return this.worker;
    try {
      const w = new Worker(path.join(__dirname, 'runner-worker.js'));
      w.unref();
      w.on('message', (m: { id: number; result: ScriptResult }) => {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.resolve(m.result);
      });
      const fail = (why: string): void => {
        this.broken = true;
        this.worker = undefined;
        for (const [id, p] of this.pending) {
          this.pending.delete(id);
          p.resolve({ outcome: { kind: 'spawn_error', message: `script worker ${why}` }, stdout: '', stderr: '', durationMs: 0 });
        }
      };
      w.on('error', (e) => fail(`failed: ${e.message}`));
      w.on('exit', (code) => fail(`exited (${code})`));
      this.worker = w;
      return w;
    } catch {
      this.broken = true;
      return undefined;
    }
  }

  run(argv: readonly string[], opts: RunOptions = {}): Promise<ScriptResult> {
    const w = this.ensure();
    if (!w) return this.fallback.run(argv, opts);
    const id = ++this.seq;
    return new Promise((resolve) => {
      this.pending.set(id, { resolve });
      // env is not sent: the worker inherits ours, and an explicit env must stay per-call
      w.postMessage({ id, argv: [...argv], opts: { timeoutMs: opts.timeoutMs, uid: opts.uid, gid: opts.gid, env: opts.env, maxOutput: opts.maxOutput } });
    });
  }

  close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    this.broken = true;
    return w ? w.terminate().then(() => undefined) : Promise.resolve();
  }
}
