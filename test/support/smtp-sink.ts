/**
 * A tiny SMTP server on 127.0.0.1 for tests: speaks just enough RFC 5321 for a client to
 * deliver (220, EHLO/HELO, MAIL, RCPT, DATA, QUIT) and records every session. Knobs make
 * it refuse EHLO (HELO fallback), reject recipients, or stay silent (client timeouts).
 * Register `close()` with t.teardown.
 */
import net from 'node:net';

export interface SinkSession {
  commands: string[];
  data: string;
}

export interface SinkOptions {
  refuseEhlo?: boolean;
  rejectRcpt?: (addr: string) => boolean;
  /** Never send the greeting. */
  silent?: boolean;
}

export class SmtpSink {
  readonly sessions: SinkSession[] = [];
  private server: net.Server;
  private sockets = new Set<net.Socket>();
  port = 0;
  constructor(private readonly opts: SinkOptions = {}) {
    this.server = net.createServer((s) => this.handle(s));
  }

  listen(): Promise<number> {
    return new Promise((resolve) => {
      this.server.listen(0, '127.0.0.1', () => {
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve(this.port);
      });
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }

  /** Mails fully received (DATA terminated). */
  delivered(): SinkSession[] {
    return this.sessions.filter((s) => s.data.length > 0);
  }

  private handle(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.on('close', () => this.sockets.delete(sock));
    sock.on('error', () => undefined);
    const session: SinkSession = { commands: [], data: '' };
    this.sessions.push(session);
    if (this.opts.silent) return;
    const reply = (line: string): void => void sock.write(line + '\r\n');
    reply('220 sink.example ESMTP test sink');
    let buf = '';
    let inData = false;
    let data = '';
    sock.setEncoding('utf8');
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') {
            inData = false;
            session.data = data;
            reply('250 2.0.0 queued');
          } else data += (line.startsWith('..') ? line.slice(1) : line) + '\n';
          continue;
        }
        session.commands.push(line);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === 'EHLO') reply(this.opts.refuseEhlo ? '502 5.5.2 command not recognized' : '250-sink.example\r\n250-PIPELINING\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 sink.example');
        else if (verb === 'MAIL') reply('250 2.1.0 ok');
        else if (verb === 'RCPT') {
          const addr = /<([^>]*)>/.exec(line)?.[1] ?? '';
          reply(this.opts.rejectRcpt?.(addr) ? '550 5.1.1 no such user' : '250 2.1.5 ok');
        } else if (verb === 'DATA') {
          inData = true;
          data = '';
          reply('354 end with <CRLF>.<CRLF>');
        } else if (verb === 'QUIT') {
          reply('221 2.0.0 bye');
          sock.end();
        } else reply('500 5.5.1 unknown');
      }
    });
  }
}
