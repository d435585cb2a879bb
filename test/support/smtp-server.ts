/**
 * A tiny SMTP responder for SMTP_CHECK tests: greeting, HELO/EHLO, QUIT. `mode` makes it
 * misbehave in one place. Runnable as a script (so it can live in a lab namespace):
 *   node dist/test/support/smtp-server.js ADDR PORT [ok|bad-greeting|bad-helo|silent]
 */
import net from 'node:net';

export type SmtpMode = 'ok' | 'bad-greeting' | 'bad-helo' | 'silent';

export function startSmtpServer(host: string, port: number, mode: SmtpMode = 'ok'): Promise<net.Server> {
  const server = net.createServer((sock) => {
    sock.on('error', () => undefined);
    if (mode === 'silent') return;
    sock.write(mode === 'bad-greeting' ? '554 go away\r\n' : '220-test.example ESMTP\r\n220 ready\r\n');
    let buf = '';
    sock.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let i: number;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const verb = line.split(' ')[0]?.toUpperCase();
        if (verb === 'HELO' || verb === 'EHLO') sock.write(mode === 'bad-helo' ? '501 bad helo\r\n' : '250 test.example\r\n');
        else if (verb === 'QUIT') sock.end('221 bye\r\n');
        else sock.write('500 unknown\r\n');
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}

if (require.main === module) {
  const [host = '127.0.0.1', port = '2525', mode = 'ok'] = process.argv.slice(2);
  void startSmtpServer(host, Number(port), mode as SmtpMode).then(() => console.log('listening'));
}
