/**
 * FILE_CHECK: the integer at the start of `track_file`, times `weight` (negated with
 * `reverse`), decides the server's state the way a vrrp track_file does
 * (keepalived-features.md §d): weight 0 → any non-zero value is down; otherwise a result
 * below -253 is down. With `dynamic`, the result is added to the real server's weight.
 */
import { readFile } from 'node:fs/promises';
import { parseTrackFileValue } from '../../track/file-value';
import { fail, ok, type Probe, type ProbeResult } from '../result';

export interface FileOptions {
  path: string;
  weight: number;
  reverse?: boolean;
  dynamic?: boolean;
  /** The real server's configured weight (for `dynamic`). */
  rsWeight?: number;
}

export function judgeFileValue(o: FileOptions, content: string): ProbeResult {
  const { value } = parseTrackFileValue(content);
  if (o.weight === 0) return value === 0 ? ok('value 0') : fail('file', `value ${value} with weight 0`);
  const delta = value * o.weight * (o.reverse ? -1 : 1);
  if (delta < -253) return fail('file', `value ${value} x weight ${o.weight} = ${delta}`);
  if (!o.dynamic) return ok(`value ${value}`);
  const w = Math.max(0, Math.min(65535, (o.rsWeight ?? 1) + delta));
  return ok(`value ${value}`, w);
}

export function fileProbe(o: FileOptions): Probe {
  return async () => {
    try {
      return judgeFileValue(o, await readFile(o.path, 'utf8'));
    } catch (e) {
      // keepalived treats a missing track file as value 0.
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return judgeFileValue(o, '0');
      return fail('file', code ?? String(e));
    }
  };
}
