/**
 * Writes the dumps of src/observe/dump.ts to their files (defaults /tmp/keepalived.data,
 * .stats, .json; state_dump_file / stats_dump_file / json_dump_file move them). Written to
 * a temporary name and renamed, so a reader never sees half a file. Never throws.
 */
import fs from 'node:fs';
import { formatData, formatJson, formatStats, type DaemonSnapshot } from './dump';

export type DumpKind = 'data' | 'stats' | 'json';

export const DEFAULT_DUMP_FILES: Record<DumpKind, string> = {
  data: '/tmp/keepalived.data',
  stats: '/tmp/keepalived.stats',
  json: '/tmp/keepalived.json',
};

const FORMAT: Record<DumpKind, (s: DaemonSnapshot) => string> = { data: formatData, stats: formatStats, json: formatJson };

/** Write one dump; returns the path written or an error message. */
export function writeDump(kind: DumpKind, snapshot: DaemonSnapshot, file = DEFAULT_DUMP_FILES[kind]): { ok: true; path: string } | { ok: false; error: string } {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, FORMAT[kind](snapshot), { mode: 0o644 });
    fs.renameSync(tmp, file);
    return { ok: true, path: file };
  } catch (e) {
    try {
      fs.unlinkSync(tmp);
    } catch {
      /* nothing to clean */
    }
    return { ok: false, error: `${file}: ${(e as Error).message}` };
  }
}
