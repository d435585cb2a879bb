/**
 * track_file content → integer. keepalived reads the number at the start of the file the
 * way strtol does: leading blanks skipped, optional sign, decimal digits; anything else
 * (empty file, text) reads as 0. Values are kept inside a signed 32-bit range so that
 * value × weight cannot overflow into nonsense.
 */
export interface FileValue {
  value: number;
  /** False when no number could be read (the value is then 0). */
  valid: boolean;
}

const INT32_MAX = 2147483647;
const INT32_MIN = -2147483648;

export function parseTrackFileValue(content: string): FileValue {
  const m = /^[ \t\r\n\f\v]*([+-]?\d+)/.exec(content);
  if (!m || m[1] === undefined) return { value: 0, valid: false };
  const n = Number(m[1]);
  if (!Number.isFinite(n)) return { value: 0, valid: false };
  return { value: Math.min(INT32_MAX, Math.max(INT32_MIN, n)), valid: true };
}
