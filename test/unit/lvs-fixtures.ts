/** Builders for LVS model objects in tests (every field the model requires, sensible defaults). */
import type { RealServer, VirtualServer, TcpCheck } from '../../src/config/model';

export const loc = { file: 'test.conf', line: 1, col: 1 };

export function tcpCheck(): TcpCheck {
  return {
    type: 'TCP_CHECK', loc, connectTimeoutMs: 3000, retry: 1, delayBeforeRetryMs: 1000,
    delayLoopMs: 1000, alpha: false, logAllFailures: false,
  };
}

export function rs(address: string, port: number | undefined, over: Partial<RealServer> = {}): RealServer {
  return {
    loc, address, family: address.includes(':') ? 'inet6' : 'inet', port, weight: 1, lvsMethod: 'DR',
    inhibitOnFailure: false, alpha: false, checkers: [tcpCheck()], ...over,
  };
}

export function vs(over: Partial<VirtualServer> = {}): VirtualServer {
  return {
    loc, kind: 'ip', address: '192.0.2.100', port: 80, family: 'inet', protocol: 'TCP', lvsSched: 'wrr',
    schedFlags: [], lvsMethod: 'DR', delayLoopMs: 1000, quorum: 1, hysteresis: 0, alpha: false, omega: false,
    inhibitOnFailure: false, haSuspend: false,
    realServers: [rs('192.0.2.11', 80, { weight: 2 }), rs('192.0.2.12', 80, { weight: 3 })],
    ...over,
  };
}

import { IpvsError, type IpvsPort } from '../../src/lvs/ipvs';
import { destKey, serviceKey, type IpvsDaemon, type IpvsDest, type IpvsService, type IpvsTimeouts, type ServiceId } from '../../src/lvs/ipvs-codec';

/** In-memory IPVS table with the kernel's EEXIST/ESRCH behaviour; records every call. */
export class FakeIpvs implements IpvsPort {
  readonly services = new Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }>();
  readonly calls: string[] = [];
  timeouts: IpvsTimeouts = { tcpS: 900, tcpFinS: 120, udpS: 300 };
  daemons: IpvsDaemon[] = [];
  failNext?: string;

  private check(op: string): void {
    this.calls.push(op);
    if (this.failNext === op.split(' ')[0]) {
      this.failNext = undefined;
      throw new IpvsError('ERR_IPVS_REQUEST', `IPVS ${op} failed: EINVAL`, 22, op);
    }
  }
  private svc(id: ServiceId) {
    const s = this.services.get(serviceKey(id));
    if (!s) throw new IpvsError('ERR_IPVS_NOT_FOUND', 'ESRCH', 3);
    return s;
  }
  async info() { return { version: '1.2.1', connTabSize: 4096 }; }
  async listServices() { return [...this.services.values()].map((s) => ({ ...s.service, flags: s.service.flags | 2 })); }
  async listDests(id: ServiceId) { return [...this.svc(id).dests.values()].map((d) => ({ ...d })); }
  async addService(s: IpvsService) {
    this.check(`addService ${serviceKey(s)}`);
    if (this.services.has(serviceKey(s))) throw new IpvsError('ERR_IPVS_EXISTS', 'EEXIST', 17);
    this.services.set(serviceKey(s), { service: { ...s }, dests: new Map() });
  }
  async editService(s: IpvsService) { this.check(`editService ${serviceKey(s)}`); this.svc(s).service = { ...s }; }
  async delService(id: ServiceId) { this.check(`delService ${serviceKey(id)}`); this.svc(id); this.services.delete(serviceKey(id)); }
  async addDest(id: ServiceId, d: IpvsDest) {
    this.check(`addDest ${serviceKey(id)} ${destKey(d, id.af)} w${d.weight}`);
    const s = this.svc(id);
    if (s.dests.has(destKey(d, id.af))) throw new IpvsError('ERR_IPVS_EXISTS', 'EEXIST', 17);
    s.dests.set(destKey(d, id.af), { ...d });
  }
  async editDest(id: ServiceId, d: IpvsDest) {
    this.check(`editDest ${serviceKey(id)} ${destKey(d, id.af)} w${d.weight}`);
    const s = this.svc(id);
    if (!s.dests.has(destKey(d, id.af))) throw new IpvsError('ERR_IPVS_NOT_FOUND', 'ENOENT', 2);
    s.dests.set(destKey(d, id.af), { ...d });
  }
  async delDest(id: ServiceId, d: Pick<IpvsDest, 'addr' | 'port' | 'af'>) {
    this.check(`delDest ${serviceKey(id)} ${destKey(d, id.af)}`);
    if (!this.svc(id).dests.delete(destKey(d, id.af))) throw new IpvsError('ERR_IPVS_NOT_FOUND', 'ENOENT', 2);
  }
  async flush() { this.check('flush'); this.services.clear(); }
  async getTimeouts() { return { ...this.timeouts }; }
  async setTimeouts(t: IpvsTimeouts) { this.check('setTimeouts'); this.timeouts = { ...t }; }
  async addDaemon(d: IpvsDaemon) { this.check(`addDaemon ${d.state}`); this.daemons.push(d); }
  async delDaemon(state: IpvsDaemon['state']) { this.check(`delDaemon ${state}`); this.daemons = this.daemons.filter((d) => d.state !== state); }
  async listDaemons() { return [...this.daemons]; }
  close(): void {}
  /** "addr|port" → weight for one service. */
  weights(key: string): Record<string, number> {
    const s = this.services.get(key);
    return s ? Object.fromEntries([...s.dests].map(([k, d]) => [k, d.weight])) : {};
  }
}
