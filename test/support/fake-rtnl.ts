/**
 * In-memory RtnlPort for unit and sim tests of the daemon. It keeps links, addresses, routes
 * and rules like a tiny kernel, with the real adapter's semantics: idempotent add/delete,
 * ERR_NETLINK_NO_DEVICE for unknown interfaces, ERR_NETLINK_INVALID_ARG for specs the real
 * codec rejects (it reuses the codec's encoders to validate). It records every call, reports
 * its own changes to watchers as the kernel does, and lets a test inject events, pull a cable
 * or remove an address "behind our back", or make the next call of an op fail.
 *
 * Events are delivered on a microtask (never re-entrantly from inside a port call); tests
 * `await fake.settle()` before asserting on what a watcher saw.
 */
import type {
  AddressSpec, InstalledAddress, IpvlanFlags, LinkInfo, MacvlanMode, NetEvent, RouteSpec, RtnlErrorCode, RtnlPort, RtnlWatch,
  RuleSpec,
} from '../../src/net/ports';
import {
  describeAddress, describeRoute, describeRule, encodeAddress, encodeIpvlan, encodeMacvlan, encodeRoute, encodeRule, ERRNO, formatIp,
  parseIp, RtnlError,
} from '../../src/net/rtnl-codec';
import { formatMac, isValidIfname, parseMac } from '../../src/net/vmac';

export interface FakeCall {
  op: string;
  args: unknown[];
}

export interface FakeLink extends LinkInfo {
  adminUp: boolean;
  carrier: boolean;
  parent?: string;
  macvlanMode?: MacvlanMode;
  ipvlanFlags?: IpvlanFlags;
}

type Failure = { code: RtnlErrorCode; errno: number };

function norm(ip: string): string {
  const p = parseIp(ip);
  return p ? formatIp(p.bytes) : ip;
}

export class FakeRtnl implements RtnlPort {
  readonly calls: FakeCall[] = [];
  readonly links = new Map<string, FakeLink>();
  readonly addresses: InstalledAddress[] = [];
  readonly routes = new Map<string, RouteSpec>();
  readonly rules = new Map<string, RuleSpec>();
  closed = false;
  /** Exceptions thrown by watcher callbacks (a test should expect this to stay empty). */
  readonly callbackErrors: unknown[] = [];
  private nextIndex = 1;
  private readonly watchers = new Set<(e: NetEvent) => void>();
  private readonly failures = new Map<string, Failure[]>();
  private pending: Promise<void> = Promise.resolve();

  constructor(opts: { links?: Array<{ ifname: string; mac?: string; up?: boolean; kind?: string }> } = {}) {
    this.addLink('lo', { mac: '00:00:00:00:00:00' });
    for (const l of opts.links ?? [{ ifname: 'eth0' }]) this.addLink(l.ifname, l);
  }

  // ---------- test controls ----------

  /** Create an interface without recording a call (test setup). Up with carrier by default. */
  addLink(ifname: string, o: { mac?: string; up?: boolean; kind?: string } = {}): FakeLink {
    const idx = this.nextIndex++;
    const link: FakeLink = {
      ifindex: idx, ifname, up: o.up ?? true, adminUp: o.up ?? true, carrier: true,
      mac: o.mac ?? `02:00:00:00:00:${idx.toString(16).padStart(2, '0')}`,
    };
    if (o.kind !== undefined) link.kind = o.kind;
    this.links.set(ifname, link);
    return link;
  }

  /** Make the next call(s) of `op` fail with this code/errno (queued, one per call). */
  failNext(op: keyof RtnlPort, code: RtnlErrorCode = 'ERR_NETLINK_REQUEST', errno: number = ERRNO.EINVAL): void {
    const q = this.failures.get(op) ?? [];
    q.push({ code, errno });
    this.failures.set(op, q);
  }

  /** Deliver an event to every watcher as if the kernel had sent it. */
  inject(e: NetEvent): void {
    for (const w of [...this.watchers]) {
      this.pending = this.pending
        .then(() => {
          if (this.watchers.has(w)) w(e); // a watch closed meanwhile gets nothing more
        })
        .catch((err: unknown) => void this.callbackErrors.push(err));
    }
  }

  /** Carrier change (cable pulled / restored), as seen through IFF_RUNNING. Emits a link event. */
  setCarrier(ifname: string, carrier: boolean): void {
    const l = this.mustLink(ifname);
    l.carrier = carrier;
    this.refresh(l);
  }

  /** Someone ran `ip addr del`: remove it and report addr-removed. Returns false if absent. */
  removeBehindBack(address: string, ifname?: string): boolean {
    const i = this.addresses.findIndex((a) => a.address === norm(address) && (ifname === undefined || a.ifname === ifname));
    if (i < 0) return false;
    const [gone] = this.addresses.splice(i, 1);
    if (gone) this.inject({ type: 'addr-removed', addr: gone });
    return true;
  }

  /** Wait until every event queued so far has been delivered. */
  async settle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.pending) {
      seen = this.pending;
      await seen;
    }
  }

  hasAddress(address: string, ifname?: string): boolean {
    return this.addresses.some((a) => a.address === norm(address) && (ifname === undefined || a.ifname === ifname));
  }

  callsOf(op: string): unknown[][] {
    return this.calls.filter((c) => c.op === op).map((c) => c.args);
  }

  // ---------- RtnlPort ----------

  async addAddress(spec: AddressSpec): Promise<void> {
    this.enter('addAddress', describeAddress(spec), [spec]);
    const link = this.deviceFor('addAddress', describeAddress(spec), spec.dev);
    encodeAddress(spec, link.ifindex, 'add');
    if (this.findAddress(spec, link) >= 0) return;
    const addr: InstalledAddress = {
      family: spec.family, address: norm(spec.address), prefixLen: spec.prefixLen, ifname: link.ifname, ifindex: link.ifindex,
    };
    if (spec.family === 'inet') addr.label = spec.label ?? link.ifname;
    this.addresses.push(addr);
    this.inject({ type: 'addr-added', addr });
  }

  async delAddress(spec: AddressSpec): Promise<void> {
    this.enter('delAddress', describeAddress(spec), [spec]);
    const link = this.links.get(spec.dev);
    if (!link) return;
    encodeAddress(spec, link.ifindex, 'del');
    const i = this.findAddress(spec, link);
    if (i < 0) return;
    const [gone] = this.addresses.splice(i, 1);
    if (gone) this.inject({ type: 'addr-removed', addr: gone });
  }

  async listAddresses(ifname?: string): Promise<InstalledAddress[]> {
    this.enter('listAddresses', ifname ?? 'all', [ifname]);
    return this.addresses.filter((a) => ifname === undefined || a.ifname === ifname).map((a) => ({ ...a }));
  }

  async addRoute(spec: RouteSpec): Promise<void> {
    const target = describeRoute(spec);
    this.enter('addRoute', target, [spec]);
    const oif = spec.dev === undefined ? undefined : this.deviceFor('addRoute', target, spec.dev).ifindex;
    encodeRoute(spec, oif, 'add');
    const key = routeKey(spec);
    if (!this.routes.has(key)) this.routes.set(key, spec);
  }

  async delRoute(spec: RouteSpec): Promise<void> {
    this.enter('delRoute', describeRoute(spec), [spec]);
    encodeRoute(spec, undefined, 'del');
    this.routes.delete(routeKey(spec));
  }

  async addRule(spec: RuleSpec): Promise<void> {
    this.enter('addRule', describeRule(spec), [spec]);
    encodeRule(spec, 'add');
    const key = ruleKey(spec);
    if (!this.rules.has(key)) this.rules.set(key, spec);
  }

  async delRule(spec: RuleSpec): Promise<void> {
    this.enter('delRule', describeRule(spec), [spec]);
    encodeRule(spec, 'del');
    this.rules.delete(ruleKey(spec));
  }

  async getLink(ifname: string): Promise<LinkInfo | undefined> {
    this.enter('getLink', ifname, [ifname]);
    const l = this.links.get(ifname);
    return l && publicLink(l);
  }

  async listLinks(): Promise<LinkInfo[]> {
    this.enter('listLinks', 'all', []);
    return [...this.links.values()].map(publicLink);
  }

  async createMacvlan(name: string, parentIfname: string, mac: string, mode: MacvlanMode): Promise<LinkInfo> {
    const target = `${name} link ${parentIfname} address ${mac} mode ${mode}`;
    this.enter('createMacvlan', target, [name, parentIfname, mac, mode]);
    if (!isValidIfname(name)) throw new RtnlError('ERR_NETLINK_INVALID_ARG', ERRNO.EINVAL, 'createMacvlan', target, `bad interface name "${name}"`);
    const parent = this.deviceFor('createMacvlan', target, parentIfname);
    encodeMacvlan(name, parent.ifindex, mac, mode);
    const macText = formatMac(parseMac(mac) ?? new Uint8Array(6));
    const existing = this.links.get(name);
    if (existing) {
      if (existing.kind === 'macvlan' && existing.parent === parentIfname && existing.mac === macText) return publicLink(existing);
      throw new RtnlError('ERR_NETLINK_REQUEST', ERRNO.EEXIST, 'createMacvlan', target);
    }
    const link = this.addLink(name, { mac: macText, up: false, kind: 'macvlan' });
    link.parent = parentIfname;
    link.macvlanMode = mode;
    this.refresh(link);
    return publicLink(link);
  }

  async createIpvlan(name: string, parentIfname: string, flags: IpvlanFlags): Promise<LinkInfo> {
    const target = `${name} link ${parentIfname} type ipvlan mode l2 ${flags}`;
    this.enter('createIpvlan', target, [name, parentIfname, flags]);
    if (!isValidIfname(name)) throw new RtnlError('ERR_NETLINK_INVALID_ARG', ERRNO.EINVAL, 'createIpvlan', target, `bad interface name "${name}"`);
    const parent = this.deviceFor('createIpvlan', target, parentIfname);
    encodeIpvlan(name, parent.ifindex, flags);
    const existing = this.links.get(name);
    if (existing) {
      if (existing.kind === 'ipvlan' && existing.parent === parentIfname) return publicLink(existing);
      throw new RtnlError('ERR_NETLINK_REQUEST', ERRNO.EEXIST, 'createIpvlan', target);
    }
    // An ipvlan shares its parent's MAC.
    const link = this.addLink(name, { mac: parent.mac, up: false, kind: 'ipvlan' });
    link.parent = parentIfname;
    link.ipvlanFlags = flags;
    this.refresh(link);
    return publicLink(link);
  }

  async deleteLink(name: string): Promise<void> {
    this.enter('deleteLink', name, [name]);
    const link = this.links.get(name);
    if (!link) return;
    this.links.delete(name);
    for (let i = this.addresses.length - 1; i >= 0; i--) {
      const a = this.addresses[i];
      if (a && a.ifindex === link.ifindex) {
        this.addresses.splice(i, 1);
        this.inject({ type: 'addr-removed', addr: a });
      }
    }
    this.inject({ type: 'link-deleted', ifindex: link.ifindex, ifname: link.ifname });
  }

  async setLinkUp(name: string, up: boolean): Promise<void> {
    const target = `${name} ${up ? 'up' : 'down'}`;
    this.enter('setLinkUp', target, [name, up]);
    const link = this.deviceFor('setLinkUp', target, name);
    link.adminUp = up;
    this.refresh(link);
  }

  watch(cb: (e: NetEvent) => void, _onError?: (err: Error) => void): RtnlWatch {
    this.enter('watch', 'link/addr', []);
    this.watchers.add(cb);
    return { close: () => void this.watchers.delete(cb) };
  }

  close(): void {
    this.calls.push({ op: 'close', args: [] });
    this.closed = true;
    this.watchers.clear();
  }

  // ---------- internals ----------

  private enter(op: string, target: string, args: unknown[]): void {
    this.calls.push({ op, args });
    if (this.closed) throw new RtnlError('ERR_NETLINK_CLOSED', 0, op, target, 'port closed');
    const f = this.failures.get(op)?.shift();
    if (f) throw new RtnlError(f.code, f.errno, op, target, 'injected failure');
  }

  private mustLink(ifname: string): FakeLink {
    const l = this.links.get(ifname);
    if (!l) throw new Error(`fake-rtnl: no link ${ifname}`);
    return l;
  }

  private deviceFor(op: string, target: string, ifname: string): FakeLink {
    const l = this.links.get(ifname);
    if (!l) throw new RtnlError('ERR_NETLINK_NO_DEVICE', ERRNO.ENODEV, op, target, `no interface "${ifname}"`);
    return l;
  }

  private findAddress(spec: AddressSpec, link: FakeLink): number {
    const a = norm(spec.address);
    return this.addresses.findIndex((x) => x.ifindex === link.ifindex && x.address === a && x.prefixLen === spec.prefixLen);
  }

  /** Recompute `up` and report the link as the kernel does after any flag change. */
  private refresh(l: FakeLink): void {
    l.up = l.adminUp && l.carrier;
    this.inject({ type: 'link', link: publicLink(l) });
  }
}

function publicLink(l: FakeLink): LinkInfo {
  const out: LinkInfo = { ifindex: l.ifindex, ifname: l.ifname, up: l.up, mac: l.mac };
  if (l.kind !== undefined) out.kind = l.kind;
  return out;
}

/** The kernel's identity of a route: destination, table, metric, tos (and family). */
export function routeKey(r: RouteSpec): string {
  const [addr = '', len] = r.to.split('/');
  const to = r.to === 'default' ? 'default' : `${norm(addr)}/${len ?? (r.family === 'inet6' ? 128 : 32)}`;
  return `${r.family} ${to} table ${r.table ?? 254} metric ${r.metric ?? 0} tos ${r.tos ?? 0}`;
}

export function ruleKey(r: RuleSpec): string {
  const keys = ['family', 'priority', 'from', 'to', 'iif', 'oif', 'fwmark', 'fwmask', 'table', 'action', 'invert', 'tos'] as const;
  return keys.map((k) => `${k}=${String(r[k] ?? '')}`).join(' ');
}
