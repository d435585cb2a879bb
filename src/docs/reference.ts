/**
 * The reference generated from the grammar (config/keywords/* through keywords/walk): the
 * keepalived.conf(5) and keepalived(8) man pages, README's "Supported" keyword table and the
 * keyword summary of `--help`. Pure text builders; scripts/gen-docs.js writes the files at build
 * time, and test/unit/docs-reference checks that README matches and that the pages render.
 */
import { keywordEntries, type KeywordEntry } from '../config/keywords/walk';
import type { KwSpec } from '../config/keywords/types';

export interface KeywordDoc {
  /** Enclosing blocks, e.g. 'virtual_server > real_server > HTTP_GET' ('' at top level). */
  readonly block: string;
  readonly keyword: string;
  /** Arguments as written in a config, e.g. '<1..255>', '{ ... }', 'MASTER|BACKUP'. */
  readonly args: string;
  readonly default?: string;
  /** Undefined when supported; else why not. */
  readonly unsupported?: string;
  /** Values accepted but not implemented (value → reason). */
  readonly unsupportedValues: Readonly<Record<string, string>>;
  /** The module that reads it, when supported. */
  readonly use?: string;
  readonly deprecated?: string;
}

function range(s: KwSpec): string {
  const lo = s.min ?? '';
  const hi = s.max ?? '';
  return lo === '' && hi === '' ? '' : `${lo}..${hi}`;
}

/** Arguments of the blocks that take them (keepalived.conf(5) wording). */
const BLOCK_ARGS: Record<string, string> = {
  vrrp_instance: '<NAME> { ... }',
  vrrp_sync_group: '<NAME> { ... }',
  vrrp_script: '<NAME> { ... }',
  track_file: '<NAME> { ... }',
  vrrp_track_file: '<NAME> { ... }',
  vrrp_track_process: '<NAME> { ... }',
  virtual_server: '<IP> <PORT> | fwmark <INTEGER> | group <NAME> { ... }',
  real_server: '<IP> [<PORT>] { ... }',
  virtual_server_group: '<NAME> { <IP|IP-RANGE> [<PORT>] | fwmark <INTEGER> ... }',
};

function argsOf(s: KwSpec, keyword: string): string {
  if (BLOCK_ARGS[keyword] !== undefined && (s.kind === 'block' || s.kind === 'lines')) return BLOCK_ARGS[keyword] as string;
  switch (s.kind) {
    case 'int':
      return `<INTEGER${range(s) ? ` ${range(s)}` : ''}>${s.bareValue !== undefined ? ' (optional)' : ''}`;
    case 'num':
      return `<SECONDS${range(s) ? ` ${range(s)}` : ''}>`;
    case 'str':
      return s.enum ? s.enum.join('|') : '<STRING>';
    case 'bool':
      return '[on|off|true|false|yes|no]';
    case 'flag':
      return '';
    case 'words':
      return s.bareValue !== undefined ? '[<WORD>...]' : s.minArgs && s.minArgs > 1 ? `<WORD>... (at least ${s.minArgs})` : '<WORD>...';
    case 'script':
      return s.wholeLine ? '<"COMMAND [ARG]..."> (one word: quote a command with arguments)' : '<"COMMAND"> [USER [GROUP]]';
    case 'lines':
      return s.keepArgs ? '<NAME> { <LINE>... }' : '{ <LINE>... }';
    case 'block':
      return s.keepArgs ? '<NAME|ADDRESS...> { ... }' : '{ ... }';
    case 'ignore':
      return '[...]';
  }
}

function defaultOf(s: KwSpec): string | undefined {
  if (s.default !== undefined) return JSON.stringify(s.default).replace(/^"(.*)"$/, '$1');
  if (s.bareValue !== undefined && !Array.isArray(s.bareValue)) return `${String(s.bareValue)} when given without a value`;
  return undefined;
}

function docOf(e: KeywordEntry): KeywordDoc {
  const s = e.spec;
  return {
    block: e.path.join(' > '),
    keyword: e.keyword,
    args: argsOf(s, e.keyword),
    ...(defaultOf(s) !== undefined ? { default: defaultOf(s) } : {}),
    ...(s.unsupported !== undefined ? { unsupported: s.unsupported } : {}),
    unsupportedValues: s.unsupportedValues ?? {},
    ...(s.use !== undefined ? { use: s.use } : {}),
    ...(s.deprecated !== undefined ? { deprecated: s.deprecated } : {}),
  };
}

/** Every keyword, grouped by block in grammar order. */
export function keywordDocs(): KeywordDoc[] {
  return keywordEntries().map(docOf);
}

const blocksOf = (docs: readonly KeywordDoc[]): string[] => [...new Set(docs.map((d) => d.block))];

// ------------------------------------------------------------------ roff

/** Escapes text for roff: backslashes, and a leading dot or quote. */
function roff(text: string): string {
  return text.replace(/\\/g, '\\e').replace(/-/g, '\\-').replace(/^([.'])/, '\\&$1');
}

function header(name: string, section: number, title: string): string[] {
  return [
    `.\\" Generated from the keyword tables by scripts/gen-docs.js; do not edit.`,
    `.TH ${name.toUpperCase()} ${section} "" "tskeepalived" "${title}"`,
  ];
}

export function confManPage(docs: readonly KeywordDoc[] = keywordDocs()): string {
  const out = header('keepalived.conf', 5, 'File Formats');
  const total = docs.length;
  const unsupported = docs.filter((d) => d.unsupported !== undefined).length;
  out.push('.SH NAME', 'keepalived.conf \\- configuration file of tskeepalived, a drop\\-in reimplementation of keepalived');
  out.push('.SH DESCRIPTION');
  out.push(roff('The same configuration language as keepalived 2.2: blocks in braces, comments with # or !, include, @ID conditional lines, $MACRO definitions and ~SEQ/~LST expansion.'));
  out.push('.PP', roff(`This page lists every keyword tskeepalived accepts (${total}), in the block where it is written, with its arguments, range and default. ${total - unsupported} are implemented. ${unsupported} are accepted for compatibility with keepalived but not implemented: a configuration that uses one still passes \`keepalived -t\`, and both \`-t\` and the daemon print, once per keyword and with file:line:col, "warning: KEYWORD is accepted for compatibility but not implemented by tskeepalived (REASON)".`));
  out.push('.PP', roff('SECONDS arguments take decimals (microsecond resolution). Ranges are inclusive.'));
  for (const block of blocksOf(docs)) {
    out.push(`.SH "${block === '' ? 'TOP LEVEL' : roff(block).toUpperCase()}"`);
    for (const d of docs.filter((x) => x.block === block)) {
      out.push('.TP', `\\fB${roff(d.keyword)}\\fR ${roff(d.args)}`);
      const lines: string[] = [];
      if (d.unsupported !== undefined) lines.push(`Not implemented: ${d.unsupported}.`);
      else lines.push(`Supported (read by ${d.use}).`);
      for (const [v, why] of Object.entries(d.unsupportedValues)) lines.push(`The value ${v} is not implemented: ${why}.`);
      if (d.default !== undefined) lines.push(`Default: ${d.default}.`);
      if (d.deprecated !== undefined) lines.push(`Deprecated: use ${d.deprecated}.`);
      out.push(roff(lines.join(' ')));
    }
  }
  out.push('.SH SEE ALSO', '\\fBkeepalived\\fR(8)');
  return `${out.join('\n')}\n`;
}

/** keepalived(8): the options are the lines of `--help` (cli/args USAGE), so the two cannot differ. */
export function mainManPage(usage: string, docs: readonly KeywordDoc[] = keywordDocs()): string {
  const out = header('keepalived', 8, 'System Administration');
  out.push('.SH NAME', 'keepalived \\- tskeepalived, a drop\\-in reimplementation of keepalived (VRRP and LVS) on Node.js');
  out.push('.SH SYNOPSIS', '\\fBkeepalived\\fR [\\fIOPTION\\fR...]');
  out.push('.SH DESCRIPTION');
  out.push(roff('Reads keepalived.conf (see keepalived.conf(5)), runs VRRP instances (RFC 3768 v2, RFC 5798 v3) with their tracking scripts, notify hooks and sync groups, and keeps IPVS virtual servers and real-server health checks. Same flags, signals, files and log lines as keepalived 2.2.'));
  out.push('.SH OPTIONS', '.nf');
  for (const line of usage.split('\n').slice(1)) if (line.trim() !== '') out.push(roff(line));
  out.push('.fi');
  out.push('.SH CONFIGURATION', roff(helpKeywordSummary(docs).trim()));
  out.push('.SH SIGNALS', roff('TERM and INT stop (priority-0 adverts, VIPs released); HUP reloads; USR1 writes /tmp/keepalived.data; USR2 writes /tmp/keepalived.stats.'));
  out.push('.SH "EXIT STATUS"', roff('With -t (as the keepalived 2.2.7 binary): 0 no errors (also a missing include, or a missing configuration file, without -e); 4 the configuration file is missing, with -e; 5 configuration errors, or an interface that does not exist; 6 scripts configured without enable_script_security, or a missing include with -e. The daemon (as the keepalived 2.2.7 daemon): 2 when an interface does not exist, 6 when the configuration file is missing; it starts despite other errors, using keepalived\'s fallbacks.'));
  out.push('.SH SEE ALSO', '\\fBkeepalived.conf\\fR(5)');
  return `${out.join('\n')}\n`;
}

// ------------------------------------------------------------------ help and README

/** The keyword paragraph of `--help`. */
export function helpKeywordSummary(docs: readonly KeywordDoc[] = keywordDocs()): string {
  const unsupported = docs.filter((d) => d.unsupported !== undefined).length;
  return `Configuration: ${docs.length} keywords accepted, ${docs.length - unsupported} implemented; the other ${unsupported} are
accepted for compatibility and reported by -t and at start-up. Reference: man keepalived.conf\n`;
}

const cell = (s: string): string => s.replace(/\|/g, '\\|');

export const README_BEGIN = '<!-- BEGIN generated keyword table (scripts/gen-docs.js --readme) -->';
export const README_END = '<!-- END generated keyword table -->';

/** README's keyword table: per block, what is implemented and what is accepted only (with why). */
export function readmeKeywordTable(docs: readonly KeywordDoc[] = keywordDocs()): string {
  const rows = ['| block | implemented | accepted, not implemented (reason) |', '|---|---|---|'];
  for (const block of blocksOf(docs)) {
    const here = docs.filter((d) => d.block === block);
    const ok = here.filter((d) => d.unsupported === undefined);
    const byReason = new Map<string, string[]>();
    for (const d of here) {
      if (d.unsupported !== undefined) byReason.set(d.unsupported, [...(byReason.get(d.unsupported) ?? []), `\`${d.keyword}\``]);
      for (const [v, why] of Object.entries(d.unsupportedValues)) byReason.set(why, [...(byReason.get(why) ?? []), `\`${d.keyword} ${v}\``]);
    }
    const no = [...byReason].map(([why, kws]) => `${kws.join(', ')}: ${why}`).join('; ');
    rows.push(`| ${block === '' ? 'top level' : cell(block)} | ${ok.length} of ${here.length} | ${cell(no) || '—'} |`);
  }
  const total = docs.length;
  const unsupported = docs.filter((d) => d.unsupported !== undefined).length;
  return [README_BEGIN, '', `${total} keywords; ${total - unsupported} implemented, ${unsupported} accepted for compatibility only (\`-t\` and start-up warn, once per keyword, with file:line:col). Every keyword with its arguments, range and default: \`man -l dist/man/keepalived.conf.5\`.`, '', ...rows, '', README_END].join('\n');
}

/** README text with the generated section replaced (or undefined when the markers are missing). */
export function withReadmeTable(readme: string, table: string = readmeKeywordTable()): string | undefined {
  const a = readme.indexOf(README_BEGIN);
  const b = readme.indexOf(README_END);
  if (a < 0 || b < a) return undefined;
  return readme.slice(0, a) + table + readme.slice(b + README_END.length);
}
