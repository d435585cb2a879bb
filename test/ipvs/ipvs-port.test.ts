/**
 * Runs INSIDE the IPVS VM (npm run test:ipvs): our generic-netlink IpvsPort against the real
 * kernel, every change read back through our decoder AND through ipvsadm -Ln.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { NetlinkIpvs, IpvsError } from '../../src/lvs/ipvs';
import { SvcFlag, type IpvsService, type ServiceId } from '../../src/lvs/ipvs-codec';

if (!existsSync('/proc/net/ip_vs')) {
  t.plan(0, 'no IPVS in this kernel: run with npm run test:ipvs');
} else {
  const ipvsadm = (...args: string[]): string => execFileSync('ipvsadm', args, { encoding: 'utf8', timeout: 10_000 });
  /** ipvsadm -Ln without the header, whitespace collapsed: one entry a line. */
  const listing = (): string[] => ipvsadm('-Ln').split('\n').slice(3).map((l) => l.trim().replace(/\s+/g, ' ')).filter(Boolean);

  const tcp: ServiceId = { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0 };
  const base = (id: ServiceId, over: Partial<IpvsService> = {}): IpvsService => ({ ...id, scheduler: 'wrr', flags: 0, timeoutS: 0, netmaskPrefix: id.af === 'inet' ? 32 : 128, ...over });
  const dest = (addr: string, port: number, weight: number, fwd: 'route' | 'masq' | 'tunnel' = 'route') => ({ addr, port, fwd, weight, upperThreshold: 0, lowerThreshold: 0 });

  let port: NetlinkIpvs | undefined;
  const p = new Proxy({} as NetlinkIpvs, { get: (_o, k) => { const v = (port as unknown as Record<string | symbol, unknown>)[k]; return typeof v === 'function' ? v.bind(port) : v; } });
  t.before(async () => { port = await NetlinkIpvs.open({ timeoutMs: 10_000 }); });
  t.teardown(() => port?.close());
  t.beforeEach(async () => { await p.flush(); });
  {

    t.test('GET_INFO', async (t) => {
      const info = await p.info();
      t.match(info.version, /^1\.2\.\d+$/);
      t.ok(info.connTabSize > 0);
    });

    t.test('TCP service, DR dests weights 2/3, wrr, persistence 5 s: add, read back, ipvsadm agrees', async (t) => {
      await p.addService(base(tcp, { flags: SvcFlag.PERSISTENT, timeoutS: 5 }));
      await p.addDest(tcp, dest('192.0.2.11', 80, 2));
      await p.addDest(tcp, dest('192.0.2.12', 80, 3));
      const [s, ...rest] = await p.listServices();
      t.equal(rest.length, 0);
      t.match(s, { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, scheduler: 'wrr', timeoutS: 5, netmaskPrefix: 32 });
      t.equal(s!.flags & SvcFlag.PERSISTENT, SvcFlag.PERSISTENT);
      const ds = await p.listDests(tcp);
      t.same(ds.map((d) => `${d.addr}:${d.port} ${d.fwd} ${d.weight}`).sort(), ['192.0.2.11:80 route 2', '192.0.2.12:80 route 3']);
      t.same(listing(), ['TCP 192.0.2.100:80 wrr persistent 5', '-> 192.0.2.11:80 Route 2 0 0', '-> 192.0.2.12:80 Route 3 0 0']);
    });

    t.test('edit service and dest (weight 0 = quiescent), delete dest, delete service', async (t) => {
      await p.addService(base(tcp));
      await p.addDest(tcp, dest('192.0.2.11', 80, 2));
      await p.editService(base(tcp, { scheduler: 'rr', flags: SvcFlag.PERSISTENT, timeoutS: 300, netmaskPrefix: 24 }));
      await p.editDest(tcp, dest('192.0.2.11', 80, 0));
      t.same(listing(), ['TCP 192.0.2.100:80 rr persistent 300 mask 255.255.255.0', '-> 192.0.2.11:80 Route 0 0 0']);
      await p.delDest(tcp, { addr: '192.0.2.11', port: 80 });
      t.same(listing(), ['TCP 192.0.2.100:80 rr persistent 300 mask 255.255.255.0']);
      await p.delService(tcp);
      t.same(listing(), []);
    });

    t.test('UDP and SCTP, NAT with thresholds', async (t) => {
      const udp: ServiceId = { ...tcp, protocol: 'udp', port: 53 };
      const sctp: ServiceId = { ...tcp, protocol: 'sctp', port: 3868 };
      await p.addService(base(udp, { scheduler: 'lc' }));
      await p.addDest(udp, { ...dest('192.0.2.11', 5353, 1, 'masq'), upperThreshold: 100, lowerThreshold: 10 });
      await p.addService(base(sctp, { scheduler: 'rr' }));
      const ipv = ipvsadm('-Ln', '--thresholds').replace(/[ \t]+/g, ' ');
      t.match(ipv, /UDP 192\.0\.2\.100:53 lc\n -> 192\.0\.2\.11:5353 100 10 \d+/);
      t.match(listing().join('\n'), /SCTP 192\.0\.2\.100:3868 rr/);
      t.same((await p.listDests(udp))[0], { ...dest('192.0.2.11', 5353, 1, 'masq'), upperThreshold: 100, lowerThreshold: 10, activeConns: 0, inactConns: 0, persistConns: 0, stats: (await p.listDests(udp))[0]!.stats });
    });

    t.test('fwmark service with sh flags and a GUE tunnel dest', async (t) => {
      const fw: ServiceId = { af: 'inet', protocol: 'tcp', addr: '0.0.0.0', port: 0, fwmark: 7 };
      await p.addService(base(fw, { scheduler: 'sh', flags: SvcFlag.SH_PORT | SvcFlag.SH_FALLBACK }));
      await p.addDest(fw, { ...dest('192.0.2.12', 0, 1, 'tunnel'), tunType: 'gue', tunPort: 6080, tunCsum: 'csum' });
      t.same(listing(), ['FWM 7 sh (sh-fallback,sh-port)', '-> 192.0.2.12:0 Tunnel 1 0 0']);
      const [d] = await p.listDests(fw);
      t.match(d, { fwd: 'tunnel', tunType: 'gue', tunPort: 6080, tunCsum: 'csum' });
      t.match(ipvsadm('-Ln', '--tun-info'), /gue.*6080|6080.*gue/i);
    });

    t.test('IPv6 service, mh scheduler, ops', async (t) => {
      const v6: ServiceId = { af: 'inet6', protocol: 'tcp', addr: '2001:db8::100', port: 443, fwmark: 0 };
      await p.addService(base(v6, { scheduler: 'mh', flags: SvcFlag.MH_PORT | SvcFlag.ONEPACKET | SvcFlag.PERSISTENT, netmaskPrefix: 64, timeoutS: 60 }));
      await p.addDest(v6, dest('2001:db8::11', 443, 4, 'masq'));
      const [s] = await p.listServices();
      t.match(s, { af: 'inet6', addr: '2001:db8::100', scheduler: 'mh', netmaskPrefix: 64, timeoutS: 60 });
      t.same(listing(), ['TCP [2001:db8::100]:443 mh (mh-port) persistent 60 mask 64 ops', '-> [2001:db8::11]:443 Masq 4 0 0']);
    });

    t.test('kernel errors map to stable codes with errno', async (t) => {
      await p.addService(base(tcp));
      await t.rejects(p.addService(base(tcp)), { code: 'ERR_IPVS_EXISTS', errno: 17 });
      await t.rejects(p.delService({ ...tcp, port: 81 }), { code: 'ERR_IPVS_NOT_FOUND' });
      await t.rejects(p.addService(base({ ...tcp, port: 82 }, { scheduler: 'nosuchsched' })), IpvsError);
      await p.addDest(tcp, dest('192.0.2.11', 80, 1));
      await t.rejects(p.addDest(tcp, dest('192.0.2.11', 80, 1)), { code: 'ERR_IPVS_EXISTS' });
    });

    t.test('lvs_timeouts round trip', async (t) => {
      const old = await p.getTimeouts();
      await p.setTimeouts({ tcpS: 7200, tcpFinS: 60, udpS: 90 });
      t.same(await p.getTimeouts(), { tcpS: 7200, tcpFinS: 60, udpS: 90 });
      t.match(ipvsadm('-L', '--timeout'), /7200 60 90/);
      await p.setTimeouts(old);
    });

    t.test('sync daemon start/list/stop', async (t) => {
      execFileSync('ip', ['link', 'add', 'tsksync0', 'type', 'dummy']);
      t.teardown(() => { try { execFileSync('ip', ['link', 'del', 'tsksync0']); } catch { /* gone */ } });
      execFileSync('ip', ['link', 'set', 'tsksync0', 'up', 'multicast', 'on']);
      await p.addDaemon({ state: 'master', ifname: 'tsksync0', syncId: 5 });
      const ds = await p.listDaemons();
      t.match(ds, [{ state: 'master', ifname: 'tsksync0', syncId: 5 }]);
      t.match(ipvsadm('-L', '--daemon'), /master sync daemon \(mcast=tsksync0, syncid=5/);
      await p.delDaemon('master');
      t.same(await p.listDaemons(), []);
    });

    t.test('flush empties the table', async (t) => {
      await p.addService(base(tcp));
      await p.flush();
      t.same(await p.listServices(), []);
    });
  }
}
