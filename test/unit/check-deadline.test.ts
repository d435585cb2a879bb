import t from 'tap';
import dgram from 'node:dgram';
import { deadline } from '../../src/check/probes/deadline';

/** A datagram to ourselves is queued, then the loop is kept busy past the deadline. */
function race(useDeadline: boolean): Promise<string> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    let verdict: string | undefined;
    const settle = (v: string): void => {
      if (verdict) return;
      verdict = v;
      if (useDeadline) d?.clear();
      else clearTimeout(plain);
      s.close();
      resolve(v);
    };
    let d: ReturnType<typeof deadline> | undefined;
    let plain: NodeJS.Timeout | undefined;
    s.on('message', () => settle('reply'));
    s.bind(0, '127.0.0.1', () => {
      if (useDeadline) d = deadline(5, () => settle('timeout'));
      else plain = setTimeout(() => settle('timeout'), 5);
      s.send('x', s.address().port, '127.0.0.1', () => {
        const until = performance.now() + 30; // the reply is queued and the timer due
        while (performance.now() < until);
      });
    });
  });
}

t.test('a reply that arrived before the deadline wins even if the loop was busy', async (t) => {
  t.equal(await race(false), 'timeout', 'plain setTimeout: libuv runs the due timer before polling the reply');
  t.equal(await race(true), 'reply', 'deadline(): the verdict waits for the poll phase');
});
