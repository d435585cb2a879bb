/**
 * notify_fifo / vrrp_notify_fifo / lvs_notify_fifo writer. The FIFO is created if missing
 * (mkfifo, mode 0600 unless given), then opened O_RDWR|O_NONBLOCK|O_NOFOLLOW: on Linux that
 * never blocks waiting for a reader and a reader that goes away never gives EPIPE; lines queue
 * in the pipe until someone reads. A full pipe drops the line with a log message rather than
 * stalling the protocol. Writes are synchronous, so lines keep their order.
 * What was opened is checked on the fd (fstat), never by path: it must be a FIFO owned by root,
 * us or the configured user, and writable by nobody else (no other-write bit; group-write only
 * for root's or the configured group) — otherwise anyone who pre-created it could read our
 * state or inject forged lines for the fifo script. The configured owner is set with fchown on
 * the fd. A symlink at the path is refused (O_NOFOLLOW).
 * The optional *_fifo_script is started with the FIFO path as its only extra argument,
 * through the daemon's ScriptPolicy and runner like every other script, and is killed (whole
 * process group) on close.
 */
import fs from 'node:fs';
import type { spawnSync as SpawnSyncFn } from 'node:child_process';
import type { Logger } from '../observe/log';
import type { FifoSpec } from '../config/model';
import { ProcessScriptRunner, type ScriptRunner } from './exec';
import { ScriptPolicy, lookupUser, runOptionsOf, type Ids } from './script-policy';

/** node:child_process is required on first use, not at start-up (it pulls in net, streams and more). */
const spawnSync = ((...a: Parameters<typeof SpawnSyncFn>) => (require('node:child_process') as { spawnSync: typeof SpawnSyncFn }).spawnSync(...a)) as typeof SpawnSyncFn;

export interface FifoOptions {
  log: Logger;
  /** Reader script argv (the FIFO path is appended). */
  script?: readonly string[];
  /** The reader script's own `user [group]`. */
  scriptUser?: { user: string; group?: string };
  /** Owner for the FIFO (`notify_fifo FIFO [user [group]]`). */
  owner?: { uid: number; gid: number };
  mode?: number;
  runner?: ScriptRunner;
  /** The daemon's script policy (default: no script security, root). */
  policy?: ScriptPolicy;
}

export class NotifyFifo {
  private fd: number | undefined;
  private readerPid: number | undefined;
  private dropped = 0;
  /** We made the FIFO: it is removed at close, as keepalived 2.2.7 removes the FIFOs it created (observed). */
  private created = false;
  constructor(readonly path: string, private readonly opts: FifoOptions) {}

  /** Why the opened fd must not be used, or undefined. */
  private problem(st: fs.Stats): string | undefined {
    if (!st.isFIFO()) return `${this.path} exists and is not a FIFO`;
    const me = process.getuid?.() ?? 0;
    const owner = this.opts.owner;
    if (st.uid !== 0 && st.uid !== me && st.uid !== owner?.uid) return `${this.path} is owned by uid ${st.uid}`;
    if (st.mode & 0o002) return `${this.path} is writable by others`;
    if (st.mode & 0o020 && st.gid !== 0 && st.gid !== owner?.gid) return `${this.path} is writable by group ${st.gid}`;
    return undefined;
  }

  /** Create (if needed) and open the FIFO, start the reader script. False on failure (logged). */
  open(): boolean {
    const log = this.opts.log;
    let fd: number | undefined;
    try {
      let created = false;
      try {
        fs.lstatSync(this.path);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        const r = spawnSync('mkfifo', ['-m', (this.opts.mode ?? 0o600).toString(8), this.path]);
        if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr?.toString().trim() ?? r.error?.message}`);
        created = true;
      }
      fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK | fs.constants.O_NOFOLLOW);
      const why = this.problem(fs.fstatSync(fd));
      if (why) throw new Error(why);
      if (created && this.opts.owner) fs.fchownSync(fd, this.opts.owner.uid, this.opts.owner.gid);
      this.fd = fd;
      this.created = created;
    } catch (e) {
      if (fd !== undefined) fs.closeSync(fd);
      const code = (e as NodeJS.ErrnoException).code;
      const msg = code === 'ELOOP' ? `${this.path} is a symbolic link` : (e as Error).message;
      log.error(`Unable to open notify fifo ${this.path}: ${msg}`);
      return false;
    }
    if (this.opts.script && this.opts.script.length > 0) this.startReader(this.opts.script);
    return true;
  }

  private startReader(argv: readonly string[]): void {
    const policy = this.opts.policy ?? new ScriptPolicy({ log: this.opts.log });
    const full = [...argv, this.path];
    const prepared = policy.prepare(full, this.opts.scriptUser ?? {}, { kind: 'notify' });
    if (!prepared) return; // logged by the policy
    const runner = this.opts.runner ?? new ProcessScriptRunner();
    void runner
      .run(full, { ...runOptionsOf(prepared), discardOutput: true, onSpawn: (pid) => (this.readerPid = pid) })
      .then((r) => {
        this.readerPid = undefined;
        if (r.outcome.kind === 'spawn_error') this.opts.log.error(`notify fifo script ${argv[0] ?? ''} failed: ${r.outcome.message}`);
      });
  }
  /** Write one line (must end in \n). Never throws. */
  write(line: string): boolean {
    if (this.fd === undefined) return false;
    try {
      fs.writeSync(this.fd, line);
      return true;
    } catch (e) {
      this.dropped++;
      const code = (e as NodeJS.ErrnoException).code;
      this.opts.log.warn(`notify fifo ${this.path}: dropped line (${code ?? (e as Error).message}), ${this.dropped} dropped so far`);
      return false;
    }
  }

  close(): void {
    if (this.fd !== undefined) {
      try {
        fs.closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
      if (this.created) {
        try {
          // Only if the path is still the FIFO we made (not something put there since).
          if (fs.lstatSync(this.path).isFIFO()) fs.unlinkSync(this.path);
        } catch {
          /* already gone */
        }
        this.created = false;
      }
    }
    const pid = this.readerPid;
    if (pid !== undefined) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    this.readerPid = undefined;
  }
}

/**
 * A NotifyFifo for a global_defs FIFO spec (`notify_fifo FIFO [user [group]]` and its
 * `*_fifo_script`), not yet opened. The FIFO's owner is the given user/group; the script
 * runs as its own `user [group]` when given, else as the policy's default user.
 */
export function fifoFromSpec(
  spec: FifoSpec,
  log: Logger,
  lookup: (u: string, g?: string) => Ids | undefined = lookupUser,
  deps: { runner?: ScriptRunner; policy?: ScriptPolicy } = {},
): NotifyFifo {
  const opts: FifoOptions = { log, ...deps };
  if (spec.user !== undefined) {
    const ids = lookup(spec.user, spec.group);
    if (ids) opts.owner = ids;
    else log.error(`notify fifo ${spec.path}: unknown user '${spec.user}'`);
  }
  if (spec.script) {
    opts.script = spec.script.argv;
    if (spec.script.user !== undefined) opts.scriptUser = { user: spec.script.user, ...(spec.script.group !== undefined ? { group: spec.script.group } : {}) };
  }
  if (!deps.policy) opts.policy = new ScriptPolicy({ log, lookup });
  return new NotifyFifo(spec.path, opts);
}
