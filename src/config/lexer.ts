/**
 * Splits one logical config line (comments already removed by preprocess) into words and
 * `{`/`}` tokens, following keepalived.conf(5) "Quoted strings":
 *  - words are separated by unquoted blanks; "..." and '...' keep blanks, and adjacent quoted
 *    and unquoted text joins into one word (`abcd" efg "h` is one word);
 *  - backslash escapes are shell-like (\a \b \E \f \n \r \t \v \nnn \xXX \cC, \C = C) outside
 *    single quotes; inside single quotes everything is literal, as in the shell;
 *  - unquoted `{` and `}` are tokens of their own even without blanks around them, so
 *    `vrrp_instance X { state MASTER }` is legal. An undefined `${NAME}` left by macro
 *    substitution stays one word rather than being torn into braces.
 * Pure: no I/O.
 */

export type TokenKind = 'word' | 'open' | 'close';

export interface Token {
  kind: TokenKind;
  text: string;
  /** Index in the line text of the token's first character. */
  index: number;
}

export interface LexResult {
  tokens: Token[];
  /** Index of an opening quote left unterminated at end of line, if any. */
  unterminatedQuoteAt?: number;
}

export interface LexOptions {
  /** false for include lines, whose csh brace expressions `{a,b}` belong to the file name. */
  splitBraces?: boolean;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\x07',
  b: '\b',
  E: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
};

const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\v' || c === '\f';
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const isHex = (c: string | undefined): boolean => c !== undefined && /[0-9a-fA-F]/.test(c);

/** Decodes the escape whose backslash is at `i`; returns the text and the index after it. */
export function decodeEscape(s: string, i: number): { text: string; next: number } {
  const c = s[i + 1];
  if (c === undefined) return { text: '\\', next: i + 1 }; // lone trailing backslash stays literal
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { text: simple, next: i + 2 };
  if (isOctal(c)) {
    let j = i + 1;
    let v = 0;
    while (j < s.length && j < i + 4 && isOctal(s[j])) v = v * 8 + Number(s[j++]);
    return { text: String.fromCharCode(v & 0xff), next: j };
  }
  if (c === 'x' && isHex(s[i + 2])) {
    let j = i + 2;
    let v = 0;
    while (j < s.length && j < i + 4 && isHex(s[j])) v = v * 16 + parseInt(s[j++] as string, 16);
    return { text: String.fromCharCode(v), next: j };
  }
  if (c === 'c' && s[i + 2] !== undefined) {
    return { text: String.fromCharCode((s.charCodeAt(i + 2) & 0x1f) >>> 0), next: i + 3 };
  }
  return { text: c, next: i + 2 };
}

/** Char codes that end a run of plain word characters. */
function isSpecial(c: number): boolean {
  return c <= 32 || c === 34 /* " */ || c === 39 /* ' */ || c === 92 /* \ */ || c === 123 /* { */ || c === 125 /* } */;
}

/** Tokenizes one line. Never throws. */
export function lexLine(s: string, opts: LexOptions = {}): LexResult {
  const splitBraces = opts.splitBraces !== false;
  const tokens: Token[] = [];
  let cur = '';
  let start = -1; // index of the current word's first char, -1 when not in a word
  let macroDepth = 0; // inside an unexpanded ${...}
  const flush = (): void => {
    if (start >= 0) tokens.push({ kind: 'word', text: cur, index: start });
    cur = '';
    start = -1;
    macroDepth = 0;
  };
  const n = s.length;
  let i = 0;
  while (i < n) {
    const code = s.charCodeAt(i);
    if (!isSpecial(code)) {
      // Fast path: copy a run of ordinary characters with one slice.
      let j = i + 1;
      while (j < n && !isSpecial(s.charCodeAt(j))) j++;
      if (start < 0) start = i;
      cur += s.slice(i, j);
      i = j;
      continue;
    }
    if (isBlank(s[i] as string) || code < 32) {
      flush();
      i++;
      continue;
    }
    if (start < 0) start = i;
    if (code === 34 || code === 39) {
      const q = s[i] as string;
      const r = readQuoted(s, i + 1, q);
      cur += r.text;
      if (r.next < 0) {
        flush();
        return { tokens, unterminatedQuoteAt: i };
      }
      i = r.next;
    } else if (code === 92) {
      const e = decodeEscape(s, i);
      cur += e.text;
      i = e.next;
    } else if (code === 123 && splitBraces && !(s[i - 1] === '$' && cur.endsWith('$'))) {
      if (cur.length > 0) flush();
      else start = -1;
      tokens.push({ kind: 'open', text: '{', index: i });
      i++;
    } else if (code === 125 && splitBraces && macroDepth === 0) {
      if (cur.length > 0) flush();
      else start = -1;
      tokens.push({ kind: 'close', text: '}', index: i });
      i++;
    } else {
      if (code === 123) macroDepth++;
      else if (code === 125) macroDepth--;
      cur += s[i];
      i++;
    }
  }
  flush();
  return { tokens };
}

/** Body of a quoted string starting after its opening quote; next = index after the closing quote, -1 if none. */
function readQuoted(s: string, from: number, q: string): { text: string; next: number } {
  let text = '';
  let i = from;
  for (;;) {
    const close = s.indexOf(q, i);
    const bs = q === '"' ? s.indexOf('\\', i) : -1;
    if (bs >= 0 && (close < 0 || bs < close)) {
      const e = decodeEscape(s, bs);
      text += s.slice(i, bs) + e.text;
      i = e.next;
      continue;
    }
    if (close < 0) return { text: text + s.slice(i), next: -1 };
    return { text: text + s.slice(i, close), next: close + 1 };
  }
}

/**
 * Index where a `#` or `!` comment starts, or s.length. Only double quotes protect comment
 * characters (keepalived's decomment); `\#` and `\!` are escapes, resolved later by lexLine.
 */
export function commentStart(s: string): number {
  let inQuote = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 /* \ */) {
      i++;
    } else if (c === 34 /* " */) {
      inQuote = !inQuote;
    } else if (!inQuote && (c === 35 /* # */ || c === 33 /* ! */)) {
      return i;
    }
  }
  return s.length;
}
