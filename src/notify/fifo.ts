/**
 * notify_fifo / vrrp_notify_fifo / lvs_notify_fifo writer. The FIFO is created if missing
 * (mkfifo, mode 0600 unless given), then opened O_RDWR|O_NONBLOCK: on Linux that never
 * blocks waiting for a reader and a reader that goes away never gives EPIPE; lines queue
 * in the pipe until someone reads. A full pipe drops the line with a log message rather
 * than stalling the protocol. Writes are synchronous, so lines keep their order.
 * The optional *_fifo_script is started with the FIFO path as its only extra argument
 * and is killed (whole process group) on close.
 */
import fs from 'node:fs';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { Logger } from '../observe/log';
import type { FifoSpec } from '../config/model';
import { lookupUser, type Ids } from './hooks';

export interface FifoOptions {
  log: Logger;
  /** Reader script argv (the FIFO path is appended). */
  script?: readonly string[];
  uid?: number;
  gid?: number;
  /** Owner for a newly created FIFO (`notify_fifo FIFO [user [group]]`). */
  owner?: { uid: number; gid: number };
  mode?: number;
}

export class NotifyFifo {
  private fd: number | undefined;
  private reader: ChildProcess | undefined;
  private dropped = 0;
  constructor(readonly path: string, private readonly opts: FifoOptions) {}

  /** Create (if needed) and open the FIFO, start the reader script. False on failure (logged). */
  open(): boolean {
    const log = this.opts.log;
    try {
      if (!fs.existsSync(this.path)) {
        const r = spawnSync('mkfifo', ['-m', (this.opts.mode ?? 0o600).toString(8), this.path]);
        if (r.status !== 0) throw new Error(`mkfifo failed: ${r.stderr?.toString().trim() ?? r.error?.message}`);
        if (this.opts.owner) fs.chownSync(this.path, this.opts.owner.uid, this.opts.owner.gid);
      }
      if (!fs.statSync(this.path).isFIFO()) throw new Error(`${this.path} exists and is not a FIFO`);
      this.fd = fs.openSync(this.path, fs.constants.O_RDWR | fs.constants.O_NONBLOCK);
    } catch (e) {
      log.error(`Unable to open notify fifo ${this.path}: ${(e as Error).message}`);
      return false;
    }
    if (this.opts.script && this.opts.script.length > 0) this.startReader(this.opts.script);
    return true;
  }

  private startReader(argv: readonly string[]): void {
    const [cmd, ...args] = argv;
    if (cmd === undefined) return;
    const child = spawn(cmd, [...args, this.path], {
      stdio: 'ignore',
      detached: true,
      uid: this.opts.uid,
      gid: this.opts.gid,
    });
    child.on('error', (e) => this.opts.log.error(`notify fifo script ${cmd} failed: ${e.message}`));
    this.reader = child;
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
    }
    const pid = this.reader?.pid;
    if (pid !== undefined && this.reader?.exitCode === null) {
      try {
        process.kill(-pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    this.reader = undefined;
  }
}

/**
 * A NotifyFifo for a global_defs FIFO spec (`notify_fifo FIFO [user [group]]` and its
 * `*_fifo_script`), not yet opened. The FIFO's owner is the given user/group; the script
 * runs as its own `user [group]` when given.
 */
export function fifoFromSpec(spec: FifoSpec, log: Logger, lookup: (u: string, g?: string) => Ids | undefined = lookupUser): NotifyFifo {
  const opts: FifoOptions = { log };
  if (spec.user !== undefined) {
    const ids = lookup(spec.user, spec.group);
    if (ids) opts.owner = ids;
    else log.error(`notify fifo ${spec.path}: unknown user '${spec.user}'`);
  }
  if (spec.script) {
    opts.script = spec.script.argv;
    if (spec.script.user !== undefined) {
      const ids = lookup(spec.script.user, spec.script.group);
      if (ids) {
        opts.uid = ids.uid;
        opts.gid = ids.gid;
      }
    }
  }
  return new NotifyFifo(spec.path, opts);
}
