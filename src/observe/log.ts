/**
 * Logging in keepalived's words. Text lines go to stderr (-l), a log file (-g) and syslog
 * (unless -G); `--log-json` switches the console stream to pino JSON with per-instance
 * bindings. Message text is decided by callers (src/vrrp/messages.ts etc.) so operators'
 * greps keep matching; this module only routes and formats.
 */
import fs from 'node:fs';
import type pino from 'pino';
import { openAppendSafe, PRIVATE_FILE_MODE } from './safe-file';

export type Level = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(text: string): void;
  warn(text: string): void;
  info(text: string): void;
  /** Printed only with -D (keepalived's "detailed" lines). */
  debug(text: string): void;
  child(bindings: Record<string, unknown>): Logger;
  readonly detail: boolean;
  /** net_namespace NAME: every syslog ident from now on ends in `_NAME` (Keepalived_vrrp_NAME). */
  setIdentSuffix?(suffix: string): void;
}

export interface LogOptions {
  console: boolean;
  detail: boolean;
  json: boolean;
  syslog: boolean;
  facility?: string;
  file?: string;
  ident?: string;
  /** For tests: where console text goes. */
  write?: (line: string) => void;
  /** For tests: what syslog(3) gets (priority, ident, text); default the addon's. */
  syslogFn?: (priority: number, ident: string, text: string) => void;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number): string => String(n).padStart(2, '0');

/** strftime("%c") in the C locale, as keepalived prefixes console lines: "Wed Feb 21 21:57:11 2024". */
export function consoleStamp(d: Date): string {
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

/** keepalived's -g format: "%a %b %d %T.<ns> %Y". */
export function fileStamp(d: Date): string {
  const ns = String(d.getMilliseconds() * 1_000_000).padStart(9, '0');
  return `${DAYS[d.getDay()]} ${MONTHS[d.getMonth()]} ${p2(d.getDate())} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())}.${ns} ${d.getFullYear()}`;
}

const SYSLOG_PRIORITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };
const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

/** -S accepts 0-7 (local0..local7) or a name, as keepalived does. */
export function facilityCode(f: string | undefined): number {
  if (f === undefined) return FACILITIES.daemon as number;
  if (/^[0-7]$/.test(f)) return 16 + Number(f);
  return FACILITIES[f] ?? (FACILITIES.daemon as number);
}

type SyslogFn = (priority: number, ident: string, text: string) => void;

function loadSyslog(): SyslogFn | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const mod = require('../net/syslog') as { syslog?: SyslogFn };
    return mod.syslog;
  } catch {
    return undefined;
  }
}

/** The -g log file: appended, never through a link, only if it is our regular file (safe-file.ts). */
function openLogFile(file: string): number | undefined {
  try {
    return openAppendSafe(file, PRIVATE_FILE_MODE);
  } catch (e) {
    process.stderr.write(`Unable to open log file ${file}: ${(e as Error).message}\n`);
    return undefined;
  }
}

class Sink {
  private fileFd: number | undefined;
  private readonly pino: pino.Logger | undefined;
  private readonly syslogFn: SyslogFn | undefined;
  private readonly facility: number;
  identSuffix = '';
  constructor(readonly opts: LogOptions) {
    if (opts.file) this.fileFd = openLogFile(opts.file);
    // pino (28 modules) only for --log-json: loading it cost ~70 ms of every start-up.
    if (opts.json && opts.console) {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const p = require('pino') as typeof pino;
      this.pino = p({ base: { ident: opts.ident ?? 'Keepalived' } }, p.destination(2));
    }
    this.syslogFn = opts.syslog ? (opts.syslogFn ?? loadSyslog()) : undefined;
    this.facility = facilityCode(opts.facility);
  }
  emit(level: Level, text: string, bindings: Record<string, unknown>): void {
    const now = new Date();
    if (this.opts.console) {
      if (this.pino) this.pino.child(bindings)[level](text);
      else {
        const line = `${consoleStamp(now)}: ${text}\n`;
        if (this.opts.write) this.opts.write(line);
        else process.stderr.write(line);
      }
    }
    if (this.fileFd !== undefined) fs.writeSync(this.fileFd, `${fileStamp(now)}: ${text}\n`);
    // A line's `ident` binding (the parent's lines: Keepalived, checkers: Keepalived_healthcheckers) wins over the logger's.
    if (this.syslogFn) this.syslogFn(this.facility * 8 + SYSLOG_PRIORITY[level], `${(bindings.ident as string | undefined) ?? this.opts.ident ?? 'Keepalived'}${this.identSuffix}`, text);
  }
}

class SinkLogger implements Logger {
  constructor(private readonly sink: Sink, private readonly bindings: Record<string, unknown>) {}
  get detail(): boolean {
    return this.sink.opts.detail;
  }
  error(text: string): void {
    this.sink.emit('error', text, this.bindings);
  }
  warn(text: string): void {
    this.sink.emit('warn', text, this.bindings);
  }
  info(text: string): void {
    this.sink.emit('info', text, this.bindings);
  }
  debug(text: string): void {
    if (this.sink.opts.detail) this.sink.emit('debug', text, this.bindings);
  }
  child(bindings: Record<string, unknown>): Logger {
    return new SinkLogger(this.sink, { ...this.bindings, ...bindings });
  }
  setIdentSuffix(suffix: string): void {
    this.sink.identSuffix = suffix;
  }
}

export function createLogger(opts: LogOptions): Logger {
  return new SinkLogger(new Sink(opts), {});
}

/** Collects lines in memory: for unit tests of modules that log. */
export class MemoryLogger implements Logger {
  readonly lines: Array<{ level: Level; text: string }> = [];
  constructor(readonly detail = true) {}
  error(text: string): void {
    this.lines.push({ level: 'error', text });
  }
  warn(text: string): void {
    this.lines.push({ level: 'warn', text });
  }
  info(text: string): void {
    this.lines.push({ level: 'info', text });
  }
  debug(text: string): void {
    if (this.detail) this.lines.push({ level: 'debug', text });
  }
  child(): Logger {
    return this;
  }
  has(re: RegExp | string): boolean {
    return this.lines.some((l) => (typeof re === 'string' ? l.text.includes(re) : re.test(l.text)));
  }
}
