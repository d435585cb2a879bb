/**
 * Where the USR1/USR2/JSON dumps go: keepalived's defaults (/tmp/keepalived.data, .stats,
 * .json), moved by global_defs state_dump_file / stats_dump_file / json_dump_file. The config
 * model accepts those keywords without modelling them, so they are read from the parsed tree.
 */
import type { ConfigNode } from '../config/ast';
import { DEFAULT_DUMP_FILES, type DumpKind } from '../observe/dump-writer';

const KEYWORD: Record<DumpKind, string> = { data: 'state_dump_file', stats: 'stats_dump_file', json: 'json_dump_file' };

/** Pure: the dump paths named by the global_defs blocks of a parsed configuration (last one wins). */
export function dumpPathsFromNodes(nodes: readonly ConfigNode[]): Record<DumpKind, string> {
  const out: Record<DumpKind, string> = { ...DEFAULT_DUMP_FILES };
  for (const n of nodes) {
    if (n.keyword !== 'global_defs' || !n.block) continue;
    for (const kind of Object.keys(KEYWORD) as DumpKind[]) {
      for (const line of n.block) if (line.keyword === KEYWORD[kind] && line.args[0]) out[kind] = line.args[0];
    }
  }
  return out;
}
