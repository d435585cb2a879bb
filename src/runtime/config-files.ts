/**
 * The disk side of the configuration language: src/config reads no files itself, callers
 * inject this source (readFile, glob, absolute) through loadConfigFile / withDisk. Glob semantics follow glob(3) as keepalived calls
 * it: `*`, `?` and `[...]` within one path segment, dotfiles only matched by a leading `.`,
 * results sorted. Brace expansion is done before this, by config/preprocess.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig, type LoadOptions, type LoadResult } from '../config/load';

function segmentRegex(seg: string): RegExp {
  let re = '^';
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i] as string;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const close = seg.indexOf(']', i + 2);
      if (close < 0) {
        re += '\\[';
        continue;
      }
      let body = seg.slice(i + 1, close);
      if (body.startsWith('!')) body = `^${body.slice(1)}`;
      re += `[${body.replace(/\\/g, '\\\\')}]`;
      i = close;
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${re}$`);
}

const hasWildcard = (s: string): boolean => /[*?[]/.test(s);

function globAbsolute(pattern: string): string[] {
  const segs = pattern.split('/').filter((s) => s !== '');
  let current = ['/'];
  for (const seg of segs) {
    const next: string[] = [];
    for (const dir of current) {
      if (!hasWildcard(seg)) {
        const p = path.join(dir, seg);
        if (fs.existsSync(p)) next.push(p);
        continue;
      }
      let entries: string[];
      try {
        entries = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const re = segmentRegex(seg);
      for (const e of entries) {
        if (e.startsWith('.') && !seg.startsWith('.')) continue;
        if (re.test(e)) next.push(path.join(dir, e));
      }
    }
    current = next;
    if (current.length === 0) break;
  }
  return current.sort();
}

export const fsSource = {
  readFile(p: string): string {
    return fs.readFileSync(p, 'utf8');
  },
  glob(pattern: string, baseDir: string): string[] {
    return globAbsolute(path.resolve(baseDir, pattern)).filter((p) => {
      try {
        return fs.statSync(p).isFile();
      } catch {
        return false;
      }
    });
  },
  absolute(p: string): string {
    return path.resolve(p);
  },
};

/**
 * Does a configured script exist as an executable file, given by its path? This is what
 * decides keepalived's "scripts are configured without enable_script_security" verdict under
 * -t: measured with keepalived 2.2.7, a script given by a path that exists counts
 * ("/bin/true"), while a missing file or a bare command name found via PATH ("killall -0 sshd")
 * does not.
 */
export function scriptExists(cmd: string): boolean {
  if (!cmd.includes('/')) return false;
  try {
    fs.accessSync(cmd, fs.constants.X_OK);
    return fs.statSync(cmd).isFile();
  } catch {
    return false;
  }
}

/** ParseOptions/LoadOptions with the disk as the file source. */
export function withDisk<T extends object>(opts: T): T & { readFile: (p: string) => string; glob: (pattern: string, baseDir: string) => string[]; absolute: (p: string) => string } {
  return { ...opts, readFile: fsSource.readFile, glob: fsSource.glob, absolute: fsSource.absolute };
}

/** loadConfig on a file on disk, counting only scripts that exist for script security. */
export function loadConfigFile(file: string, opts: LoadOptions): LoadResult {
  return loadConfig(file, withDisk({ scriptExists, ...opts }));
}

/**
 * The host's answer for config/interfaces: asked with an ioctl through the addon (net/ifinfo), so
 * it is right in any network namespace (/sys may be the host's under `unshare -n`).
 */
export function hostInterface(name: string): 'present' | 'absent' | 'loopback' {
  try {
    const { interfaceInfo } = require('../net/ifinfo') as typeof import('../net/ifinfo');
    return interfaceInfo(name).loopback ? 'loopback' : 'present';
  } catch (e) {
    const code = (e as { code?: string }).code;
    // Only "no such device" means absent; any other failure must not refuse a config.
    return code === 'ENODEV' || code === 'ENXIO' ? 'absent' : 'present';
  }
}
