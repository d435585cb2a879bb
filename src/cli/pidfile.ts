/**
 * Pid files as keepalived keeps them: the decimal pid and a newline. Before writing one we
 * refuse to start when the file names a live process (keepalived: "daemon is already
 * running"); a stale file (dead pid, garbage) is simply replaced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PID_FILE_MODE, writeFileReplacing } from '../observe/safe-file';

/** Pid recorded in `file`, or undefined when missing or unparsable. */
export function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^\s*(\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const pid = Number(m[1]);
  return pid > 0 ? pid : undefined;
}

/** True when a process with this pid exists (signal 0 probes without delivering anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pid of a live process other than us holding `file`, if any. */
export function runningPid(file: string): number | undefined {
  const pid = readPid(file);
  if (pid === undefined || pid === process.pid) return undefined;
  return processAlive(pid) ? pid : undefined;
}

export type PidfileResult = { ok: true } | { ok: false; code: 'ERR_PIDFILE_RUNNING' | 'ERR_PIDFILE_WRITE'; message: string; pid?: number };

/** Writes our pid to `file` (creating its directory) unless a live daemon already holds it. */
export function writePidfile(file: string, pid: number = process.pid): PidfileResult {
  const other = runningPid(file);
  if (other !== undefined && other !== pid) {
    return { ok: false, code: 'ERR_PIDFILE_RUNNING', message: `daemon is already running (pid ${other}, ${file})`, pid: other };
  }
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // atomic (a reader never sees a half-written pid) and safe: random temporary name created
    // O_EXCL|O_NOFOLLOW, mode 0644 as keepalived's, renamed over the pid file.
    writeFileReplacing(file, `${pid}\n`, PID_FILE_MODE);
    return { ok: true };
  } catch (e) {
    return { ok: false, code: 'ERR_PIDFILE_WRITE', message: `Unable to write pidfile ${file}: ${(e as Error).message}` };
  }
}

/** Removes `file` if it still records `pid` (never someone else's pid file). */
export function removePidfile(file: string, pid: number = process.pid): void {
  if (readPid(file) !== pid) return;
  try {
    fs.unlinkSync(file);
  } catch {
    // already gone
  }
}
