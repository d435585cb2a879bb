/**
 * End to end on loopback with the real clock: keepalived.conf text → config/load → Model →
 * check/build → CheckerRuntime. A TCP listener and an HTTP server go away and come back;
 * health events and keepalived's log lines follow, with retry/delay_before_retry timing.
 */
import t from 'tap';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import { buildCheckers, rsKeyOf, vsKeyOf } from '../../src/check/build';
import { loadConfigText } from '../../src/config/load';
import { SystemClock } from '../../src/runtime/clock';
import { CheckerRuntime, type HealthEvent } from '../../src/runtime/checkers';
import { waitFor } from '../support/netns';

function listen(server: net.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });
}
const close = (s: net.Server): Promise<void> => new Promise((r) => s.close(() => r()));

t.test('runtime: TCP_CHECK and HTTP_GET go down and come back', async (t) => {
  const tcpServer = net.createServer((s) => s.destroy());
  const tcpPort = await listen(tcpServer);
  const web = http.createServer((_q, r) => r.end('alive'));
  const webPort = await listen(web);
  t.teardown(() => {
    tcpServer.close();
    web.closeAllConnections();
    web.close();
  });
  const conf = `
virtual_server 127.0.0.1 8080 {
  delay_loop 1
  lb_algo rr
  lb_kind NAT
  protocol TCP
  real_server 127.0.0.1 ${tcpPort} {
    weight 1
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
      warmup 0
    }
  }
  real_server 127.0.0.2 ${webPort} {
    weight 2
    HTTP_GET {
      url {
        path /health
        regex "^alive"
      }
      connect_ip 127.0.0.1
      connect_timeout 1
      retry 0
      warmup 0
    }
  }
}`;
  const loaded = loadConfigText(conf, 'test.conf', { configId: 'test', readFile: () => '', glob: () => [] });
  const model = loaded.model;
  if (!model) throw new Error(`config: ${JSON.stringify(loaded.diagnostics)}`);
  const { servers, warnings } = buildCheckers(model, { hostname: os.hostname() });
  t.same(warnings, []);
  t.equal(servers.length, 2);
  const vs = model.virtualServers[0];
  if (!vs) throw new Error('no vs');
  const vsKey = vsKeyOf(vs);
  const [tcpKey, webKey] = vs.realServers.map(rsKeyOf);
  t.equal(vsKey, 'tcp:[127.0.0.1]:8080');

  const lines: string[] = [];
  const events: Array<HealthEvent & { at: number }> = [];
  const rt = new CheckerRuntime(servers, { clock: new SystemClock(), log: { info: (l) => lines.push(l), warn: (l) => lines.push(l), debug: () => undefined } });
  rt.on('health', (e) => events.push({ ...e, at: performance.now() }));
  t.teardown(() => rt.stop());
  rt.start();
  t.same(events.map((e) => [e.rsKey, e.up]), [[tcpKey, true], [webKey, true]], 'initial state: up (no alpha)');

  await waitFor(() => rt.probesDone >= 2, 5000);
  await close(tcpServer);
  const closedAt = performance.now();
  const down = await waitFor(() => events.find((e) => e.rsKey === tcpKey && !e.up), 6000);
  t.ok(down, 'TCP real server reported down');
  if (down) {
    // Worst case: next probe ≤ delay_loop (1 s) away, then one retry 1 s later.
    const dt = down.at - closedAt;
    t.ok(dt >= 900 && dt < 2600, `down after one retry (${Math.round(dt)} ms)`);
  }
  t.ok(lines.includes(`TCP connection to [127.0.0.1]:tcp:${tcpPort} failed.`));
  t.ok(lines.includes(`TCP_CHECK on service [127.0.0.1]:tcp:${tcpPort} failed after 1 retries.`));

  const back = net.createServer((s) => s.destroy());
  await listen(back, tcpPort);
  t.teardown(() => close(back));
  t.ok(await waitFor(() => events.find((e) => e.rsKey === tcpKey && e.up && e.at > closedAt), 3000), 'TCP real server back up');
  t.ok(lines.includes(`TCP connection to [127.0.0.1]:tcp:${tcpPort} success.`));

  // HTTP: the body stops matching the regex → down at once (retry 0), then recovers.
  web.removeAllListeners('request');
  web.on('request', (_q, r) => r.end('dead'));
  t.ok(await waitFor(() => events.find((e) => e.rsKey === webKey && !e.up), 3000), 'HTTP real server down on regex mismatch');
  t.ok(lines.some((l) => l.startsWith(`Regex match failed server [127.0.0.1]:tcp:${webPort} url(/health)`)), 'regex failure logged');
  t.ok(lines.includes(`HTTP_CHECK on service [127.0.0.1]:tcp:${webPort} failed.`));
  web.removeAllListeners('request');
  web.on('request', (_q, r) => r.end('alive'));
  t.ok(await waitFor(() => events.filter((e) => e.rsKey === webKey).length >= 3, 3000), 'HTTP real server back up');
  rt.stop();
  t.equal(rt.health(vsKey, tcpKey ?? '')?.up, true);
});

t.test('HTTP_GET does not wait for close once the response is complete', async (t) => {
  const replies = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nalive',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nalive\r\n0\r\n\r\n',
  ];
  const { httpProbe } = await import('../../src/check/probes/http');
  for (const reply of replies) {
    // Answers, then keeps the connection open (a keep-alive server ignoring Connection: close).
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.once('data', () => s.write(reply));
    });
    const port = await listen(server);
    const t0 = performance.now();
    const r = await httpProbe({ host: '127.0.0.1', port, connectTimeoutMs: 3000, urls: [{ path: '/', regex: '^alive$' }] })(new AbortController().signal);
    const dt = performance.now() - t0;
    server.close();
    t.match(r, { ok: true }, reply.includes('chunked') ? 'chunked' : 'content-length');
    t.ok(dt < 1000, `finished in ${Math.round(dt)} ms, not at the 3 s timeout`);
  }
});
