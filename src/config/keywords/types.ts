/**
 * The shape of a keyword table entry. Each block family (global_defs, vrrp_instance, ...) is a
 * `BlockTable`: keyword → spec. config/build walks the syntax tree with these tables and produces
 * plain JSON; config/schema derives the ajv JSON Schema (types, ranges, defaults, required) from
 * the same entries, so a range or a default is written exactly once, here.
 */
import type { ConfigNode } from '../ast';
import type { Fallback } from '../fallback';

export type ScalarKind =
  | 'int' // one integer argument
  | 'num' // one decimal argument (keepalived <TIMER>s: seconds with µs resolution)
  | 'str' // one word
  | 'bool' // bare = true, or on|off|true|false|yes|no
  | 'flag' // bare keyword = true (trailing words are ignored, as keepalived does)
  | 'words' // all arguments, as an array of strings
  | 'script' // a command line: {command, argv} (optionally [user [group]] after a quoted command)
  | 'ignore'; // accepted, not stored (always `unsupported`)

/**
 * What consumes a keyword: every entry names exactly one. `use` is the module (path under src/,
 * e.g. 'runtime/instance.ts') that reads the keyword's model field (`field`, defaulting to `to`);
 * `unsupported` is a one-line reason, printed by `-t` and at start-up as "accepted for
 * compatibility but not implemented by tskeepalived (<reason>)". A keyword whose only effect is on
 * the configuration check names 'config/validate.ts'. test/unit/keyword-coverage checks that the
 * named module really reads the field.
 */
export type Consumer =
  | { readonly use: string; readonly field?: string; readonly unsupported?: never }
  | { readonly unsupported: string; readonly use?: never; readonly field?: never };

/** Everything about a keyword except what consumes it. */
export interface KwShape {
  kind: ScalarKind | 'block' | 'lines';
  /** Property name in the built object; defaults to the camelCase keyword. */
  to?: string;
  min?: number;
  max?: number;
  default?: unknown;
  /** Allowed values (after case normalisation when `caseInsensitive`). */
  enum?: readonly string[];
  /** Values accepted but not implemented (first argument → reason): warned like an unsupported keyword. */
  unsupportedValues?: Readonly<Record<string, string>>;
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
  /**
   * What is used when the value fails validation (config/fallback): by default the value is
   * dropped and the keyword's default applies; `{value}` uses that value; `{refuse: true}` drops
   * the enclosing block. A failed value is never used.
   */
  fallback?: Fallback;
  /** Number of arguments the keyword needs at least (an error otherwise). */
  minArgs?: number;
}

/** A keyword table entry: its shape plus, required, its consumer. */
export type KwSpec = KwShape & Consumer;

/** Options of the constructors below: the consumer is required, so an undeclared entry does not compile. */
export type Decl = Partial<KwShape> & Consumer;

/** A block's keywords. */
export interface BlockTable {
  readonly name: string;
  readonly keywords: Readonly<Record<string, KwSpec>>;
}

export const int = (min: number | undefined, max: number | undefined, d: Decl): KwSpec => ({ kind: 'int', min, max, ...d });
export const num = (min: number | undefined, max: number | undefined, d: Decl): KwSpec => ({ kind: 'num', min, max, ...d });
export const str = (d: Decl): KwSpec => ({ kind: 'str', ...d });
export const bool = (d: Decl): KwSpec => ({ kind: 'bool', ...d });
export const flag = (d: Decl): KwSpec => ({ kind: 'flag', ...d });
export const words = (d: Decl): KwSpec => ({ kind: 'words', ...d });
export const script = (d: Decl): KwSpec => ({ kind: 'script', ...d });
/** Accepted and not stored: always unsupported, with the reason. */
export const ignore = (reason: string, extra: Partial<KwShape> = {}): KwSpec => ({ kind: 'ignore', ...extra, unsupported: reason });
export const oneOf = (values: readonly string[], d: Decl): KwSpec => ({ kind: 'str', enum: values, ...d });
/** A block whose lines are kept raw ({args: [keyword, ...args], loc}) for a dedicated line parser. */
export const lines = (d: Decl): KwSpec => ({ kind: 'lines', ...d });
export const block = (table: BlockTable, d: Decl): KwSpec => ({ kind: 'block', block: table, ...d });

/** `some_keyword` → `someKeyword`. */
export function camel(kw: string): string {
  return kw.replace(/[_-]([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

/** Builds a table; a spec without `to` gets the camelCase keyword. */
export function table(name: string, keywords: Record<string, KwSpec>): BlockTable {
  for (const [kw, spec] of Object.entries(keywords)) {
    if (spec.to === undefined) (spec as KwShape).to = camel(kw);
    // Belt and braces for entries built without the constructors (JSON, casts): one consumer each.
    if ((spec.use === undefined) === (spec.unsupported === undefined)) {
      throw new Error(`keyword '${kw}' in ${name} must declare exactly one of use/unsupported`);
    }
  }
  return { name, keywords };
}

/** Marks a list of keywords as accepted-but-not-modelled, all for one reason. */
export function ignored(names: readonly string[], reason: string): Record<string, KwSpec> {
  const out: Record<string, KwSpec> = {};
  for (const n of names) out[n] = ignore(reason);
  return out;
}
