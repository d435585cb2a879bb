/**
 * Runs INSIDE the IPVS VM: LvsRuntime driving the real kernel from a loaded config with a
 * scripted health source — virtual_server_group (range + fwmark), IPv6, NAT, scheduler flags,
 * adopt-on-start and -I (keep on shutdown).
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { loadConfigText } from '../../src/config/load';
import { MemoryLogger } from '../../src/observe/log';
import { NetlinkIpvs } from '../../src/lvs/ipvs';
import { LvsRuntime, type HealthEvent } from '../../src/runtime/lvs';
import { rsKey, vsKey } from '../../src/lvs/model-to-ipvs';

/** ipvsadm -Ln as "service: dest, dest" lines, sorted (the kernel lists services in hash order). */
function listing(): string[] {
  const out: string[] = [];
  for (const raw of execFileSync('ipvsadm', ['-Ln'], { encoding: 'utf8' }).split('\n').slice(3)) {
    const l = raw.trim().replace(/\s+/g, ' ').replace(/ \d+ \d+$/, '');
    if (!l) continue;
    if (l.startsWith('->')) out[out.length - 1] += (out[out.length - 1]!.endsWith(':') ? ' ' : ', ') + l.slice(3);
    else out.push(l + ':');
  }
  return out.map((l) => { const [svc, ds] = l.split(': '); return ds ? `${svc}: ${ds.split(', ').sort().join(', ')}` : l; }).sort();
}

const conf = `
virtual_server_group WEB {
  192.0.2.100-101 80
  fwmark 9
}
virtual_server group WEB {
  lvs_sched sh
  sh-port
  sh-fallback
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    weight 4
    TCP_CHECK {
      connect_timeout 1
    }
  }
}
virtual_server 2001:db8::100 53 {
  lvs_sched rr
  protocol UDP
  lvs_method NAT
  real_server 2001:db8::11 53 {
    weight 1
  }
  real_server 2001:db8::12 53 {
    weight 2
    inhibit_on_failure
    MISC_CHECK {
      misc_path /bin/true
    }
  }
}
`;

if (!existsSync('/proc/net/ip_vs')) {
  t.plan(0, 'no IPVS in this kernel: run with npm run test:ipvs');
} else {
  t.test('groups, fwmark, IPv6 through LvsRuntime on the real kernel', { timeout: 120_000 }, async (t) => {
    const loaded = loadConfigText(conf, '/tmp/tsk-lvs-runtime.conf', { configId: 'tsk' });
    t.ok(loaded.model, loaded.diagnostics.map((d) => d.message).join('; '));
    if (!loaded.model) return;
    const model = loaded.model;
    const ipvs = await NetlinkIpvs.open({ timeoutMs: 10_000 });
    t.teardown(() => { ipvs.close(); execFileSync('ipvsadm', ['-C']); });
    await ipvs.flush();
    const health = new EventEmitter();
    const log = new MemoryLogger();
    const lvs = new LvsRuntime({ model, ipvs, log, health: health as EventEmitter & { on(e: 'health', l: (x: HealthEvent) => void): unknown } });
    await lvs.start();
    t.same(listing(), [
      'FWM 9 sh (sh-fallback,sh-port): 192.0.2.11:8080 Masq 4',
      'TCP 192.0.2.100:80 sh (sh-fallback,sh-port): 192.0.2.11:8080 Masq 4',
      'TCP 192.0.2.101:80 sh (sh-fallback,sh-port): 192.0.2.11:8080 Masq 4',
      'UDP [2001:db8::100]:53 rr: [2001:db8::11]:53 Masq 1, [2001:db8::12]:53 Masq 2',
    ], 'group expanded into three services; IPv6 service');
    const [g, v6] = model.virtualServers;
    health.emit('health', { vsKey: vsKey(g!), rsKey: rsKey(g!.realServers[0]!), up: false });
    health.emit('health', { vsKey: vsKey(v6!), rsKey: rsKey(v6!.realServers[1]!), up: false });
    await lvs.settled();
    t.same(listing(), [
      'FWM 9 sh (sh-fallback,sh-port):',
      'TCP 192.0.2.100:80 sh (sh-fallback,sh-port):',
      'TCP 192.0.2.101:80 sh (sh-fallback,sh-port):',
      'UDP [2001:db8::100]:53 rr: [2001:db8::11]:53 Masq 1, [2001:db8::12]:53 Masq 0',
    ], 'failed RS removed from every group service; inhibited IPv6 RS at weight 0');
    t.ok(log.has('Disabling service [2001:db8::12]:udp:53 of VS [2001:db8::100]:udp:53'));

    // a restarted daemon adopts what is there (no churn), and -I leaves it at shutdown
    const again = new LvsRuntime({ model, ipvs, log: new MemoryLogger(), keepOnShutdown: true });
    await again.start();
    const full = listing();
    t.equal(full.join('\n').match(/Masq [1-9]/g)?.length, 5, 'adopted and brought back to the configured state');
    await again.stop();
    t.same(listing(), full, 'kept with keepOnShutdown');
    await lvs.stop();
    t.same(listing(), [], 'normal shutdown removes our services');
  });
}
