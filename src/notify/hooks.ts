/**
 * Runs notify hooks without blocking the protocol: each call goes through a ScriptRunner
 * (own process group, optional timeout) on a per-key queue, so an instance's BACKUP hook
 * can never overtake its MASTER hook while different instances still run in parallel.
 * Who a hook runs as, whether it may run and which file is executed is the ScriptPolicy's
 * (src/notify/script-policy.ts), shared with every other script the daemon runs.
 */
import type { Logger } from '../observe/log';
import type { HookCall } from './notify';
import { ProcessScriptRunner, type ScriptResult, type ScriptRunner } from './exec';
import { ScriptPolicy, policyForRunner, runOptionsOf, type Ids } from './script-policy';
import type { SelfCredentials } from './credentials';

export { lookupUser, resolveScriptPath, scriptSecurityProblem, type Ids } from './script-policy';

export interface HookRunnerOptions {
  log: Logger;
  runner?: ScriptRunner;
  /** enable_script_security. */
  scriptSecurity?: boolean;
  /** global script_user [group]: default user for hooks without their own. */
  scriptUser?: { user: string; group?: string };
  /** Kill a hook still running after this long (undefined = never). */
  timeoutMs?: number;
  /** For tests: user lookup (defaults to /etc/passwd). */
  lookup?: (user: string, group?: string) => Ids | undefined;
  /** For tests: our ids and whether we may switch (default: this process, /proc/self/status). */
  self?: SelfCredentials;
}

/** How long an instance's next hook waits for the previous one before starting anyway. */
export const ORDER_WAIT_MS = 1000;

/**
 * Transitions whose hooks may wait per key (instance or group) behind the one running. A queue
 * drains at least one transition per ORDER_WAIT_MS per hook, and a flap at advert_int 1 s
 * (BACKUP -> MASTER waits Master_Down_Interval, over 3 s) never fills it; but an instance
 * flapping faster than its hooks run (sub-second adverts, a peer or a spoofer advertising
 * advert_int 1 cs: ~30 transitions/s, a flapping link or tracker) would queue without bound,
 * in memory and in lag (keepalived forks each hook at its transition and queues nothing).
 * Beyond it the oldest waiting transition's hooks are dropped and logged, so the hooks of
 * the latest state always run.
 */
export const HOOK_BACKLOG_MAX = 16;

interface Waiting {
  calls: readonly HookCall[];
  done: () => void;
}

interface KeyQueue {
  waiting: Waiting[];
  /** The loop running this key's hooks; settles when the queue is empty. */
  drain?: Promise<void>;
  /** Transitions dropped since the queue was last empty. */
  dropped: number;
}

/** `INSTANCE:VI_1` as log text: `(VI_1)`; a group `GROUP:G1`: `(G1) group`. */
function keyName(key: string): string {
  const i = key.indexOf(':');
  if (i < 0) return `(${key})`;
  const kind = key.slice(0, i);
  return kind === 'INSTANCE' ? `(${key.slice(i + 1)})` : `(${key.slice(i + 1)}) ${kind.toLowerCase()}`;
}

export class HookRunner {
  private readonly runner: ScriptRunner;
  private readonly queues = new Map<string, KeyQueue>();
  readonly policy: ScriptPolicy;
  constructor(private readonly opts: HookRunnerOptions) {
    this.runner = opts.runner ?? new ProcessScriptRunner();
    this.policy = policyForRunner(opts);
  }

  /** Process groups of the hooks running now (each hook is its own group: setsid). */
  private readonly running = new Set<number>();

  /**
   * Queue `calls` (run one after another) behind everything queued for `key`. A hook still
   * running after ORDER_WAIT_MS no longer holds the queue: keepalived 2.2.7 starts every hook
   * at its transition without waiting (observed with a notify script that never exits: each
   * later transition still ran its hook), so a hook that hangs must not silence later ones.
   */
  enqueue(key: string, calls: readonly HookCall[]): Promise<void> {
    let q = this.queues.get(key);
    if (!q) {
      q = { waiting: [], dropped: 0 };
      this.queues.set(key, q);
    }
    const queue = q;
    const done = new Promise<void>((resolve) => queue.waiting.push({ calls, done: resolve }));
    if (queue.waiting.length > HOOK_BACKLOG_MAX) this.dropOldest(key, queue);
    queue.drain ??= this.drain(key, queue);
    return done;
  }

  /** Resolves when every queue is empty (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()].map((q) => q.drain));
  }

  /** Run the key's waiting transitions one after another until none is left. */
  private async drain(key: string, q: KeyQueue): Promise<void> {
    await Promise.resolve(); // start after the caller's transition, as a queued hook did
    for (let w = q.waiting.shift(); w; w = q.waiting.shift()) {
      for (const c of w.calls) {
        try {
          await this.startOne(c);
        } catch (e) {
          this.opts.log.error(`${c.keyword} script \`${c.argv.join(' ')}\` could not be run: ${(e as Error).message}`);
        }
      }
      w.done();
    }
    if (q.dropped > 0) this.opts.log.warn(`${keyName(key)}: ${q.dropped} transition(s) ran no notify hooks (more than ${HOOK_BACKLOG_MAX} waiting: changing state faster than its hooks run)`);
    this.queues.delete(key);
  }

  private dropOldest(key: string, q: KeyQueue): void {
    const old = q.waiting.shift();
    if (!old) return;
    old.done();
    q.dropped++;
    if (q.dropped === 1 || q.dropped % 1000 === 0) this.opts.log.warn(`${keyName(key)}: more than ${HOOK_BACKLOG_MAX} transitions wait for their notify hooks; dropping the oldest waiting (${q.dropped} so far): \`${old.calls.map((c) => c.argv.join(' ')).join('`, `')}\``);
  }

  /** Run `c`; resolves when it ends, or after ORDER_WAIT_MS if it is still running. */
  private startOne(c: HookCall): Promise<void> {
    const done = this.runOne(c);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<void>((res) => {
      timer = setTimeout(() => {
        this.opts.log.warn(`${c.keyword} script \`${c.argv.join(' ')}\` still running after ${ORDER_WAIT_MS} ms; not waiting for it`);
        res();
      }, ORDER_WAIT_MS);
      timer.unref?.();
    });
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  }

  /**
   * Stop: the hooks still running (and whatever they started in their process group) are
   * killed, SIGTERM then SIGKILL after `graceMs`, so nothing the daemon started outlives it. A
   * daemon a hook started in a session of its own (setsid) is the operator's and is left alone.
   */
  async killRunning(graceMs = 300): Promise<number> {
    const groups = [...this.running];
    const signal = (sig: NodeJS.Signals): void => {
      for (const g of groups) {
        if (!this.running.has(g)) continue;
        try {
          process.kill(-g, sig);
        } catch {
          /* gone */
        }
      }
    };
    signal('SIGTERM');
    const end = Date.now() + graceMs;
    while (groups.some((g) => this.running.has(g)) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    signal('SIGKILL');
    return groups.length;
  }

  private async runOne(c: HookCall): Promise<void> {
    const who: { user?: string; group?: string } = {};
    if (c.user !== undefined) who.user = c.user;
    if (c.group !== undefined) who.group = c.group;
    const prepared = this.policy.prepare(c.argv, who, { kind: 'notify' });
    if (!prepared) return; // logged by the policy
    const runOpts: { uid?: number; gid?: number; execPath?: string; timeoutMs?: number } = runOptionsOf(prepared);
    if (this.opts.timeoutMs !== undefined) runOpts.timeoutMs = this.opts.timeoutMs;
    this.opts.log.debug(`Running ${c.keyword} script: ${c.argv.join(' ')}`);
    let pid = 0;
    const r = await this.runner.run(c.argv, {
      ...runOpts,
      onSpawn: (p) => {
        pid = p;
        this.running.add(p);
      },
    }).finally(() => {
      if (pid) this.running.delete(pid);
    });
    this.report(c, r);
  }

  private report(c: HookCall, r: ScriptResult): void {
    const log = this.opts.log;
    const what = `${c.keyword} script \`${c.argv.join(' ')}\``;
    for (const line of r.stdout.split('\n')) if (line) log.info(`${what} stdout: ${line}`);
    for (const line of r.stderr.split('\n')) if (line) log.info(`${what} stderr: ${line}`);
    const o = r.outcome;
    if (o.kind === 'exited' && o.status === 0) log.debug(`${what} exited with status 0`);
    else if (o.kind === 'exited') log.warn(`${what} exited with status ${o.status}`);
    else if (o.kind === 'signalled') log.warn(`${what} terminated by signal ${o.signal}`);
    else if (o.kind === 'timed_out') log.warn(`${what} timed out`);
    else log.error(`${what} could not be run: ${o.message}`);
  }
}
