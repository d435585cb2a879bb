/**
 * SMTP_CHECK: the dialogue 220 greeting → HELO name → 250 → QUIT → 221, each reply bounded
 * by connect_timeout. Multi-line replies ("250-...") are read to their last line.
 */
import type net from 'node:net';
import { fail, ok, type Probe, type ProbeResult } from '../result';
import { connectTcp, type ConnectOptions } from './tcp';

export interface SmtpOptions extends ConnectOptions {
  heloName: string;
}

/** Reads complete SMTP replies (code + final line) from a socket. */
class ReplyReader {
  private buf = '';
  private waiter: ((r: number | ProbeResult) => void) | undefined;
  private error: ProbeResult | undefined;
  constructor(private readonly sock: net.Socket, private readonly timeoutMs: number) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
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
    for (;;) {
      const eol = this.buf.indexOf('\n');
      if (eol < 0) return undefined;
      const line = this.buf.slice(0, eol).replace(/\r$/, '');
      this.buf = this.buf.slice(eol + 1);
      const m = /^(\d{3})([ -]?)/.exec(line);
      if (m && m[2] !== '-') return Number(m[1]);
    }
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
    this.sock.setTimeout(0);
    w?.(r);
  }
  next(): Promise<number | ProbeResult> {
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.sock.setTimeout(this.timeoutMs, () => this.resolve(fail('timeout', 'SMTP reply timeout')));
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
    try {
      return await dialogue(new ReplyReader(sock, o.connectTimeoutMs), sock, o.heloName);
    } finally {
      signal.removeEventListener('abort', onAbort);
      sock.destroy();
    }
  };
}
