/**
 * Writes the dumps of src/observe/dump.ts to their files (defaults /tmp/keepalived.data,
 * .stats, .json; state_dump_file / stats_dump_file / json_dump_file move them). Written to
 * a random temporary name (created exclusively, never through a link, mode 0600) and renamed, so a reader never sees half a file. Never throws.
 */
import { PRIVATE_FILE_MODE, writeFileReplacing } from './safe-file';
import { formatData, formatJson, formatParentData, formatStats, type DaemonSnapshot } from './dump';

export type DumpKind = 'data' | 'stats' | 'json';

export const DEFAULT_DUMP_FILES: Record<DumpKind, string> = {
  data: '/tmp/keepalived.data',
  stats: '/tmp/keepalived.stats',
  json: '/tmp/keepalived.json',
};

/** 'parent': keepalived_parent.data, written beside the data file on SIGUSR1. */
const FORMAT: Record<DumpKind | 'parent', (s: DaemonSnapshot) => string> = { data: formatData, stats: formatStats, json: formatJson, parent: formatParentData };

/** Write one dump; returns the path written or an error message. */
export function writeDump(kind: DumpKind | 'parent', snapshot: DaemonSnapshot, file = kind === 'parent' ? '/tmp/keepalived_parent.data' : DEFAULT_DUMP_FILES[kind]): { ok: true; path: string } | { ok: false; error: string } {
  try {
    // Random temporary name, O_EXCL|O_NOFOLLOW, 0600, rename: see safe-file.ts (CVE-2018-19044/19046).
    writeFileReplacing(file, FORMAT[kind](snapshot), PRIVATE_FILE_MODE);
    return { ok: true, path: file };
  } catch (e) {
    return { ok: false, error: `${file}: ${(e as Error).message}` };
  }
}
