/** Generic syntax tree produced by config/parser: keyword lines and blocks, each with its source location. */
export interface Loc {
  file: string;
  line: number; // 1-based
  col: number; // 1-based
}

export interface ConfigNode {
  keyword: string;
  /** Words after the keyword, quotes removed and escapes resolved, macros already expanded. */
  args: string[];
  /** Location of each arg (same length as args). */
  argLocs: Loc[];
  /** Present when the line opens a `{ ... }` block (even if empty). */
  block?: ConfigNode[];
  loc: Loc;
}
