/**
 * keepalived.conf(5) line-level preprocessing, in keepalived's order:
 *   comments → include (detected before anything else, so it cannot use @ or $) →
 *   `@ID`/`@^ID` conditional → `$NAME=value` definition (multi-line with trailing `\`) →
 *   `~SEQ`/`~SEQx`/`~LST` repetition → `$NAME`/`${NAME}` substitution.
 * Substitution happens at use time and is recursive; a multi-line macro's lines are fed back
 * one by one through the same pipeline, so they may hold blocks, `@` lines and further
 * definitions (the man page's nested `$VS`/`$RS` example depends on that order).
 * Pure: files come through injected readFile/glob; randomness through an injected function.
 */
import type { Loc } from './ast';
import type { Diagnostics } from './diagnostics';
import { commentStart, lexLine } from './lexer';

export interface SourceLine {
  text: string;
  file: string;
  line: number;
  /** Column of text[i] is colOffset + i + 1 when cols is absent (the cheap, common case). */
  colOffset: number;
  /** 1-based source column of each character; present only on substituted lines. */
  cols?: number[];
}

export function colAt(l: SourceLine, i: number): number {
  if (!l.cols) return l.colOffset + i + 1;
  return l.cols[Math.min(i, l.cols.length - 1)] ?? l.colOffset + 1;
}

export function locAt(l: SourceLine, i: number): Loc {
  return { file: l.file, line: l.line, col: colAt(l, i) };
}

function sliceLine(l: SourceLine, from: number): SourceLine {
  if (l.cols) return { ...l, text: l.text.slice(from), cols: l.cols.slice(from) };
  return { ...l, text: l.text.slice(from), colOffset: l.colOffset + from };
}

export interface SourceAccess {
  /** Returns the file's text; throws an Error with `code` (ENOENT, EACCES, EISDIR...) on failure. */
  readFile: (path: string) => string;
  /** Absolute paths matching a wildcard pattern (no braces), sorted. */
  glob: (pattern: string, baseDir: string) => string[];
}

export interface PreprocessOptions extends SourceAccess {
  configId: string;
  /** -e/--all-config: a missing or unreadable include is an error. */
  allConfig?: boolean;
  /** Integer in [min, max] for ${_RANDOM}; defaults to Math.random. */
  random?: (min: number, max: number) => number;
}

/** Bounds that keep hostile input (recursive macros, huge ~SEQ) from hanging the parser. */
const MAX_DEPTH = 32;
const MAX_SUBSTITUTIONS_PER_LINE = 10_000;
const MAX_LINE_CHARS = 1 << 20;
const MAX_OUTPUT_LINES = 5_000_000;
const MAX_WORK = 20_000_000;
const MAX_BRACE_ALTERNATIVES = 4096;

type Macro = { multi: false; text: string } | { multi: true; lines: SourceLine[] };

const INCLUDE_CHECKS: Readonly<Record<string, readonly IncludeCheck[]>> = {
  include: [],
  includer: ['readable'],
  includem: ['match'],
  includew: ['wildcard_match'],
  includeb: ['brace_match'],
  includea: ['readable', 'match', 'wildcard_match', 'brace_match'],
};
type IncludeCheck = 'readable' | 'match' | 'wildcard_match' | 'brace_match';
const ALL_CHECKS: readonly IncludeCheck[] = INCLUDE_CHECKS.includea as readonly IncludeCheck[];

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*/;
const DEFINITION_RE = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;
const REPEAT_RE = /^\s*~(SEQx|SEQ|LST)\(/;

export interface PreprocessResult {
  /** Every file read, main file first. */
  files: string[];
}

/** Receives each logical line as soon as it is ready (streaming keeps 200k-line configs cheap). */
export type LineSink = (line: SourceLine) => void;

/** Runs the preprocessor over a file (read through opts.readFile). */
export function preprocessFile(path: string, opts: PreprocessOptions, diags: Diagnostics, sink: LineSink): PreprocessResult {
  const p = new Preprocessor(opts, diags, sink);
  p.includeFile(normalizePath(path), undefined, ALL_CHECKS, true);
  p.finish();
  return { files: p.files };
}

/** Runs the preprocessor over text already in memory; includes resolve against fileName's dir. */
export function preprocessText(text: string, fileName: string, opts: PreprocessOptions, diags: Diagnostics, sink: LineSink): PreprocessResult {
  const p = new Preprocessor(opts, diags, sink);
  p.runText(text, fileName);
  p.finish();
  return { files: p.files };
}

/** Convenience for tests and tools: all logical lines as an array. */
export function preprocessToLines(text: string, fileName: string, opts: PreprocessOptions, diags: Diagnostics): SourceLine[] {
  const lines: SourceLine[] = [];
  preprocessText(text, fileName, opts, diags, (l) => lines.push(l));
  return lines;
}

class Preprocessor {
  private emitted = 0;
  readonly files: string[] = [];
  private readonly macros = new Map<string, Macro>();
  private readonly stack: string[] = [];
  private pending: { name: string; lines: SourceLine[]; loc: Loc } | undefined;
  /** Set once a bound is hit (output size, runaway macros): everything after is dropped. */
  private tooLarge = false;
  private work = 0;
  /** Set by substituteText when nesting passes MAX_DEPTH (a macro that expands to itself). */
  private runaway = false;

  constructor(
    private readonly opts: PreprocessOptions,
    private readonly diags: Diagnostics,
    private readonly sink: LineSink,
  ) {}

  finish(): void {
    if (this.pending) this.endDefinition();
  }

  runText(text: string, file: string): void {
    this.files.push(file);
    if (text.indexOf('\0') >= 0) {
      this.diags.error('ERR_CONFIG_BINARY', `${file} looks like a binary file (it contains NUL bytes); not parsed`, { file, line: 1, col: 1 });
      return;
    }
    this.stack.push(file);
    const n = text.length;
    let lineNo = 0;
    let pos = 0;
    while (pos <= n && !this.tooLarge) {
      let end = text.indexOf('\n', pos);
      if (end < 0) end = n;
      lineNo++;
      let raw = text.slice(pos, end);
      if (raw.endsWith('\r')) raw = raw.slice(0, -1);
      this.feedRaw(raw, file, lineNo);
      pos = end + 1;
    }
    this.stack.pop();
  }

  /** One physical line: strip the comment, collect multi-line definitions, detect include. */
  private feedRaw(raw: string, file: string, lineNo: number): void {
    const cut = commentStart(raw);
    const text = (cut < raw.length ? raw.slice(0, cut) : raw).trimEnd();
    if (text === '') return;
    const line: SourceLine = { text, file, line: lineNo, colOffset: 0 };
    if (!this.pending && this.isInclude(line)) return;
    this.feedLogical(line, 0);
  }

  private feedLogical(line: SourceLine, depth: number): void {
    if (this.pending) {
      const more = line.text.endsWith('\\');
      const body = more ? line.text.slice(0, -1).trimEnd() : line.text;
      if (body.trim() !== '') this.pending.lines.push({ ...line, text: body });
      if (!more) this.endDefinition();
      return;
    }
    this.process(line, depth);
  }

  private endDefinition(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.macros.set(p.name, { multi: true, lines: p.lines });
  }

  private emit(line: SourceLine): void {
    if (++this.emitted > MAX_OUTPUT_LINES) {
      this.abort('ERR_CONFIG_TOO_LARGE', `configuration expands to more than ${MAX_OUTPUT_LINES} lines; rest ignored`, locAt(line, 0));
      return;
    }
    this.sink(line);
  }

  private abort(code: string, message: string, loc: Loc): void {
    if (this.tooLarge) return;
    this.tooLarge = true;
    this.diags.error(code, message, loc);
  }

  /** Conditional, definition, repetition and substitution for one logical line. */
  private process(line: SourceLine, depth: number): void {
    if (this.tooLarge) return;
    if (depth > MAX_DEPTH || ++this.work > MAX_WORK) {
      this.abort('ERR_CONFIG_MACRO_LOOP', 'macro expansion nested too deeply (recursive definition?); rest of the configuration ignored', locAt(line, 0));
      return;
    }
    let lead = firstNonBlank(line.text);
    if (line.text.charCodeAt(lead) === 64 /* @ */) {
      const kept = this.conditional(line, lead);
      if (!kept) return;
      line = kept;
      lead = firstNonBlank(line.text);
    }
    const first = line.text.charCodeAt(lead);
    if (first === 36 /* $ */) {
      const def = DEFINITION_RE.exec(line.text);
      if (def) return this.define(def[1] as string, (def[2] as string).trim(), line);
    } else if (first === 126 /* ~ */) {
      const rep = REPEAT_RE.exec(line.text);
      if (rep) return this.repeat(line, rep[1] as 'SEQ' | 'SEQx' | 'LST', rep[0].length, depth);
    }
    if (line.text.indexOf('$') < 0) return this.emit(line);
    const sub = this.substitute(line);
    if (sub.lines.length === 1 && !sub.changed) return this.emit(line);
    for (const l of sub.lines) {
      const t = l.text.trimStart();
      // A substituted line may itself be a conditional, definition or repetition ($IF_MAIN=@main).
      if (t === '') continue;
      if (sub.lines.length > 1 || t[0] === '@' || t[0] === '~' || DEFINITION_RE.test(l.text)) this.feedLogical(l, depth + 1);
      else this.emit(l);
    }
  }

  /** `@ID rest` is kept when ID is the config id; `@^ID rest` when it is not. */
  private conditional(line: SourceLine, at: number): SourceLine | undefined {
    const neg = line.text[at + 1] === '^';
    const idStart = at + (neg ? 2 : 1);
    let idEnd = idStart;
    while (idEnd < line.text.length && !/\s/.test(line.text[idEnd] as string)) idEnd++;
    const id = line.text.slice(idStart, idEnd);
    const match = id === this.opts.configId;
    if (match === neg) return undefined;
    return sliceLine(line, idEnd);
  }

  private define(name: string, value: string, line: SourceLine): void {
    if (value === '\\') {
      this.pending = { name, lines: [], loc: locAt(line, 0) };
      return;
    }
    this.macros.set(name, { multi: false, text: value });
  }

  /** `~SEQ(var, [start,] [step,] end) rest`, `~SEQx(...)`, `~LST(var|{v1,v2}, val|{a,b}, ...) rest`. */
  private repeat(line: SourceLine, kind: 'SEQ' | 'SEQx' | 'LST', openEnd: number, depth: number): void {
    const close = findClose(line.text, openEnd);
    const loc = locAt(line, line.text.indexOf('~'));
    if (close < 0) {
      this.diags.error('ERR_CONFIG_BAD_REPEAT', `~${kind}( has no closing ')'`, loc);
      return;
    }
    const header = this.substituteText(line.text.slice(openEnd, close), loc, 0);
    const rest = sliceLine(line, close + 1);
    const iterations = kind === 'LST' ? parseList(header) : parseSeq(header, kind === 'SEQx');
    if (typeof iterations === 'string') {
      this.diags.error('ERR_CONFIG_BAD_REPEAT', `~${kind}(${header}): ${iterations}`, loc);
      return;
    }
    for (const binding of iterations) {
      if (this.tooLarge) break;
      for (const [k, v] of binding) this.macros.set(k, { multi: false, text: v });
      this.process(rest, depth + 1);
    }
    // The man page says not to rely on the variable after the block; we drop it.
    for (const k of iterations[0]?.keys() ?? []) this.macros.delete(k);
  }

  /** Value of a `${...}` body or `$NAME`: user macros first, then the built-ins. */
  private lookup(body: string, file: string): Macro | undefined {
    const name = NAME_RE.exec(body)?.[0];
    if (name === undefined) return undefined;
    const argText = body.slice(name.length).trim();
    if (argText === '') {
      const m = this.macros.get(name);
      if (m) return m;
    }
    switch (name) {
      case '_PWD':
        return { multi: false, text: dirname(file) };
      case '_INSTANCE':
        return { multi: false, text: this.opts.configId };
      case '_HASH':
        return { multi: false, text: '#' }; // comments are already gone, so no escape is needed
      case '_BANG':
        return { multi: false, text: '!' };
      case '_RANDOM': {
        const [lo, hi] = argText.split(/\s+/).filter((s) => s !== '').map((s) => Number.parseInt(s, 10));
        const min = Number.isFinite(lo) ? (lo as number) : 0;
        const max = Number.isFinite(hi) ? (hi as number) : 32767;
        const rnd = this.opts.random ?? ((a: number, b: number) => a + Math.floor(Math.random() * (b - a + 1)));
        return { multi: false, text: String(rnd(Math.min(min, max), Math.max(min, max))) };
      }
      default:
        return undefined;
    }
  }

  /** Finds the macro reference at `i` (text[i] === '$'): its end index and value, if defined. */
  private refAt(text: string, i: number, file: string): { end: number; macro: Macro } | undefined {
    if (text[i + 1] === '{') {
      const close = text.indexOf('}', i + 2);
      if (close < 0) return undefined;
      const macro = this.lookup(text.slice(i + 2, close), file);
      return macro ? { end: close + 1, macro } : undefined;
    }
    const name = NAME_RE.exec(text.slice(i + 1, i + 65))?.[0];
    if (name === undefined) return undefined;
    const end = i + 1 + name.length;
    const after = text[end];
    // `$NAME` only counts when followed by whitespace or the end of the line.
    if (after !== undefined && !/\s/.test(after)) return undefined;
    const macro = this.lookup(name, file);
    return macro ? { end, macro } : undefined;
  }

  /** Fully substitutes single-line text (used for values and ~SEQ headers). */
  private substituteText(text: string, loc: Loc, depth: number): string {
    if (text.indexOf('$') < 0) return text;
    if (depth > MAX_DEPTH) {
      this.runaway = true;
      return text;
    }
    let out = '';
    let i = 0;
    for (;;) {
      const d = text.indexOf('$', i);
      if (d < 0) break;
      const ref = this.refAt(text, d, loc.file);
      if (!ref) {
        out += text.slice(i, d + 1);
        i = d + 1;
        continue;
      }
      out += text.slice(i, d);
      const value = ref.macro.multi ? ref.macro.lines.map((l) => l.text).join('\n') : ref.macro.text;
      out += this.substituteText(value, loc, depth + 1);
      if (out.length > MAX_LINE_CHARS) return out;
      i = ref.end;
    }
    return out + text.slice(i);
  }

  /**
   * Substitutes a logical line. Single-line values expand recursively in place (their
   * characters take the column of the `$`). At the first multi-line macro the rest of the
   * line is left raw and the result is split into lines to be fed back in order.
   */
  private substitute(line: SourceLine): { lines: SourceLine[]; changed: boolean } {
    const text = line.text;
    const loc = locAt(line, 0);
    let out = '';
    const cols: number[] = [];
    const copy = (from: number, to: number): void => {
      out += text.slice(from, to);
      for (let k = from; k < to; k++) cols.push(colAt(line, k));
    };
    let i = 0;
    let changed = false;
    let count = 0;
    for (;;) {
      const d = text.indexOf('$', i);
      if (d < 0) break;
      const ref = this.refAt(text, d, line.file);
      if (!ref) {
        copy(i, d + 1);
        i = d + 1;
        continue;
      }
      changed = true;
      copy(i, d);
      const col = colAt(line, d);
      if (++count > MAX_SUBSTITUTIONS_PER_LINE || out.length > MAX_LINE_CHARS) {
        this.abort('ERR_CONFIG_MACRO_LOOP', 'macro substitution does not terminate (recursive definition?); rest of the configuration ignored', { ...loc, col });
        return { lines: [], changed: true };
      }
      if (ref.macro.multi) {
        return { lines: this.splitMulti(line, out, cols, ref.macro.lines, sliceLine(line, ref.end)), changed: true };
      }
      const value = this.substituteText(ref.macro.text, { ...loc, col }, 1);
      if (value.length > MAX_LINE_CHARS || this.runaway) {
        this.abort('ERR_CONFIG_MACRO_LOOP', 'macro substitution does not terminate (recursive definition?); rest of the configuration ignored', { ...loc, col });
        return { lines: [], changed: true };
      }
      out += value;
      for (let k = 0; k < value.length; k++) cols.push(col);
      i = ref.end;
    }
    copy(i, text.length);
    if (out.indexOf('\n') >= 0) return { lines: splitNewlines({ ...line, text: out, cols }), changed: true };
    return { lines: [{ ...line, text: out, cols }], changed };
  }

  private splitMulti(line: SourceLine, prefix: string, prefixCols: number[], body: SourceLine[], rest: SourceLine): SourceLine[] {
    if (body.length === 0) return [{ ...line, text: prefix + rest.text, cols: [...prefixCols, ...restCols(rest)] }];
    const lines = body.map((l) => ({ ...l }));
    const first = lines[0] as SourceLine;
    lines[0] = { ...line, text: prefix + first.text, cols: [...prefixCols, ...restCols(first)] };
    const lastIdx = lines.length - 1;
    const last = lines[lastIdx] as SourceLine;
    lines[lastIdx] = { ...last, text: last.text + rest.text, cols: [...restCols(last), ...restCols(rest)] };
    return lines;
  }

  // ---- include ----

  private isInclude(line: SourceLine): boolean {
    if (!line.text.startsWith('include', firstNonBlank(line.text))) return false;
    const { tokens } = lexLine(line.text, { splitBraces: false });
    const kw = tokens[0]?.text ?? '';
    const checks = INCLUDE_CHECKS[kw];
    if (checks === undefined) return false;
    const loc = locAt(line, tokens[0]?.index ?? 0);
    if (tokens.length < 2) {
      this.diags.error('ERR_CONFIG_INCLUDE_SYNTAX', `'${kw}' needs a file name`, loc);
      return true;
    }
    const effective = this.opts.allConfig ? ALL_CHECKS : checks;
    for (const tok of tokens.slice(1)) this.include(tok.text, locAt(line, tok.index), effective, line.file);
    return true;
  }

  private include(pattern: string, loc: Loc, checks: readonly IncludeCheck[], fromFile: string): void {
    const base = dirname(fromFile);
    const alternatives = braceExpand(pattern);
    const braced = alternatives.length > 1 || pattern.includes('{');
    const severityFor = (check: IncludeCheck): 'error' | 'warning' => (checks.includes(check) ? 'error' : 'warning');
    for (const alt of alternatives) {
      const abs = normalizePath(alt.startsWith('/') ? alt : `${base}/${alt}`);
      let matches: string[];
      if (/[*?[]/.test(alt)) {
        try {
          matches = this.opts.glob(abs, base);
        } catch {
          matches = [];
        }
        if (matches.length === 0) {
          const sev = severityFor(braced ? 'brace_match' : 'wildcard_match');
          this.report(sev, 'ERR_CONFIG_INCLUDE_NOT_FOUND', `no file matches include pattern ${alt}`, loc);
        }
      } else {
        matches = [abs];
      }
      for (const m of matches) this.includeFile(m, loc, checks, false, braced);
    }
  }

  /** Reads and preprocesses one file; reports loops, missing and unreadable files. */
  includeFile(path: string, loc: Loc | undefined, checks: readonly IncludeCheck[], top: boolean, braced = false): void {
    if (this.stack.includes(path)) {
      this.diags.error('ERR_CONFIG_INCLUDE_LOOP', `include loop: ${[...this.stack, path].join(' -> ')}`, loc);
      return;
    }
    if (this.stack.length >= MAX_DEPTH) {
      this.diags.error('ERR_CONFIG_INCLUDE_LOOP', `includes nested more than ${MAX_DEPTH} deep at ${path}`, loc);
      return;
    }
    let text: string;
    try {
      text = this.opts.readFile(path);
    } catch (e) {
      const code = (e as { code?: string }).code;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      if (top) {
        this.diags.fatal('ERR_CONFIG_FILE_NOT_FOUND', `Configuration file '${path}' ${missing ? 'does not exist' : `cannot be read (${code ?? 'error'})`}`, loc);
        return;
      }
      const check: IncludeCheck = missing ? (braced ? 'brace_match' : 'match') : 'readable';
      const sev = checks.includes(check) ? 'error' : 'warning';
      const code2 = missing ? 'ERR_CONFIG_INCLUDE_NOT_FOUND' : 'ERR_CONFIG_INCLUDE_UNREADABLE';
      this.report(sev, code2, missing ? `include file ${path} not found` : `cannot read include file ${path} (${code ?? 'error'})`, loc);
      return;
    }
    this.runText(text, path);
  }

  private report(sev: 'error' | 'warning', code: string, message: string, loc: Loc | undefined): void {
    if (sev === 'error') this.diags.error(code, message, loc);
    else this.diags.warn(code, message, loc);
  }
}

function firstNonBlank(s: string): number {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === 32 || s.charCodeAt(i) === 9)) i++;
  return i;
}

function restCols(l: SourceLine): number[] {
  const c: number[] = [];
  for (let k = 0; k < l.text.length; k++) c.push(colAt(l, k));
  return c;
}

function splitNewlines(l: SourceLine): SourceLine[] {
  const out: SourceLine[] = [];
  let from = 0;
  for (const part of l.text.split('\n')) {
    out.push({ ...l, text: part, cols: (l.cols ?? []).slice(from, from + part.length) });
    from += part.length + 1;
  }
  return out;
}

/** Index of the `)` closing a repetition header that starts at `from` (braces may hold commas). */
function findClose(s: string, from: number): number {
  let braces = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '{') braces++;
    else if (c === '}') braces--;
    else if (c === ')' && braces <= 0) return i;
  }
  return -1;
}

/** Splits on commas that are not inside `{...}`. */
function splitTop(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '{') depth++;
    else if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      parts.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  parts.push(cur.trim());
  return parts;
}

const unbrace = (s: string): string[] => (s.startsWith('{') && s.endsWith('}') ? s.slice(1, -1).split(',').map((x) => x.trim()) : [s]);

const MAX_ITERATIONS = 1_000_000;

export function parseList(header: string): Map<string, string>[] | string {
  const parts = splitTop(header);
  if (parts.length < 2) return 'needs a variable and at least one value';
  const vars = unbrace(parts[0] as string);
  if (vars.some((v) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v))) return `bad variable name in ${parts[0]}`;
  const out: Map<string, string>[] = [];
  for (const p of parts.slice(1)) {
    const vals = unbrace(p);
    if (vals.length !== vars.length) return `value ${p} does not match variables ${parts[0]}`;
    out.push(new Map(vars.map((v, k) => [v, vals[k] as string])));
  }
  return out;
}

function parseNumber(s: string): number | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|\d+)$/.exec(s.trim());
  if (!m) return undefined;
  const v = Number(m[2]);
  return m[1] === '-' ? -v : v;
}

/** `var, end` | `var, start, end` | `var, start, step, end` (keepalived.conf(5) "Sequence blocks"). */
export function parseSeq(header: string, hex: boolean): Map<string, string>[] | string {
  const parts = header.split(',').map((s) => s.trim());
  const name = parts[0] ?? '';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return `bad variable name '${name}'`;
  const nums = parts.slice(1).map(parseNumber);
  if (nums.length < 1 || nums.length > 3) return 'needs 1 to 3 numbers after the variable';
  if (nums.some((x) => x === undefined)) return 'not a number';
  const v = nums as number[];
  let start: number;
  let step: number;
  let end: number;
  if (v.length === 1) {
    end = v[0] as number;
    start = end >= 0 ? 1 : -1;
    step = end >= start ? 1 : -1;
  } else if (v.length === 2) {
    [start, end] = v as [number, number];
    step = end >= start ? 1 : -1;
  } else {
    [start, step, end] = v as [number, number, number];
  }
  if (step === 0) return 'step is 0';
  if ((end - start) / step + 1 > MAX_ITERATIONS) return `more than ${MAX_ITERATIONS} iterations`;
  const out: Map<string, string>[] = [];
  const fmt = (x: number): string => (hex ? (x < 0 ? `-${(-x).toString(16)}` : x.toString(16)) : String(x));
  for (let x = start; step > 0 ? x <= end : x >= end; x += step) out.push(new Map([[name, fmt(x)]]));
  return out;
}

/** csh brace expansion: `a{b,c{d,e}}f` → abf, acdf, acef. Unbalanced braces are left literal. */
export function braceExpand(s: string): string[] {
  const open = s.indexOf('{');
  if (open < 0) return [s];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        close = i;
        break;
      }
    } else if (c === ',' && depth === 1) commas.push(i);
  }
  if (close < 0) return [s];
  const head = s.slice(0, open);
  const tails = braceExpand(s.slice(close + 1));
  if (commas.length === 0) return tails.map((t) => `${head}{${s.slice(open + 1, close)}}${t}`);
  const bounds = [open, ...commas, close];
  const out: string[] = [];
  for (let k = 0; k + 1 < bounds.length; k++) {
    for (const mid of braceExpand(s.slice((bounds[k] as number) + 1, bounds[k + 1]))) {
      for (const t of tails) {
        // Bound the combinatorial explosion of hostile patterns ({a,b}{a,b}... doubles each time).
        if (out.length >= MAX_BRACE_ALTERNATIVES) return out;
        out.push(head + mid + t);
      }
    }
  }
  return out;
}

export function dirname(p: string): string {
  const i = p.lastIndexOf('/');
  if (i < 0) return '.';
  if (i === 0) return '/';
  return p.slice(0, i);
}

/** Collapses `//`, `.` and `..` so include-loop detection compares like with like. */
export function normalizePath(p: string): string {
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
      else if (!abs) parts.push('..');
    } else parts.push(seg);
  }
  const joined = parts.join('/');
  return abs ? `/${joined}` : joined || '.';
}
