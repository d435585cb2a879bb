/**
 * A loaded configuration with N VRRP instances (and optionally virtual servers) plus fake
 * running views of them, for the status/metrics tests and the scrape benchmark: no daemon,
 * no network.
 */
import { loadConfigText } from '../../src/config/load';
import type { Model } from '../../src/config/model';
import { newStats } from '../../src/runtime/instance';
import type { InstanceView } from '../../src/observe/status';
import { Recorder } from '../../src/observe/recorder';

export function manyInstancesConfig(n: number, opts: { virtualServers?: number; script?: boolean } = {}): string {
  const parts = ['global_defs {\n  router_id bench\n}\n'];
  if (opts.script) parts.push('vrrp_script chk {\n  script "/bin/true"\n  interval 1\n  weight 5\n}\n');
  for (let i = 0; i < n; i++) {
    const vrid = (i % 255) + 1;
    const ifn = `eth${Math.floor(i / 255)}`;
    parts.push(`vrrp_instance VI_${i} {\n  state BACKUP\n  interface ${ifn}\n  virtual_router_id ${vrid}\n  priority ${100 + (i % 50)}\n  advert_int 1\n${opts.script && i === 0 ? '  track_script {\n    chk\n  }\n' : ''}  virtual_ipaddress {\n    10.${Math.floor(i / 250)}.${i % 250}.1/24\n  }\n}\n`);
  }
  for (let v = 0; v < (opts.virtualServers ?? 0); v++) {
    parts.push(`virtual_server 192.0.2.${v + 10} 80 {\n  delay_loop 5\n  lb_algo rr\n  lb_kind NAT\n  protocol TCP\n  real_server 198.51.100.${v + 1} 8080 {\n    weight 3\n    TCP_CHECK {\n      connect_timeout 2\n    }\n  }\n}\n`);
  }
  return parts.join('');
}

export function loadModel(text: string): Model {
  const r = loadConfigText(text, 'bench.conf', { configId: 'bench' } as never);
  if (!r.model) throw new Error(`bench config failed: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return r.model as Model;
}

/** One fake running view per instance: half MASTER, counters filled in. */
export function fakeViews(model: Model): InstanceView[] {
  return model.vrrpInstances.map((m, i) => {
    const stats = newStats();
    stats.advert_sent = 1000 + i;
    stats.advert_rcvd = 2000 + i;
    stats.drops = i % 10 === 0 ? { ttl: 2, checksum: 1 } : {};
    const master = i % 2 === 0;
    return {
      rt: {
        name: m.name,
        model: m,
        state: {
          state: master ? 'MASTER' : 'BACKUP', priority: m.priority, masterAdverIntCs: 100, faulted: false, stopped: false,
          masterAddr: master ? '192.0.2.1' : '192.0.2.2', masterPriority: master ? m.priority : 99, standby: i === 3,
        },
        stats,
        hasVips: master,
        lastTransitionWall: 1_700_000_000_000 + i,
      },
      wiring: { baseIfname: m.interface ?? 'eth0' },
      items: [{ kind: 'interface', name: m.interface ?? 'eth0', weight: 0, reverse: false, state: 'up' }],
    };
  });
}

export function filledRecorder(model: Model): Recorder {
  const rec = new Recorder();
  for (const m of model.vrrpInstances) {
    rec.transition(m.name, 'INIT', 'BACKUP', 'startup', 1_700_000_000_000);
    rec.transition(m.name, 'BACKUP', 'MASTER', 'master down timer expired: no master seen', 1_700_000_003_600);
  }
  rec.scriptResult('chk', true, 3.2);
  return rec;
}
