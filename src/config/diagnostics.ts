import type { Loc } from './ast';

/**
 * Ranked the way `keepalived -t` ranks them: fatal = cannot run, error = would run
 * after fixing up, warning/deprecated = reported only (exit codes: cli/exit-status.ts).
 */
export type Severity = 'fatal' | 'error' | 'warning' | 'deprecated';

export interface Diagnostic {
  severity: Severity;
  /** Stable code, e.g. ERR_CONFIG_UNKNOWN_KEYWORD; decide on codes, never on message text. */
  code: string;
  message: string;
  loc?: Loc;
  /** Nearest valid keyword for a misspelling. */
  suggestion?: string;
  /**
   * An error keepalived reports (so `-t` counts it) about a configuration it then uses exactly as
   * written, e.g. a sync group of one instance: nothing was fixed up, so a reload may take it.
   */
  asWritten?: true;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : '';
  const hint = d.suggestion ? ` (did you mean \`${d.suggestion}\`?)` : '';
  return `${where}${d.severity}: ${d.message}${hint}`;
}

/** At most this many diagnostics are kept; a config bomb must not turn into a diagnostics bomb. */
export const MAX_DIAGNOSTICS = 1000;
/** The errors that name a limit are always shown. */
const ALWAYS_KEPT = new Set(['ERR_CONFIG_TOO_LARGE', 'ERR_CONFIG_MACRO_LOOP', 'ERR_CONFIG_INCLUDE_LOOP']);
const RANK: Record<Severity, number> = { deprecated: 0, warning: 1, error: 2, fatal: 3 };

export class Diagnostics {
  readonly items: Diagnostic[] = [];
  /** How many were not kept (counted in the last item's message). */
  suppressed = 0;
  private note: Diagnostic | undefined;
  add(d: Diagnostic): void {
    if (this.items.length < MAX_DIAGNOSTICS || ALWAYS_KEPT.has(d.code)) {
      this.items.push(d);
      return;
    }
    // One closing item carries the count and the worst severity dropped, so exit codes and
    // hasFatal()/hasError() stay true to what was found.
    this.suppressed++;
    if (!this.note) {
      this.note = { severity: d.severity, code: 'ERR_CONFIG_TOO_MANY_DIAGNOSTICS', message: '' };
      this.items.push(this.note);
    }
    if (RANK[d.severity] > RANK[this.note.severity]) this.note.severity = d.severity;
    this.note.message = `${this.suppressed} more diagnostics not shown (the limit is ${MAX_DIAGNOSTICS})`;
  }
  fatal(code: string, message: string, loc?: Loc): void {
    this.add({ severity: 'fatal', code, message, loc });
  }
  error(code: string, message: string, loc?: Loc, suggestion?: string): void {
    this.add({ severity: 'error', code, message, loc, suggestion });
  }
  /** An error about a configuration that is used as written (see Diagnostic.asWritten). */
  advise(code: string, message: string, loc?: Loc): void {
    this.add({ severity: 'error', code, message, loc, asWritten: true });
  }
  warn(code: string, message: string, loc?: Loc, suggestion?: string): void {
    this.add({ severity: 'warning', code, message, loc, suggestion });
  }
  deprecated(code: string, message: string, loc?: Loc, suggestion?: string): void {
    this.add({ severity: 'deprecated', code, message, loc, suggestion });
  }
  hasFatal(): boolean {
    return this.items.some((d) => d.severity === 'fatal');
  }
  hasError(): boolean {
    return this.items.some((d) => d.severity === 'error' || d.severity === 'fatal');
  }
}
