/**
 * BFD_CHECK (keepalived.conf(5) real_server checker): the checker follows the named
 * bfd_instance's session. Down takes the real server out at once (no retries), Up brings it
 * back; without `alpha` it starts up, with `alpha` it starts down until the session is Up.
 * Driven end to end here by two BfdServices on an in-memory network and a FakeClock.
 */
import t from 'tap';
import { load, errors } from './config-helpers';
import { buildCheckers } from '../../src/check/build';
import { CheckerRuntime, type HealthEvent } from '../../src/runtime/checkers';
import { BfdService } from '../../src/runtime/bfd-service';
import type { BfdDatagram, BfdFamily, BfdListener, BfdSender, BfdSenderOptions, BfdTransport } from '../../src/net/bfd-socket';
import { FakeClock } from '../support/fake-clock';
import type { Model } from '../../src/config/model';

const bfd = (name: string, me: string, peer: string) => `bfd_instance ${name} {\n  neighbor_ip ${peer}\n  source_ip ${me}\n  min_rx 50\n  min_tx 50\n  multiplier 3\n}\n`;

const vs = (checks: string) => `virtual_server 192.0.2.100 80 {
  delay_loop 5
  protocol TCP
  lvs_sched rr
  real_server 192.0.2.11 8080 {
${checks}
  }
  real_server 192.0.2.12 8080 {
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
`;

function runtime(model: Model, clock: FakeClock) {
  const built = buildCheckers(model, { hostname: 'h' });
  const calls: Record<string, number> = {};
  for (const srv of built.servers) {
    for (const c of srv.checkers) {
      c.probe = async () => ((calls[c.kind] = (calls[c.kind] ?? 0) + 1), { ok: true });
    }
  }
  const logs: string[] = [];
  const rt = new CheckerRuntime(built.servers, { clock, log: { info: (x) => logs.push(x), warn: (x) => logs.push(`W ${x}`), debug: () => undefined }, random: () => 0 });
  const health: HealthEvent[] = [];
  rt.on('health', (e) => health.push(e));
  return { rt, logs, health, calls };
}

t.test('config: BFD_CHECK name/alpha are accepted; an unknown bfd_instance or a duplicate is skipped as keepalived does', async (t) => {
  const r = load(bfd('B1', '192.0.2.1', '192.0.2.2') + vs('    BFD_CHECK {\n      name B1\n      alpha\n    }\n    BFD_CHECK {\n      name B1\n    }\n    BFD_CHECK {\n      name NOPE\n    }'));
  t.same(errors(r), []);
  const m = r.model as Model;
  t.match(m.virtualServers[0]!.realServers[0]!.checkers, [{ type: 'BFD_CHECK', name: 'B1', alpha: true }, { type: 'BFD_CHECK', name: 'B1', alpha: false }, { type: 'BFD_CHECK', name: 'NOPE' }]);
  const b = buildCheckers(m, { hostname: 'h' });
  t.equal(b.servers[0]!.checkers.length, 1, 'one BFD_CHECK kept');
  t.match(b.servers[0]!.checkers[0], { kind: 'BFD_CHECK', bfd: 'B1', service: '[192.0.2.11]:tcp:8080', timing: { retry: 0, alpha: true } });
  t.same(b.warnings, ['(192.0.2.11) BFD_CHECK - RS already monitoring B1', '(192.0.2.11) BFD_CHECK - BFD NOPE not configured']);
});

t.test('runtime: no alpha starts up; Down removes at once despite retry; Up restores; the probe is never polled', async (t) => {
  const clock = new FakeClock(0);
  const m = load(bfd('B1', '192.0.2.1', '192.0.2.2') + vs('    BFD_CHECK {\n      name B1\n      retry 5\n    }')).model as Model;
  const { rt, logs, health, calls } = runtime(m, clock);
  rt.start();
  t.teardown(() => rt.stop());
  t.match(health.find((h) => h.rsKey === '[192.0.2.11]:8080'), { up: true }, 'up at start-up without alpha');
  t.ok(logs.includes('Activating BFD healthchecker'));
  for (let i = 0; i < 12; i++) {
    clock.advance(5000);
    await new Promise((r) => setImmediate(r));
  }
  t.same(calls, { TCP_CHECK: 12 }, 'only the TCP_CHECK of the other server ran (every 5 s), never the BFD_CHECK');
  health.length = 0;
  rt.bfdEvent('OTHER', false);
  t.same(health, [], 'another session changes nothing');
  rt.bfdEvent('B1', false);
  t.same(health, [{ vsKey: 'tcp:[192.0.2.100]:80', rsKey: '[192.0.2.11]:8080', up: false }], 'Down: server out at once, no retries');
  t.ok(logs.includes('BFD check of [B1] RS([192.0.2.11]:tcp:8080) is DOWN'), logs.join('\n'));
  rt.bfdEvent('B1', false);
  t.equal(health.length, 1, 'a repeated Down is not a change');
  rt.bfdEvent('B1', true);
  t.match(health[1], { rsKey: '[192.0.2.11]:8080', up: true }, 'Up: server back');
  t.ok(logs.includes('BFD check of [B1] RS([192.0.2.11]:tcp:8080) is UP'));
});

t.test('runtime: alpha starts down until the session comes Up; ha_suspend resume replays the last state', async (t) => {
  const clock = new FakeClock(0);
  const m = load(bfd('B1', '192.0.2.1', '192.0.2.2') + vs('    BFD_CHECK {\n      name B1\n      alpha\n    }')).model as Model;
  const { rt, health } = runtime(m, clock);
  rt.start();
  t.teardown(() => rt.stop());
  t.match(health.find((h) => h.rsKey === '[192.0.2.11]:8080'), { up: false }, 'down at start-up with alpha');
  rt.bfdEvent('B1', true);
  t.equal(rt.health('tcp:[192.0.2.100]:80', '[192.0.2.11]:8080')?.up, true);
  rt.pause(['[192.0.2.11]:8080']);
  rt.bfdEvent('B1', false);
  t.equal(rt.health('tcp:[192.0.2.100]:80', '[192.0.2.11]:8080')?.up, true, 'suspended: unchanged');
  rt.resume(['[192.0.2.11]:8080']);
  t.equal(rt.health('tcp:[192.0.2.100]:80', '[192.0.2.11]:8080')?.up, false, 'resumed: the Down seen meanwhile applies');
});

/** Lossless in-memory network for two BfdServices. */
class FakeNet {
  cut = false;
  readonly listeners = new Map<string, (d: BfdDatagram) => void>();
  transport(host: string): BfdTransport {
    return {
      listen: (_family: BfdFamily, port: number, onPacket: (d: BfdDatagram) => void): BfdListener => {
        this.listeners.set(`${host}|${port}`, onPacket);
        return { close: () => void this.listeners.delete(`${host}|${port}`) };
      },
      sender: (o: BfdSenderOptions): BfdSender => ({
        srcPort: 49152,
        send: (payload, dst, dstPort) => {
          if (!this.cut) this.listeners.get(`${dst}|${dstPort}`)?.({ data: payload, family: o.family, src: host, srcPort: 49152, dst, ifindex: 2, ttl: o.ttl, multihop: dstPort === 4784 });
        },
        close: () => undefined,
      }),
    };
  }
}

t.test('BFD session → BFD_CHECK: the real server follows a real session over a fake network (alpha, cut, heal, peer AdminDown)', async (t) => {
  const clock = new FakeClock(0);
  const net = new FakeNet();
  const quiet = { info: () => undefined, warn: () => undefined, debug: () => undefined };
  const m = load(bfd('B1', '192.0.2.1', '192.0.2.2') + vs('    BFD_CHECK {\n      name B1\n      alpha\n    }')).model as Model;
  const peerModel = load(bfd('B1', '192.0.2.2', '192.0.2.1')).model as Model;
  const ours = new BfdService({ clock, defer: (fn) => fn(), transport: net.transport('192.0.2.1'), log: quiet, random: () => 0.25 });
  let peer = new BfdService({ clock, defer: (fn) => fn(), transport: net.transport('192.0.2.2'), log: quiet, random: () => 0.75 });
  const { rt } = runtime(m, clock);
  // The daemon's wiring (runtime/daemon.ts): BFD state changes go to the checkers.
  ours.onStateChange((name, up) => rt.bfdEvent(name, up));
  rt.start();
  ours.start(m);
  peer.start(peerModel);
  t.teardown(() => (ours.stop(), peer.stop(), rt.stop()));
  const up = () => rt.health('tcp:[192.0.2.100]:80', '[192.0.2.11]:8080')?.up;
  t.equal(up(), false, 'alpha: out before the session is Up');
  clock.advance(3000);
  t.equal(up(), true, 'in once the session is Up');
  net.cut = true;
  clock.advance(149);
  t.equal(up(), true, 'still in just before Detection Time (150 ms)');
  clock.advance(2);
  t.equal(up(), false, 'out at Detection Time');
  net.cut = false;
  clock.advance(3000);
  t.equal(up(), true, 'back after the link heals');
  peer.stop();
  t.equal(up(), false, 'peer stopped (AdminDown): out at once');
  peer = new BfdService({ clock, defer: (fn) => fn(), transport: net.transport('192.0.2.2'), log: quiet, random: () => 0.5 });
  peer.start(peerModel);
  clock.advance(3000);
  t.equal(up(), true, 'peer restarted: back');
});
