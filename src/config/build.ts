/**
 * AST → plain JSON, driven by the keyword tables. Only syntax-level work happens here: which
 * keyword goes where, and turning words into numbers/booleans/scripts. Ranges, defaults and
 * required keywords are the schema's job (config/schema); meaning is config/resolve's.
 * Every stored value is recorded in `locs` under its JSON pointer so later stages can point at
 * the line that set it.
 */
import type { ConfigNode, Loc } from './ast';
import type { Diagnostics } from './diagnostics';
import { splitCommand } from './script-argv';
import { nearest } from './suggest';
import type { BlockTable, KwSpec } from './keywords/types';
import { fallbackAction, fallbackNote } from './fallback';

export type Json = Record<string, unknown>;

/**
 * Where each value came from: every built object carries `$locs` (property → the keyword node
 * that set it, the last one when repeated). Kept per object rather than in a pointer map so a
 * 10,000-instance config allocates nothing extra for it.
 */
export const LOCS = '$locs';

/** A line inside a list block (virtual_ipaddress, track_script, ...): its words and where each is. */
export interface RawLine {
  readonly args: string[];
  readonly argLocs: Loc[];
  readonly loc: Loc;
}

export interface RawScript {
  command: string;
  argv: string[];
  user?: string;
  group?: string;
  loc: Loc;
}

const SKIP = Symbol('skip');
const INT_RE = /^[-+]?\d+$/;
const NUM_RE = /^[-+]?(\d+\.?\d*|\.\d+)$/;

export function buildFromTable(nodes: readonly ConfigNode[], tbl: BlockTable, diags: Diagnostics): Json {
  const root: Json = {};
  buildBlock(nodes, tbl, root, { diags, unsupportedSeen: new Set() });
  return root;
}

interface Ctx {
  diags: Diagnostics;
  /** Unsupported keywords already reported (keyword + reason): one warning per keyword. */
  unsupportedSeen: Set<string>;
}

/** The warning for a keyword declared `unsupported` (keywords/types Consumer), once per keyword. */
export function unsupportedMessage(keyword: string, reason: string): string {
  return `${keyword} is accepted for compatibility but not implemented by tskeepalived (${reason})`;
}

function reportUnsupported(node: ConfigNode, what: string, reason: string, ctx: Ctx): void {
  const key = `${what}\0${reason}`;
  if (ctx.unsupportedSeen.has(key)) return;
  ctx.unsupportedSeen.add(key);
  ctx.diags.warn('ERR_CONFIG_UNSUPPORTED', unsupportedMessage(what, reason), node.loc);
}

/** A keyword or one of its values declared unsupported: warn once per keyword (and value). */
function checkSupported(node: ConfigNode, spec: KwSpec, ctx: Ctx): void {
  if (spec.unsupported !== undefined) reportUnsupported(node, node.keyword, spec.unsupported, ctx);
  const a0 = node.args[0];
  if (spec.unsupportedValues === undefined || a0 === undefined) return;
  const value = Object.keys(spec.unsupportedValues).find((v) => v.toLowerCase() === a0.toLowerCase());
  if (value !== undefined) reportUnsupported(node, `${node.keyword} ${value}`, spec.unsupportedValues[value] as string, ctx);
}

function buildBlock(nodes: readonly ConfigNode[], tbl: BlockTable, target: Json, ctx: Ctx): void {
  // A block built again (a repeated singleton block) keeps the locations of its earlier lines.
  let locs = target[LOCS] as Record<string, ConfigNode> | undefined;
  if (!locs) {
    locs = {};
    Object.defineProperty(target, LOCS, { value: locs, enumerable: false });
  }
  for (const node of nodes) {
    const spec = tbl.keywords[node.keyword];
    if (!spec) {
      unknown(node, tbl, target, ctx);
      continue;
    }
    checkSupported(node, spec, ctx);
    if (spec.deprecated) {
      ctx.diags.deprecated('ERR_CONFIG_DEPRECATED', `keyword '${node.keyword}' is deprecated, use ${spec.deprecated}`, node.loc);
    }
    if (spec.minArgs && node.args.length < spec.minArgs) {
      ctx.diags.error('ERR_CONFIG_MISSING_ARG', `'${node.keyword}' needs ${spec.minArgs === 1 ? 'a value' : `${spec.minArgs} values`}`, node.loc);
      continue;
    }
    if (!blockShapeOk(node, spec, ctx)) continue;
    store(node, spec, target, locs, ctx);
  }
}

function unknown(node: ConfigNode, tbl: BlockTable, target: Json, ctx: Ctx): void {
  const hint = nearest(node.keyword, Object.keys(tbl.keywords));
  const where = tbl.name === 'top level' ? 'at top level' : `in ${tbl.name}`;
  ctx.diags.error('ERR_CONFIG_UNKNOWN_KEYWORD', `unknown keyword '${node.keyword}' ${where}`, node.loc, hint);
}

/** Block keywords need `{ }`; others must not have one (an ignored keyword may have either). */
function blockShapeOk(node: ConfigNode, spec: KwSpec, ctx: Ctx): boolean {
  const wantsBlock = spec.kind === 'block' || spec.kind === 'lines';
  if (wantsBlock && node.block === undefined) {
    ctx.diags.error('ERR_CONFIG_MISSING_BLOCK', `'${node.keyword}' needs a { } block`, node.loc);
    return false;
  }
  if (!wantsBlock && spec.kind !== 'ignore' && node.block !== undefined) {
    ctx.diags.error('ERR_CONFIG_UNEXPECTED_BLOCK', `'${node.keyword}' does not take a { } block`, node.loc);
    return false;
  }
  return true;
}

function store(node: ConfigNode, spec: KwSpec, target: Json, locs: Record<string, ConfigNode>, ctx: Ctx): void {
  const prop = spec.to as string;
  const earlier = target[prop];
  if (spec.kind === 'block' && !spec.repeat && !spec.keepArgs && typeof earlier === 'object' && earlier !== null) {
    // keepalived applies a repeated singleton block (a second global_defs, SSL, authentication…)
    // keyword by keyword on top of the first: later values win, lists grow, nothing is reset.
    buildBlock(node.block ?? [], spec.block as BlockTable, earlier as Json, ctx);
    return;
  }
  const value = convert(node, spec, ctx);
  if (value === SKIP) return;
  locs[prop] = node; // a repeated keyword overrides: point at the last
  if (spec.kind === 'lines' && !spec.keepArgs) {
    const arr = (target[prop] ??= []) as unknown[];
    for (const v of value as unknown[]) arr.push(v);
  } else if (spec.repeat) {
    ((target[prop] ??= []) as unknown[]).push(value);
  } else {
    target[prop] = value;
  }
}

function convert(node: ConfigNode, spec: KwSpec, ctx: Ctx): unknown {
  const a0 = node.args[0];
  const noArg = a0 === undefined;
  if (noArg && spec.bareValue !== undefined) return spec.bareValue;
  switch (spec.kind) {
    case 'ignore':
      return SKIP;
    case 'flag':
      return true;
    case 'bool':
      return noArg ? true : toBool(node, a0, ctx);
    case 'int':
    case 'num':
      return noArg ? missing(node, ctx) : toNumber(node, a0, spec, ctx);
    case 'str':
      return noArg ? missing(node, ctx) : toStr(node, a0, spec, ctx);
    case 'words':
      return [...node.args];
    case 'script':
      return noArg ? missing(node, ctx) : toScript(node, spec, ctx.diags);
    case 'lines':
      return toLines(node, spec);
    case 'block':
      return toBlock(node, spec, ctx);
  }
}

function missing(node: ConfigNode, ctx: Ctx): typeof SKIP {
  ctx.diags.error('ERR_CONFIG_MISSING_ARG', `'${node.keyword}' needs a value`, node.loc);
  return SKIP;
}

function toBool(node: ConfigNode, word: string, ctx: Ctx): boolean | typeof SKIP {
  const w = word.toLowerCase();
  if (w === 'on' || w === 'true' || w === 'yes') return true;
  if (w === 'off' || w === 'false' || w === 'no') return false;
  ctx.diags.error('ERR_CONFIG_BAD_VALUE', `invalid boolean '${word}' for '${node.keyword}' (expected on|off|true|false|yes|no)`, node.argLocs[0] ?? node.loc);
  return SKIP;
}

/** "; using the default 100": what replaces a value that could not be read (config/fallback). */
function replacedBy(spec: KwSpec, block: string): string {
  const action = fallbackAction(spec.fallback, spec.default);
  // Not stored: the default (or, for a refused value, the missing required keyword) takes over.
  return fallbackNote(action.kind === 'set' && !action.isDefault ? { kind: 'drop' } : action, block);
}

function toNumber(node: ConfigNode, word: string, spec: KwSpec, ctx: Ctx): number | typeof SKIP {
  if ((spec.kind === 'int' ? INT_RE : NUM_RE).test(word)) return Number(word);
  const what = spec.kind === 'int' ? 'integer' : 'number';
  ctx.diags.error('ERR_CONFIG_BAD_VALUE', `invalid ${what} '${word}' for '${node.keyword}'${replacedBy(spec, 'the block')}`, node.argLocs[0] ?? node.loc);
  return SKIP;
}

function toStr(node: ConfigNode, word: string, spec: KwSpec, ctx: Ctx): string | typeof SKIP {
  if (!spec.enum || spec.enum.includes(word)) return word;
  const match = spec.caseInsensitive ? spec.enum.find((e) => e.toLowerCase() === word.toLowerCase()) : undefined;
  const at = node.argLocs[0] ?? node.loc;
  if (match) {
    ctx.diags.warn('ERR_CONFIG_CASE', `'${node.keyword} ${word}' should be written '${match}'; accepted`, at);
    return match;
  }
  ctx.diags.error('ERR_CONFIG_BAD_VALUE', `invalid value '${word}' for '${node.keyword}' (expected ${spec.enum.join('|')})${replacedBy(spec, 'the block')}`, at, nearest(word, spec.enum));
  return SKIP;
}

/** Keywords of vrrp_script and MISC_CHECK blocks: seen after the command, the block was written on one line. */
const BLOCK_KEYWORD_AFTER_SCRIPT = new Set(['interval', 'timeout', 'weight', 'rise', 'fall', 'user', 'init_fail', 'misc_timeout', 'misc_dynamic', 'warmup', 'retry', 'delay_before_retry', 'connect_timeout']);

/**
 * Hooks (notify_*, quorum_up, ...): `CMD [user [group]]` as keepalived.conf(5) documents, where a
 * command with arguments must be quoted. With `wholeLine` (vrrp_script `script`, `misc_path`) the
 * first word is the whole command line, split again into argv; the words after it are ignored, as
 * keepalived 2.2.7 does (observed: `script /x.sh a b` runs /x.sh alone, and in a one-line block
 * `vrrp_script s { script "/x.sh" interval 2 }` the interval is never read), and said so here.
 */
export function toScript(node: ConfigNode, spec: Pick<KwSpec, 'wholeLine'>, diags?: Diagnostics): RawScript {
  const args = node.args;
  const first = args[0] as string;
  const out: RawScript = { command: first, argv: splitCommand(first), loc: node.loc };
  if (spec.wholeLine) {
    if (args.length > 1) {
      const rest = args.slice(1).join(' ');
      diags?.warn(
        'ERR_CONFIG_SCRIPT_ARGS',
        `'${node.keyword}': only the first word is the command line (keepalived runs '${first}' alone and ignores '${rest}'); quote the whole command line to pass arguments${BLOCK_KEYWORD_AFTER_SCRIPT.has(args[1] as string) ? ', and put each keyword on its own line' : ''}`,
        node.argLocs[1] ?? node.loc,
      );
    }
    return out;
  }
  if (args[1] !== undefined) out.user = args[1];
  if (args[2] !== undefined) out.group = args[2];
  if (args.length > 3) {
    diags?.warn('ERR_CONFIG_SCRIPT_ARGS', `'${node.keyword}': words after [user [group]] are ignored; quote the command to pass arguments`, node.argLocs[3] ?? node.loc);
  }
  return out;
}

/** A list-block line viewed as words; arrays are made on access so big configs stay cheap to build. */
class NodeLine implements RawLine {
  constructor(private readonly n: ConfigNode) {}
  get args(): string[] {
    return [this.n.keyword, ...this.n.args];
  }
  get argLocs(): Loc[] {
    return [this.n.loc, ...this.n.argLocs];
  }
  get loc(): Loc {
    return this.n.loc;
  }
  toJSON(): { args: string[]; loc: Loc } {
    return { args: this.args, loc: this.loc };
  }
}

function lineOf(n: ConfigNode): RawLine {
  return new NodeLine(n);
}

function toLines(node: ConfigNode, spec: KwSpec): unknown {
  const out = (node.block ?? []).map(lineOf);
  return spec.keepArgs ? { args: [...node.args], argLocs: node.argLocs, loc: node.loc, lines: out } : out;
}

function toBlock(node: ConfigNode, spec: KwSpec, ctx: Ctx): Json {
  const obj: Json = { loc: node.loc };
  if (spec.tag) obj[spec.tag.prop] = spec.tag.value;
  if (spec.keepArgs) {
    obj.args = [...node.args];
    obj.argLocs = node.argLocs;
  }
  buildBlock(node.block ?? [], spec.block as BlockTable, obj, ctx);
  return obj;
}
