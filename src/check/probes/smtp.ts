/**
 * SMTP_CHECK: the dialogue 220 greeting → HELO name → 250 → QUIT → 221. Multi-line replies
 * ("250-...") are read to their last line. A hostile or broken server cannot hold the probe
 * or the daemon's memory: the whole dialogue after connect has one hard deadline of
 * connect_timeout (data arriving does not extend it), a reply larger than MAX_REPLY_BYTES
 * fails the check, and each byte is scanned for line ends once.
 */
import type net from 'node:net';
import { fail, ok, type Probe, type ProbeResult } from '../result';
import { connectTcp, type ConnectOptions } from './tcp';
import { deadline } from './deadline';

export interface SmtpOptions extends ConnectOptions {
  heloName: string;
}

/** Bytes one reply (all its lines) may take: RFC 5321 lines are at most 512 bytes. */
export const MAX_REPLY_BYTES = 16 * 1024;

/** Reads complete SMTP replies (code + final line) from a socket. */
class ReplyReader {
  private buf = '';
  /** buf before this index has no '\n' (never rescanned). */
  private scanned = 0;
  private waiter: ((r: number | ProbeResult) => void) | undefined;
  private error: ProbeResult | undefined;
  constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      if (this.buf.length + d.length > MAX_REPLY_BYTES) {
        this.error ??= fail('protocol', `reply larger than ${MAX_REPLY_BYTES} bytes`);
        this.buf = '';
        this.scanned = 0;
        sock.destroy();
      } else this.buf += d;
      this.poll();
    });
    const end = (r: ProbeResult): void => {
      this.error ??= r;
      this.poll();
    };
    sock.on('error', (e: NodeJS.ErrnoException) => end(fail('connect_error', e.code ?? e.message)));
    sock.on('close', () => end(fail('protocol', 'connection closed')));
  }
  private take(): number | undefined {
    let start = 0;
    let code: number | undefined;
    while (code === undefined) {
      const eol = this.buf.indexOf('\n', Math.max(start, this.scanned));
      if (eol < 0) break;
      const line = this.buf.slice(start, eol).replace(/\r$/, '');
      start = eol + 1;
      const m = /^(\d{3})([ -]?)/.exec(line);
      if (m && m[2] !== '-') code = Number(m[1]);
    }
    if (code === undefined) {
      this.scanned = this.buf.length;
      return undefined; // lines of an unfinished multi-line reply stay counted in buf
    }
    this.buf = this.buf.slice(start);
    this.scanned = 0;
    return code;
  }
  private poll(): void {
    if (!this.waiter) return;
    const code = this.take();
    if (code !== undefined) this.resolve(code);
    else if (this.error) this.resolve(this.error);
  }
  private resolve(r: number | ProbeResult): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.(r);
  }
  /** The hard deadline passed: the reply being waited for (and any later one) fails. */
  expire(): void {
    this.error ??= fail('timeout', 'SMTP reply timeout');
    this.poll();
  }
  next(): Promise<number | ProbeResult> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.poll();
    });
  }
}

async function dialogue(r: ReplyReader, sock: net.Socket, helo: string): Promise<ProbeResult> {
  const steps: Array<[string | null, number]> = [
    [null, 220],
    [`HELO ${helo}\r\n`, 250],
    ['QUIT\r\n', 221],
  ];
  for (const [send, want] of steps) {
    if (send !== null) sock.write(send);
    const code = await r.next();
    if (typeof code !== 'number') return code;
    if (code !== want) return fail('protocol', `expected ${want}, got ${code}${send ? ` after ${send.trim()}` : ''}`);
  }
  return ok();
}

export function smtpProbe(o: SmtpOptions): Probe {
  return async (signal) => {
    const c = await connectTcp(o, signal);
    if (!c.ok) return c.result;
    const sock = c.socket;
    const onAbort = (): void => void sock.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    const reader = new ReplyReader(sock);
    const limit = deadline(o.connectTimeoutMs, () => {
      reader.expire();
      sock.destroy();
    });
    try {
      return await dialogue(reader, sock, o.heloName);
    } finally {
      limit.clear();
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
    }
  };
}
