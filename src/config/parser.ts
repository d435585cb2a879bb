/**
 * Generic keepalived.conf parser: preprocessed lines → tokens → a tree of
 * `{keyword, args, argLocs, block?, loc}`. It knows no keywords (config/keywords does);
 * it only knows blocks. `{` opens a block for the keyword line it ends, or — alone at the
 * start of a line — for the previous keyword line (the brace may sit on the next line);
 * `}` closes the innermost block. Never throws; problems become diagnostics.
 */
import type { ConfigNode, Loc } from './ast';
import { Diagnostics, type Diagnostic } from './diagnostics';
import { lexLine } from './lexer';
import { locAt, preprocessFile, preprocessText, type PreprocessOptions, type SourceLine } from './preprocess';

export interface ParseOptions {
  /** Matched by `@ID` / `@^ID` lines and given by ${_INSTANCE} (-i; default short hostname). */
  configId: string;
  /** -e/--all-config: missing or unreadable include files are errors. */
  allConfig?: boolean;
  /** File source (src/runtime/config-files.ts for the disk); without one nothing can be read. */
  readFile?: (p: string) => string;
  /** Wildcard expansion of an absolute pattern (braces already expanded); defaults to the real filesystem. */
  glob?: (pattern: string, baseDir: string) => string[];
  /** Makes the main file's path absolute (relative includes hang off it); default: as given. */
  absolute?: (p: string) => string;
  /** Integer in [min, max] for ${_RANDOM}. */
  random?: (min: number, max: number) => number;
}

export interface ParseResult {
  nodes: ConfigNode[];
  diagnostics: Diagnostic[];
  /** Every file read, in order (the main file first). */
  files: string[];
}

function noFile(p: string): string {
  throw Object.assign(new Error(`no file source to read ${p}`), { code: 'ENOENT' });
}

function preprocessOptions(opts: ParseOptions): PreprocessOptions {
  return {
    configId: opts.configId,
    allConfig: opts.allConfig,
    // The language core reads no files itself: callers inject a source (src/runtime/config-files.ts
    // for the disk). Without one, every file is "not found" and the diagnostics say so.
    readFile: opts.readFile ?? noFile,
    glob: opts.glob ?? (() => []),
    random: opts.random,
  };
}

/** Parses a config file and everything it includes. A missing main file is a fatal diagnostic. */
export function parseConfigFile(path: string, opts: ParseOptions): ParseResult {
  const diags = new Diagnostics();
  const abs = opts.absolute ? opts.absolute(path) : path;
  const tree = new TreeBuilder(diags);
  const pre = preprocessFile(abs, preprocessOptions(opts), diags, (l) => tree.line(l));
  return { nodes: tree.finish(), diagnostics: diags.items, files: pre.files };
}

/** Parses text in memory; `fileName` names it in locations and anchors relative includes. */
export function parseConfigText(text: string, fileName: string, opts: ParseOptions): ParseResult {
  const diags = new Diagnostics();
  const tree = new TreeBuilder(diags);
  const pre = preprocessText(text, fileName, preprocessOptions(opts), diags, (l) => tree.line(l));
  return { nodes: tree.finish(), diagnostics: diags.items, files: pre.files };
}

interface Frame {
  list: ConfigNode[];
  owner?: ConfigNode;
}

/** Builds the block tree from logical lines, fed one at a time. */
export class TreeBuilder {
  private readonly root: ConfigNode[] = [];
  private readonly stack: Frame[] = [{ list: this.root }];

  constructor(private readonly diags: Diagnostics) {}

  line(line: SourceLine): void {
    const { diags, stack } = this;
    const lexed = lexLine(line.text);
    if (lexed.unterminatedQuoteAt !== undefined) {
      diags.warn('ERR_CONFIG_UNTERMINATED_QUOTE', 'quoted string not terminated before end of line', locAt(line, lexed.unterminatedQuoteAt));
    }
    let cur: ConfigNode | undefined;
    for (const tok of lexed.tokens) {
      const top = stack[stack.length - 1] as Frame;
      const loc: Loc = locAt(line, tok.index);
      if (tok.kind === 'word') {
        if (cur) {
          cur.args.push(tok.text);
          cur.argLocs.push(loc);
        } else {
          cur = { keyword: tok.text, args: [], argLocs: [], loc };
          top.list.push(cur);
        }
      } else if (tok.kind === 'open') {
        stack.push(openBlock(cur, top, loc, diags));
        cur = undefined;
      } else {
        if (stack.length === 1) diags.error('ERR_CONFIG_EXTRA_BRACE', "Extra '}' found", loc);
        else stack.pop();
        cur = undefined;
      }
    }
  }

  /** Reports blocks left open at end of input and returns the tree. */
  finish(): ConfigNode[] {
    const { stack } = this;
    for (let k = stack.length - 1; k >= 1; k--) {
      const owner = (stack[k] as Frame).owner;
      const what = owner ? `block '${owner.keyword}${owner.args.length ? ` ${owner.args.join(' ')}` : ''}'` : 'block';
      this.diags.error('ERR_CONFIG_MISSING_BRACE', `Missing '}' at end of configuration: ${what} opened here is never closed`, owner?.loc);
    }
    stack.length = 1;
    return this.root;
  }
}

/** Builds the block tree from an array of logical lines. */
export function buildTree(lines: readonly SourceLine[], diags: Diagnostics): ConfigNode[] {
  const b = new TreeBuilder(diags);
  for (const l of lines) b.line(l);
  return b.finish();
}

/** `{` belongs to the keyword line it ends, else to the previous keyword line if that has no block yet. */
function openBlock(cur: ConfigNode | undefined, top: Frame, loc: Loc, diags: Diagnostics): Frame {
  const target = cur ?? lastWithoutBlock(top.list);
  if (!target) {
    diags.error('ERR_CONFIG_UNEXPECTED_BRACE', "'{' without a keyword before it; block ignored", loc);
    return { list: [] }; // parse the contents into a throwaway list so braces stay balanced
  }
  target.block = [];
  return { list: target.block, owner: target };
}

function lastWithoutBlock(list: ConfigNode[]): ConfigNode | undefined {
  const last = list[list.length - 1];
  return last && last.block === undefined ? last : undefined;
}
