/**
 * HTTP_GET and SSL_GET. A small HTTP/1.x client of our own over node:net/node:tls, because
 * the checks need control node:http does not give: the exact request line per
 * `http_protocol` (1.0, 1.0C = 1.0 + Connection: close, 1.1), the raw body for the MD5
 * `digest`, and per-URL status ranges. Each `url` is fetched on its own connection, in
 * order; the check succeeds only if every URL passes.
 */
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type net from 'node:net';
import { fail, ok, type Probe, type ProbeResult } from '../result';
import { connectTcp, type ConnectOptions } from './tcp';
import { deadline } from './deadline';

export type StatusRange = readonly [number, number];

export interface HttpUrl {
  path: string;
  /** Accepted status codes as inclusive ranges; default 200-299. */
  statusCodes?: readonly StatusRange[];
  /** Expected MD5 of the body, 32 hex digits. */
  digest?: string;
  regex?: string;
  /** With regex: the check fails when the regex DOES match. */
  regexNoMatch?: boolean;
  virtualhost?: string;
}

export interface TlsOptions {
  /** Send SNI (enable_sni); the name is sniName ?? virtualhost ?? nothing. */
  enableSni?: boolean;
  sniName?: string;
  /** PEM contents from the global SSL block. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  passphrase?: string;
  /** Verify the server certificate chain; default: only when a CA is given. */
  verify?: boolean;
}

export interface HttpOptions extends ConnectOptions {
  urls: readonly HttpUrl[];
  virtualhost?: string;
  protocol?: '1.0' | '1.0C' | '1.1';
  /** Present for SSL_GET. */
  tls?: TlsOptions;
  /** Cap on a response we are willing to buffer. */
  maxResponseBytes?: number;
}

export const DEFAULT_STATUS: readonly StatusRange[] = [[200, 299]];

export function buildRequest(path: string, host: string, protocol: '1.0' | '1.0C' | '1.1'): string {
  const version = protocol === '1.1' ? '1.1' : '1.0';
  const close = protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${path} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\nHost: ${host}\r\n${close}\r\n`;
}

export interface ParsedResponse {
  status: number;
  body: Buffer;
}

/** Parse a complete response (read to EOF); handles Content-Length and chunked bodies. */
export function parseResponse(raw: Buffer): ParsedResponse | { error: string } {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return { error: 'incomplete header' };
  const head = raw.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/\d\.\d (\d{3})/.exec(head[0] ?? '');
  if (!m) return { error: `bad status line "${(head[0] ?? '').slice(0, 60)}"` };
  let body = raw.subarray(end + 4);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  if ((headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked')) {
    const d = dechunk(body);
    if (!d) return { error: 'bad chunked body' };
    body = d;
  } else if (headers.has('content-length')) {
    const n = Number(headers.get('content-length'));
    if (!Number.isInteger(n) || n < 0 || body.length < n) return { error: 'body shorter than Content-Length' };
    body = body.subarray(0, n);
  }
  return { status: Number(m[1]), body };
}

function dechunk(b: Buffer): Buffer | undefined {
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const eol = b.indexOf('\r\n', pos);
    if (eol < 0) return undefined;
    const size = parseInt(b.subarray(pos, eol).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size)) return undefined;
    if (size === 0) return Buffer.concat(parts);
    if (eol + 2 + size > b.length) return undefined;
    parts.push(b.subarray(eol + 2, eol + 2 + size));
    pos = eol + 2 + size + 2;
  }
}

export function statusAccepted(status: number, ranges: readonly StatusRange[]): boolean {
  return ranges.some(([lo, hi]) => status >= lo && status <= hi);
}

/** Judge one parsed response against its url block. */
export function judgeResponse(u: HttpUrl, r: ParsedResponse): ProbeResult {
  const ranges = u.statusCodes && u.statusCodes.length > 0 ? u.statusCodes : DEFAULT_STATUS;
  if (!statusAccepted(r.status, ranges)) return { ...fail('http_status', `status_code [${r.status}]`), url: u.path };
  if (u.digest !== undefined) {
    const md5 = createHash('md5').update(r.body).digest('hex');
    if (md5 !== u.digest.toLowerCase()) return { ...fail('digest', `MD5SUM [${md5}]`), url: u.path };
  }
  if (u.regex !== undefined) {
    const matched = new RegExp(u.regex).test(r.body.toString('utf8'));
    if (matched === Boolean(u.regexNoMatch)) {
      return { ...fail('regex', u.regexNoMatch ? 'regex matched' : 'regex did not match'), url: u.path };
    }
  }
  return { ...ok(`status_code [${r.status}]`), url: u.path };
}

function hostHeader(o: HttpOptions, u: HttpUrl): string {
  const vh = u.virtualhost ?? o.virtualhost;
  if (vh !== undefined) return vh;
  const h = o.host.includes(':') ? `[${o.host}]` : o.host;
  const std = o.tls ? 443 : 80;
  return o.port === std ? h : `${h}:${o.port}`;
}

function startTls(sock: net.Socket, o: HttpOptions, u: HttpUrl, signal: AbortSignal): Promise<tls.TLSSocket | ProbeResult> {
  const t = o.tls ?? {};
  const opts: tls.ConnectionOptions = { socket: sock, rejectUnauthorized: t.verify ?? t.ca !== undefined };
  const sni = t.sniName ?? u.virtualhost ?? o.virtualhost;
  if (t.enableSni && sni !== undefined) opts.servername = sni;
  if (t.ca !== undefined) opts.ca = t.ca;
  if (t.cert !== undefined) opts.cert = t.cert;
  if (t.key !== undefined) opts.key = t.key;
  if (t.passphrase !== undefined) opts.passphrase = t.passphrase;
  // Without verification and without SNI, node would still check the hostname: skip it.
  if (!opts.rejectUnauthorized) opts.checkServerIdentity = () => undefined;
  return new Promise((resolve) => {
    const s = tls.connect(opts);
    const timer = deadline(o.connectTimeoutMs, () => done(fail('timeout', 'TLS handshake timeout')));
    const onAbort = (): void => done(fail('timeout', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    function done(r: tls.TLSSocket | ProbeResult): void {
      if (settled) return;
      settled = true;
      timer.clear();
      signal.removeEventListener('abort', onAbort);
      if (!(r instanceof tls.TLSSocket)) s.destroy();
      resolve(r);
    }
    s.once('secureConnect', () => done(s));
    s.on('error', (e: NodeJS.ErrnoException) => done(fail('tls', e.code ?? e.message)));
  });
}

/** Bytes of the whole response when the header is complete and has Content-Length. */
function responseLength(raw: Buffer): number | 'chunked' | undefined {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = raw.subarray(0, end).toString('latin1');
  if (/^transfer-encoding:.*chunked/im.test(head)) return 'chunked';
  const m = /^content-length:\s*(\d+)\s*$/im.exec(head);
  return m ? end + 4 + Number(m[1]) : undefined;
}

/** A response header (status line and fields) larger than this fails the check. */
export const MAX_HEADER_BYTES = 64 * 1024;

/**
 * Send the request and read to EOF (or the end of a delimited body). One hard deadline of
 * connect_timeout covers the whole exchange (data arriving does not extend it: a server that
 * trickles bytes fails in time); memory is bounded by maxResponseBytes and MAX_HEADER_BYTES;
 * each byte is scanned once for the end of the header and chunks are joined once, at the end.
 */
function exchange(sock: net.Socket, request: string, o: HttpOptions, signal: AbortSignal): Promise<Buffer | ProbeResult> {
  const max = o.maxResponseBytes ?? 16 << 20;
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const done = (r: Buffer | ProbeResult): void => {
      if (settled) return;
      settled = true;
      limit.clear();
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
      resolve(r);
    };
    const onAbort = (): void => done(fail('timeout', 'aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    const limit = deadline(o.connectTimeoutMs, () => done(fail('timeout', 'read timeout')));
    let expected: number | undefined; // total bytes once the header told us (Content-Length)
    let chunked = false;
    let headerDone = false;
    let carry = Buffer.alloc(0); // the last 3 bytes while looking for the header's end ("\r\n\r\n" may straddle reads)
    let tail = Buffer.alloc(0); // the last bytes received (for the chunked terminator across reads)
    sock.on('data', (d: Buffer) => {
      size += d.length;
      if (size > max) return done(fail('protocol', `response larger than ${max} bytes`));
      chunks.push(d);
      // Stop at the end of the response even if the server keeps the connection open.
      if (!headerDone) {
        const win = Buffer.concat([carry, d]);
        const at = win.indexOf('\r\n\r\n');
        if (at < 0) {
          if (size > MAX_HEADER_BYTES) return done(fail('protocol', `response header larger than ${MAX_HEADER_BYTES} bytes`));
          carry = win.subarray(-3);
          return;
        }
        headerDone = true;
        const end = size - d.length - carry.length + at + 4; // stream offset just past the header
        const info = responseLength(Buffer.concat(chunks, size).subarray(0, end));
        if (info === 'chunked') chunked = true;
        else if (info !== undefined) expected = info;
      }
      if (expected !== undefined && size >= expected) return done(Buffer.concat(chunks, size));
      if (chunked) {
        tail = Buffer.concat([tail, d.subarray(-5)]).subarray(-5);
        if (tail.toString('latin1') === '0\r\n\r\n') done(Buffer.concat(chunks, size));
      }
    });
    sock.on('end', () => done(Buffer.concat(chunks, size)));
    sock.on('close', () => done(Buffer.concat(chunks, size)));
    sock.on('error', (e: NodeJS.ErrnoException) => done(fail(o.tls ? 'tls' : 'connect_error', e.code ?? e.message)));
    sock.write(request);
  });
}

async function fetchOne(o: HttpOptions, u: HttpUrl, signal: AbortSignal): Promise<ProbeResult> {
  const c = await connectTcp(o, signal);
  if (!c.ok) return { ...c.result, url: u.path };
  c.socket.on('error', () => undefined);
  let sock: net.Socket = c.socket;
  if (o.tls) {
    const s = await startTls(c.socket, o, u, signal);
    if (!(s instanceof tls.TLSSocket)) {
      c.socket.destroy();
      return { ...s, url: u.path };
    }
    sock = s;
  }
  const raw = await exchange(sock, buildRequest(u.path, hostHeader(o, u), o.protocol ?? '1.0'), o, signal);
  c.socket.destroy();
  if (!Buffer.isBuffer(raw)) return { ...raw, url: u.path };
  const parsed = parseResponse(raw);
  if ('error' in parsed) return { ...fail('protocol', parsed.error), url: u.path };
  return judgeResponse(u, parsed);
}

export function httpProbe(o: HttpOptions): Probe {
  return async (signal) => {
    let last: ProbeResult = fail('protocol', 'no url configured');
    for (const u of o.urls) {
      last = await fetchOne(o, u, signal);
      if (!last.ok) return last;
    }
    return last;
  };
}
