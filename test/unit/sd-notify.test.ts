import t from 'tap';
import { SdNotifier, sdNotifierFromEnv, type NotifyPort } from '../../src/runtime/sd-notify';

function fake(fail = false): NotifyPort & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    send: (m: string) => {
      if (fail) throw new Error('ECONNREFUSED');
      sent.push(m);
    },
  };
}

t.test('start, reload, stop: READY=1, RELOADING=1 with MONOTONIC_USEC, READY=1, STOPPING=1', async (t) => {
  const port = fake();
  let usec = 1_000_000n;
  const sd = new SdNotifier({ port, monotonicUsec: () => (usec += 1000n), warn: () => t.fail('no warning expected') });
  sd.ready();
  sd.reloading();
  sd.ready();
  sd.reloading();
  sd.ready();
  sd.stop();
  t.same(port.sent, [
    'READY=1',
    'RELOADING=1\nMONOTONIC_USEC=1001000',
    'READY=1',
    'RELOADING=1\nMONOTONIC_USEC=1002000',
    'READY=1',
    'STOPPING=1',
  ]);
});

t.test('nothing but STOPPING=1 once the daemon stops (a reload ending during stop sends no READY=1)', async (t) => {
  const port = fake();
  const sd = new SdNotifier({ port, monotonicUsec: () => 5n, warn: () => undefined });
  sd.ready();
  sd.reloading();
  sd.stop();
  sd.ready();
  sd.reloading();
  sd.stop();
  t.same(port.sent, ['READY=1', 'RELOADING=1\nMONOTONIC_USEC=5', 'STOPPING=1']);
});

t.test('a failing socket is warned about once and never throws', async (t) => {
  const warnings: string[] = [];
  const sd = new SdNotifier({ port: fake(true), monotonicUsec: () => 0n, warn: (m) => warnings.push(m) });
  t.doesNotThrow(() => {
    sd.ready();
    sd.reloading();
    sd.ready();
    sd.stop();
  });
  t.equal(warnings.length, 1);
  t.match(warnings[0], /sd_notify: cannot notify systemd \(ECONNREFUSED\)/);
});

t.test('from the environment: unset → none; the variable is removed so scripts do not inherit it', async (t) => {
  const warnings: string[] = [];
  const none: NodeJS.ProcessEnv = { PATH: '/bin' };
  t.equal(sdNotifierFromEnv(none, (m) => warnings.push(m)), undefined);
  const empty: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '' };
  t.equal(sdNotifierFromEnv(empty, (m) => warnings.push(m)), undefined);
  t.notOk('NOTIFY_SOCKET' in empty);
  const bad: NodeJS.ProcessEnv = { NOTIFY_SOCKET: 'vsock:2:1234' };
  t.equal(sdNotifierFromEnv(bad, (m) => warnings.push(m)), undefined);
  t.match(warnings, [/NOTIFY_SOCKET 'vsock:2:1234' is neither a path nor an abstract name/]);
  for (const address of ['/run/systemd/notify', '@/org/freedesktop/systemd1/notify']) {
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: address };
    t.type(sdNotifierFromEnv(env, (m) => warnings.push(m)), SdNotifier, address);
    t.notOk('NOTIFY_SOCKET' in env);
  }
});
