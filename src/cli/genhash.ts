/**
 * `keepalived -T/--genhash`: fetch a URL and print the MD5 of the response body, the value an
 * HTTP_GET/SSL_GET `digest` line expects (genhash(1)). Measured against keepalived 2.2.7:
 *  - request `GET URL HTTP/1.0` with `User-Agent: KeepAliveClient` and `Host: VHOST` (or
 *    SERVER:PORT); `-P 1.1` adds `Connection: close` (so does `1.0c`);
 *  - the digest covers the raw bytes after the header's blank line, read until the server
 *    closes: a chunked body is hashed with its chunk framing, exactly as keepalived does;
 *  - TLS certificates are not verified; output goes to stdout, "Connection failed" included,
 *    and the exit status is 0 even then; missing -s/-p/-u prints the usage and exits 1.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export interface GenhashOptions {
  ssl: boolean;
  sni: boolean;
  server?: string;
  port?: number;
  url?: string;
  virtualhost?: string;
  verbose: boolean;
  help: boolean;
  fwmark?: number;
  protocol: '1.0' | '1.0c' | '1.1';
  timeoutMs: number;
}

export const GENHASH_USAGE = `Usage: keepalived --genhash COMMAND [OPTIONS]
Commands:
   -s server-address -p port -u url
   -S -s server-address -p port -u url
   -h

Options:
Either long or short options are allowed.
   --use-ssl         -S       Use SSL connection to remote server.
   --use-sni         -I       Use SNI during SSL handshake (uses virtualhost setting; see -V).
   --server          -s       Use the specified remote server address.
   --port            -p       Use the specified remote server port.
   --url             -u       Use the specified remote server url.
   --use-virtualhost -V       Use the specified virtualhost in GET query.
   --verbose         -v       Use verbose mode output.
   --help            -h       Display this short inlined help screen.
   --fwmark          -m       Use the specified FW mark.
   --protocol        -P       Use the specified HTTP protocol - '1.0', 1.0c', '1.1'.
                                1.0c means 1.0 with 'Connection: close'
   --timeout         -t       Timeout in seconds
`;

const LONG: Readonly<Record<string, string>> = {
  'use-ssl': 'S',
  'use-sni': 'I',
  server: 's',
  port: 'p',
  url: 'u',
  'use-virtualhost': 'V',
  verbose: 'v',
  help: 'h',
  fwmark: 'm',
  protocol: 'P',
  timeout: 't',
};
const TAKES_ARG = new Set(['s', 'p', 'u', 'V', 'm', 'P', 't']);

/** Parses genhash's own options; returns an error message for bad input. */
export function parseGenhashArgs(argv: readonly string[]): GenhashOptions | string {
  const o: GenhashOptions = { ssl: false, sni: false, verbose: false, help: false, protocol: '1.0', timeoutMs: 5000 };
  let i = 0;
  while (i < argv.length) {
    const a = argv[i++] as string;
    let key: string | undefined;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      key = LONG[eq >= 0 ? a.slice(2, eq) : a.slice(2)];
      if (eq >= 0) value = a.slice(eq + 1);
    } else if (a.startsWith('-') && a.length >= 2) {
      key = a[1];
      if (a.length > 2) value = a.slice(2);
    }
    if (key === undefined || !(Object.values(LONG) as string[]).includes(key)) return `Unknown option ${a}`;
    if (TAKES_ARG.has(key) && value === undefined) {
      if (i >= argv.length) return `Missing parameter for option ${a}`;
      value = argv[i++];
    }
    const err = applyOption(o, key, value as string);
    if (err) return err;
  }
  return o;
}

function applyOption(o: GenhashOptions, key: string, v: string): string | undefined {
  switch (key) {
    case 'S':
      o.ssl = true;
      break;
    case 'I':
      o.sni = true;
      break;
    case 'v':
      o.verbose = true;
      break;
    case 'h':
      o.help = true;
      break;
    case 's':
      o.server = v;
      break;
    case 'u':
      o.url = v;
      break;
    case 'V':
      o.virtualhost = v;
      break;
    case 'p': {
      const p = Number(v);
      if (!Number.isInteger(p) || p < 1 || p > 65535) return `Invalid port '${v}'`;
      o.port = p;
      break;
    }
    case 'm':
      o.fwmark = Number(v);
      break;
    case 't': {
      const t = Number(v);
      if (!Number.isFinite(t) || t <= 0) return `Invalid timeout '${v}'`;
      o.timeoutMs = t * 1000;
      break;
    }
    case 'P':
      if (v !== '1.0' && v !== '1.0c' && v !== '1.1') return `Invalid protocol '${v}'`;
      o.protocol = v;
      break;
  }
  return undefined;
}

export function buildRequest(o: GenhashOptions): string {
  const server = o.server ?? '';
  const hostPort = `${net.isIPv6(server) ? `[${server}]` : server}:${o.port ?? 80}`;
  const version = o.protocol === '1.1' ? '1.1' : '1.0';
  const close = o.protocol === '1.0' ? '' : 'Connection: close\r\n';
  return `GET ${o.url ?? '/'} HTTP/${version}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${o.virtualhost ?? hostPort}\r\n\r\n`;
}

const banner = (title: string): string => `-----------------------[${title}]-----------------------\n`;

/** keepalived's dump_buffer layout: decimal offset, 8 + 8 hex bytes, then the printable ASCII. */
export function hexdump(buf: Uint8Array): string {
  let out = '';
  for (let off = 0; off < buf.length; off += 16) {
    let hex = '';
    let ascii = '';
    for (let j = 0; j < 16; j++) {
      const b = buf[off + j];
      if (j === 8) hex += b === undefined ? '  ' : '- ';
      if (b === undefined) {
        hex += '   ';
        ascii += ' ';
      } else {
        hex += `${b.toString(16).padStart(2, '0')} `;
        ascii += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
      }
    }
    out += `${String(off).padStart(4, '0')}  ${hex}  ${ascii}\n`;
  }
  return out;
}

/** Splits a raw response at the blank line ending the header; no blank line → all header. */
export function splitResponse(raw: Buffer): { header: Buffer; body: Buffer } {
  const at = raw.indexOf('\r\n\r\n');
  if (at < 0) return { header: raw, body: Buffer.alloc(0) };
  return { header: raw.subarray(0, at + 4), body: raw.subarray(at + 4) };
}

/** Connects, sends the request and collects everything until the server closes. */
function fetchRaw(o: GenhashOptions): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (ok: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(ok ? Buffer.concat(chunks) : undefined);
    };
    const sock: net.Socket = o.ssl
      ? tls.connect({ host: o.server, port: o.port, rejectUnauthorized: false, servername: o.sni && o.virtualhost ? o.virtualhost : undefined })
      : net.connect({ host: o.server, port: o.port as number });
    const timer = setTimeout(() => finish(chunks.length > 0), o.timeoutMs);
    sock.once(o.ssl ? 'secureConnect' : 'connect', () => sock.write(buildRequest(o)));
    sock.on('data', (d: Buffer) => chunks.push(d));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(chunks.length > 0));
    sock.on('error', () => finish(false));
  });
}

/** Runs genhash mode; resolves to the process exit status. */
export async function runGenhash(argv: readonly string[], out: (s: string) => void, err: (s: string) => void): Promise<number> {
  const o = parseGenhashArgs(argv);
  if (typeof o === 'string') {
    err(`${o}\n`);
    err(GENHASH_USAGE);
    return 1;
  }
  if (o.help || o.server === undefined || o.port === undefined || o.url === undefined) {
    err(GENHASH_USAGE);
    return 1;
  }
  if (o.fwmark !== undefined) err('fwmark is not supported by tskeepalived genhash; ignored\n');
  const started = process.hrtime.bigint();
  const raw = await fetchRaw(o);
  if (raw === undefined) {
    out('Connection failed\n');
    return 0;
  }
  const { header, body } = splitResponse(raw);
  const digest = crypto.createHash('md5').update(body).digest();
  if (o.verbose) {
    out(banner('    HTTP Header Buffer    ') + hexdump(header));
    out(`${banner(' HTTP Header Ascii Buffer ')}${header.toString('latin1')}\n`);
    out(`${banner('        HTML Buffer        ')}${hexdump(body)}\n`);
    out(banner('    HTML hash resulting    ') + hexdump(digest));
    out(banner(' HTML hash final resulting '));
  }
  out(`${digest.toString('hex')}\n`);
  if (o.verbose) {
    const usecs = Number((process.hrtime.bigint() - started) / 1000n);
    out(`\nGlobal response time for [${o.url}] = ${usecs} usecs\n`);
  }
  return 0;
}
