import type { Loc } from './ast';

/**
 * Ranked the way `keepalived -t` ranks them: fatal = cannot run (exit 3), error = would run
 * after fixing up (exit 4), warning/deprecated = reported only.
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
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : '';
  const hint = d.suggestion ? ` (did you mean \`${d.suggestion}\`?)` : '';
  return `${where}${d.severity}: ${d.message}${hint}`;
}

export class Diagnostics {
  readonly items: Diagnostic[] = [];
  add(d: Diagnostic): void {
    this.items.push(d);
  }
  fatal(code: string, message: string, loc?: Loc): void {
    this.add({ severity: 'fatal', code, message, loc });
  }
  error(code: string, message: string, loc?: Loc, suggestion?: string): void {
    this.add({ severity: 'error', code, message, loc, suggestion });
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
