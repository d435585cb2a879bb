/**
 * The shape of a keyword table entry. Each block family (global_defs, vrrp_instance, ...) is a
 * `BlockTable`: keyword → spec. config/build walks the syntax tree with these tables and produces
 * plain JSON; config/schema derives the ajv JSON Schema (types, ranges, defaults, required) from
 * the same entries, so a range or a default is written exactly once, here.
 */
import type { ConfigNode } from '../ast';

export type ScalarKind =
  | 'int' // one integer argument
  | 'num' // one decimal argument (keepalived <TIMER>s: seconds with µs resolution)
  | 'str' // one word
  | 'bool' // bare = true, or on|off|true|false|yes|no
  | 'flag' // bare keyword = true (trailing words are ignored, as keepalived does)
  | 'words' // all arguments, as an array of strings
  | 'script' // a command line: {command, argv} (optionally [user [group]] after a quoted command)
  | 'ignore'; // accepted, not modelled

export interface KwSpec {
  kind: ScalarKind | 'block' | 'lines';
  /** Property name in the built object; defaults to the camelCase keyword. */
  to?: string;
  min?: number;
  max?: number;
  default?: unknown;
  /** Allowed values (after case normalisation when `caseInsensitive`). */
  enum?: readonly string[];
  /** Accept a value in the wrong case with a warning (e.g. `state Master`). */
  caseInsensitive?: boolean;
  /** Value when the keyword is given with no argument (e.g. persistence_timeout → 360). */
  bareValue?: unknown;
  /** The property must be present after building. */
  required?: boolean;
  /** Repeatable: each occurrence appends to an array. */
  repeat?: boolean;
  /** Deprecated keyword: still works; the string says what to use instead. */
  deprecated?: string;
  /** For kind 'block': the table of the nested block. */
  block?: BlockTable;
  /** For a block with arguments (vrrp_instance NAME, real_server IP PORT): keep them as `args`. */
  keepArgs?: boolean;
  /** Set a discriminator on the built object (checkers: type = keyword). */
  tag?: { prop: string; value: string };
  /** For kind 'script': every word is part of the command (vrrp_script `script`, `misc_path`);
   *  otherwise a quoted command may be followed by [user [group]] as for notify hooks. */
  wholeLine?: boolean;
  /** Number of arguments the keyword needs at least (an error otherwise). */
  minArgs?: number;
}

/** Entries plus an optional hook for words the table does not know (legacy sync-group members). */
export interface BlockTable {
  readonly name: string;
  readonly keywords: Readonly<Record<string, KwSpec>>;
  /** Returns true when it consumed an unknown line. */
  readonly onUnknown?: (node: ConfigNode, target: Record<string, unknown>, warn: (code: string, msg: string) => void) => boolean;
}

export const int = (min?: number, max?: number, extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'int', min, max, ...extra });
export const num = (min?: number, max?: number, extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'num', min, max, ...extra });
export const str = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'str', ...extra });
export const bool = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'bool', ...extra });
export const flag = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'flag', ...extra });
export const words = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'words', ...extra });
export const script = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'script', ...extra });
export const ignore = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'ignore', ...extra });
export const oneOf = (values: readonly string[], extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'str', enum: values, ...extra });
/** A block whose lines are kept raw ({args: [keyword, ...args], loc}) for a dedicated line parser. */
export const lines = (extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'lines', ...extra });
export const block = (table: BlockTable, extra: Partial<KwSpec> = {}): KwSpec => ({ kind: 'block', block: table, ...extra });

/** `some_keyword` → `someKeyword`. */
export function camel(kw: string): string {
  return kw.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Builds a table; a spec without `to` gets the camelCase keyword. */
export function table(name: string, keywords: Record<string, KwSpec>, onUnknown?: BlockTable['onUnknown']): BlockTable {
  for (const [kw, spec] of Object.entries(keywords)) if (spec.to === undefined) spec.to = camel(kw);
  return { name, keywords, onUnknown };
}

/** Marks a list of keywords as accepted-but-not-modelled. */
export function ignored(names: readonly string[]): Record<string, KwSpec> {
  const out: Record<string, KwSpec> = {};
  for (const n of names) out[n] = ignore();
  return out;
}
