/**
 * Every keyword entry of the grammar, reached from the top-level table: the coverage test, the
 * man pages, `--help` and README's table all read the grammar through this one walk.
 */
import type { BlockTable, KwSpec } from './types';
import { topTable } from './top';

export interface KeywordEntry {
  /** Enclosing block keywords from the top level, e.g. ['virtual_server', 'real_server', 'HTTP_GET']. */
  readonly path: readonly string[];
  readonly table: BlockTable;
  readonly keyword: string;
  readonly spec: KwSpec;
}

/** Depth-first, in table order; a table reachable by several paths (track_file) is walked once, at its first path. */
export function keywordEntries(top: BlockTable = topTable): KeywordEntry[] {
  const out: KeywordEntry[] = [];
  const seen = new Set<BlockTable>();
  const walk = (tbl: BlockTable, path: readonly string[]): void => {
    if (seen.has(tbl)) return;
    seen.add(tbl);
    for (const [keyword, spec] of Object.entries(tbl.keywords)) {
      out.push({ path, table: tbl, keyword, spec });
      if (spec.block) walk(spec.block, [...path, keyword]);
    }
  };
  walk(top, []);
  return out;
}
