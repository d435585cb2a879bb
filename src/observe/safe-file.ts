/**
 * Files the daemon (root) creates in directories others may write to (/tmp, /run, the
 * track_file directory): dumps, pid files, the -g log, ipvs-owned.json, track_file init_file.
 *
 * keepalived's CVE-2018-19044/19046 was a dump written through a symlink planted at a
 * predictable name, and a pre-created file adopted with its owner's mode. So here:
 *   - a whole file is written to a RANDOM temporary name in the target's directory, opened
 *     O_CREAT|O_EXCL|O_NOFOLLOW (never an existing file, never through a link), fchmod'ed to
 *     the wanted mode (umask does not matter), then rename(2)d over the target (rename
 *     replaces a symlink at the target, it never follows it);
 *   - an appended file (the -g log) is opened O_APPEND|O_CREAT|O_NOFOLLOW and kept only if
 *     fstat says it is a regular file, ours, with one link; then fchmod'ed.
 * Modes measured on keepalived 2.2.7: dumps 0600, pid files 0644.
 */
import fs from 'node:fs';
import path from 'node:path';

const C = fs.constants;
// libuv adds O_CLOEXEC to every open(2).
const CREATE_FLAGS = C.O_WRONLY | C.O_CREAT | C.O_EXCL | C.O_NOFOLLOW;
const APPEND_FLAGS = C.O_WRONLY | C.O_APPEND | C.O_CREAT | C.O_NOFOLLOW | C.O_NONBLOCK;

/** keepalived's mode for dump, log and state files. */
export const PRIVATE_FILE_MODE = 0o600;
/** keepalived's mode for pid files. */
export const PID_FILE_MODE = 0o644;

/**
 * 16 hex digits from the kernel's CSPRNG. Read from /dev/urandom rather than node:crypto, which
 * costs ~20 internal modules at start-up (pid files are written through here).
 */
function randomHex16(): string {
  const buf = Buffer.alloc(8);
  const fd = fs.openSync('/dev/urandom', 'r');
  try {
    if (fs.readSync(fd, buf, 0, 8, null) !== 8) throw new Error('short read from /dev/urandom');
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('hex');
}

/** A fresh, unguessable temporary name beside `file`. */
export function tempNameFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${randomHex16()}.tmp`);
}

/** Creates `file` anew and exclusively (fails with EEXIST/ELOOP rather than reuse anything), mode set by fchmod. */
export function createExclusive(file: string, mode: number): number {
  const fd = fs.openSync(file, CREATE_FLAGS, PRIVATE_FILE_MODE);
  try {
    fs.fchmodSync(fd, mode);
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
  return fd;
}

/**
 * Replaces `file` with `data` atomically and safely (see the module comment). Throws on
 * failure (callers report); the temporary file never survives a failure.
 */
export function writeFileReplacing(file: string, data: string | Uint8Array, mode: number = PRIVATE_FILE_MODE): void {
  const tmp = tempNameFor(file);
  let fd: number | undefined = createExclusive(tmp, mode);
  try {
    fs.writeFileSync(fd, data);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    throw e;
  }
}

export class UnsafeFileError extends Error {
  readonly code = 'ERR_UNSAFE_FILE';
}

/**
 * Opens `file` for appending without following a link and only if it is a regular file we
 * own with a single link (a hard link to /etc/shadow is refused too). Returns the fd.
 */
export function openAppendSafe(file: string, mode: number = PRIVATE_FILE_MODE): number {
  const fd = fs.openSync(file, APPEND_FLAGS, mode);
  try {
    const st = fs.fstatSync(fd);
    const uid = process.geteuid ? process.geteuid() : st.uid;
    if (!st.isFile()) throw new UnsafeFileError(`${file} is not a regular file`);
    if (st.uid !== uid) throw new UnsafeFileError(`${file} is owned by uid ${st.uid}, not by us (${uid})`);
    if (st.nlink !== 1) throw new UnsafeFileError(`${file} has ${st.nlink} links`);
    fs.fchmodSync(fd, mode);
    return fd;
  } catch (e) {
    fs.closeSync(fd);
    throw e;
  }
}
