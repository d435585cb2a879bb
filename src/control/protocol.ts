/**
 * The control socket's protocol (ours), version 1: one JSON object per line each way.
 *
 *   request  {"v":1,"id":7,"cmd":"status","target":"VI_1"}
 *            {"v":1,"cmd":"standby","target":"VG_1","force":true}
 *   response {"v":1,"id":7,"ok":true,"result":{...}}
 *            {"v":1,"id":7,"ok":false,"error":{"code":"ERR_CONTROL_UNKNOWN_TARGET","message":"..."}}
 *
 * `cmd` is status | standby | resume | reload | dump; `target` names a vrrp_instance or a
 * vrrp_sync_group (required for standby/resume, optional for status); `force` only for
 * standby; `id` (number or string) is echoed. Pure: parsing never throws, whatever the input.
 */

export const PROTOCOL_VERSION = 1;
/** A request line longer than this is refused (and the connection closed). */
export const MAX_REQUEST_BYTES = 64 * 1024;

export const COMMANDS = ['status', 'standby', 'resume', 'reload', 'dump'] as const;
export type Command = (typeof COMMANDS)[number];

export interface Request {
  v: number;
  id?: number | string;
  cmd: Command;
  target?: string;
  force?: boolean;
}

export type ErrorCode =
  | 'ERR_CONTROL_BAD_JSON'
  | 'ERR_CONTROL_BAD_REQUEST'
  | 'ERR_CONTROL_VERSION'
  | 'ERR_CONTROL_UNKNOWN_COMMAND'
  | 'ERR_CONTROL_TOO_LONG'
  | 'ERR_CONTROL_UNKNOWN_TARGET'
  | 'ERR_CONTROL_NO_PEER'
  | 'ERR_CONTROL_NO_TAKER'
  | 'ERR_CONTROL_CONFIG_INVALID'
  | 'ERR_CONTROL_NOT_RUNNING'
  | 'ERR_CONTROL_INTERNAL';

export interface ControlError {
  code: ErrorCode;
  message: string;
  /** Extra detail, e.g. a refused reload's diagnostics. */
  details?: unknown;
}

export type Response =
  | { v: number; id?: number | string; ok: true; result: unknown }
  | { v: number; id?: number | string; ok: false; error: ControlError };

export type ParseResult = { ok: true; request: Request } | { ok: false; id?: number | string; error: ControlError };

const err = (code: ErrorCode, message: string, id?: number | string): ParseResult => (id === undefined ? { ok: false, error: { code, message } } : { ok: false, id, error: { code, message } });

const TARGET_RE = /^[\x21-\x7e]{1,255}$/;

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** One request line (without its newline) → a validated request or an error to send back. */
export function parseRequest(line: string): ParseResult {
  if (line.length > MAX_REQUEST_BYTES) return err('ERR_CONTROL_TOO_LONG', `request longer than ${MAX_REQUEST_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch (e) {
    return err('ERR_CONTROL_BAD_JSON', `request is not JSON: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) return err('ERR_CONTROL_BAD_REQUEST', 'request must be a JSON object');
  const rawId = doc.id;
  const id = (typeof rawId === 'number' && Number.isFinite(rawId)) || (typeof rawId === 'string' && rawId.length <= 64) ? rawId : undefined;
  if (rawId !== undefined && id === undefined) return err('ERR_CONTROL_BAD_REQUEST', '"id" must be a number or a string of up to 64 characters');
  if (doc.v !== PROTOCOL_VERSION) return err('ERR_CONTROL_VERSION', `unsupported protocol version ${JSON.stringify(doc.v) ?? 'undefined'} (this daemon speaks ${PROTOCOL_VERSION})`, id);
  if (typeof doc.cmd !== 'string' || !(COMMANDS as readonly string[]).includes(doc.cmd)) {
    return err('ERR_CONTROL_UNKNOWN_COMMAND', `unknown command ${JSON.stringify(doc.cmd) ?? 'undefined'} (one of ${COMMANDS.join(', ')})`, id);
  }
  const cmd = doc.cmd as Command;
  for (const k of Object.keys(doc)) {
    if (!['v', 'id', 'cmd', 'target', 'force'].includes(k)) return err('ERR_CONTROL_BAD_REQUEST', `unknown field "${k}"`, id);
  }
  const req: Request = { v: PROTOCOL_VERSION, cmd };
  if (id !== undefined) req.id = id;
  if (doc.target !== undefined) {
    if (typeof doc.target !== 'string' || !TARGET_RE.test(doc.target)) return err('ERR_CONTROL_BAD_REQUEST', '"target" must be an instance or sync group name', id);
    if (cmd === 'reload' || cmd === 'dump') return err('ERR_CONTROL_BAD_REQUEST', `"${cmd}" takes no target`, id);
    req.target = doc.target;
  } else if (cmd === 'standby' || cmd === 'resume') {
    return err('ERR_CONTROL_BAD_REQUEST', `"${cmd}" needs a target (an instance or a sync group)`, id);
  }
  if (doc.force !== undefined) {
    if (typeof doc.force !== 'boolean') return err('ERR_CONTROL_BAD_REQUEST', '"force" must be true or false', id);
    if (cmd !== 'standby') return err('ERR_CONTROL_BAD_REQUEST', '"force" only applies to standby', id);
    req.force = doc.force;
  }
  return { ok: true, request: req };
}

export function encodeRequest(r: Omit<Request, 'v'>): string {
  return `${JSON.stringify({ v: PROTOCOL_VERSION, ...r })}\n`;
}

export function okResponse(id: number | string | undefined, result: unknown): string {
  return `${JSON.stringify(id === undefined ? { v: PROTOCOL_VERSION, ok: true, result } : { v: PROTOCOL_VERSION, id, ok: true, result })}\n`;
}

export function errorResponse(id: number | string | undefined, error: ControlError): string {
  return `${JSON.stringify(id === undefined ? { v: PROTOCOL_VERSION, ok: false, error } : { v: PROTOCOL_VERSION, id, ok: false, error })}\n`;
}

/** A response line → the response, or undefined when it is not one. */
export function parseResponse(line: string): Response | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(doc) || typeof doc.ok !== 'boolean' || typeof doc.v !== 'number') return undefined;
  if (doc.ok) return doc as Response;
  const e = doc.error;
  if (!isRecord(e) || typeof e.code !== 'string' || typeof e.message !== 'string') return undefined;
  return doc as Response;
}

/**
 * Splits a byte stream into lines: feed chunks, get complete lines; `overflow` once the
 * pending (unterminated) part exceeds MAX_REQUEST_BYTES.
 */
export class LineSplitter {
  private pending = '';
  overflow = false;
  push(chunk: string): string[] {
    this.pending += chunk;
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    if (this.pending.length > MAX_REQUEST_BYTES) this.overflow = true;
    return parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l)).filter((l) => l.trim() !== '');
  }
}
