/**
 * IpvsPort: the kernel's IPVS table over generic netlink (npm `netlink` for the socket only;
 * every byte of the IPVS payloads comes from ./ipvs-codec). Errors are IpvsError with a stable
 * code and the kernel's errno; callers decide on `code`/`errno`, never on message text.
 */
import { NlSocket } from '../net/nl-socket';
import { loadNative } from '../net/native';
import {
  encode, decodeService, decodeDest, decodeInfo, decodeTimeouts, decodeDaemon, encodeGetFamily, decodeFamilyId,
  GENL_ID_CTRL, IPVS_GENL_NAME, type Decoded, type IpvsDaemon, type IpvsDest, type IpvsInfo, type IpvsService,
  type IpvsTimeouts, type ServiceId,
} from './ipvs-codec';

export type IpvsErrorCode =
  | 'ERR_IPVS_NO_FAMILY' // the kernel has no "IPVS" generic-netlink family (ip_vs not loaded / not built)
  | 'ERR_IPVS_EXISTS' // EEXIST: service or destination already there
  | 'ERR_IPVS_NOT_FOUND' // ESRCH/ENOENT: no such service/destination (or scheduler module)
  | 'ERR_IPVS_REQUEST' // any other errno from the kernel
  | 'ERR_IPVS_TIMEOUT' // no reply within the request timeout
  | 'ERR_IPVS_DECODE' // a reply we could not decode
  | 'ERR_IPVS_CLOSED';

export class IpvsError extends Error {
  constructor(
    readonly code: IpvsErrorCode,
    message: string,
    readonly errno?: number,
    readonly op?: string,
  ) {
    super(message);
    this.name = 'IpvsError';
  }
}

const ERRNO_NAME: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 12: 'ENOMEM', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 95: 'EOPNOTSUPP' };

function errnoError(op: string, errno: number): IpvsError {
  const code: IpvsErrorCode = errno === 17 ? 'ERR_IPVS_EXISTS' : errno === 3 || errno === 2 ? 'ERR_IPVS_NOT_FOUND' : 'ERR_IPVS_REQUEST';
  return new IpvsError(code, `IPVS ${op} failed: ${ERRNO_NAME[errno] ?? 'errno ' + errno}`, errno, op);
}

/** The kernel IPVS table. A fake (test/support or tests) implements the same interface. */
export interface IpvsPort {
  info(): Promise<IpvsInfo>;
  listServices(): Promise<IpvsService[]>;
  listDests(id: ServiceId): Promise<IpvsDest[]>;
  addService(s: IpvsService): Promise<void>;
  editService(s: IpvsService): Promise<void>;
  delService(id: ServiceId): Promise<void>;
  addDest(id: ServiceId, d: IpvsDest): Promise<void>;
  editDest(id: ServiceId, d: IpvsDest): Promise<void>;
  delDest(id: ServiceId, d: Pick<IpvsDest, 'addr' | 'port' | 'af'>): Promise<void>;
  flush(): Promise<void>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: IpvsTimeouts): Promise<void>;
  addDaemon(d: IpvsDaemon): Promise<void>;
  delDaemon(state: IpvsDaemon['state']): Promise<void>;
  listDaemons(): Promise<IpvsDaemon[]>;
  close(): void;
}

const NLM_F_ROOT = 0x100;
const NLM_F_MATCH = 0x200;
const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
const NLMSG_ERROR = 2;

interface Reply { type: number; data: Buffer }

export interface NetlinkIpvsOptions {
  /** Per-request timeout (ms). A wedged kernel request must not hang the checker forever. */
  timeoutMs?: number;
}

export class NetlinkIpvs implements IpvsPort {
  private closed = false;

  private constructor(
    private readonly sock: NlSocket,
    private readonly familyId: number,
    private readonly timeoutMs: number,
  ) {}

  /** Open a socket and resolve the "IPVS" family; ERR_IPVS_NO_FAMILY when the kernel lacks it. */
  static async open(opts: NetlinkIpvsOptions = {}): Promise<NetlinkIpvs> {
    const timeoutMs = opts.timeoutMs ?? 5000;
    // Our own netlink socket (src/net/nl-socket.ts): a receive-buffer overrun is an error event,
    // never a process abort as with the npm package's binding.
    const addon = loadNative();
    const sock = new NlSocket(addon.constants.NETLINK_GENERIC, { addon, rcvbuf: 1 << 20 });
    sock.on('error', () => { /* surfaced through the pending request */ });
    try {
      const replies = await rawRequest(sock, GENL_ID_CTRL, encodeGetFamily(IPVS_GENL_NAME), 0, timeoutMs, 'resolve family');
      const first = replies[0];
      const id: Decoded<number> = first ? decodeFamilyId(first.data) : { ok: false, reason: 'empty reply' };
      if (!id.ok) throw new IpvsError('ERR_IPVS_DECODE', `cannot decode the IPVS family id: ${id.reason}`);
      return new NetlinkIpvs(sock, id.value, timeoutMs);
    } catch (e) {
      sock.close();
      if (e instanceof IpvsError && e.errno === 2) {
        throw new IpvsError('ERR_IPVS_NO_FAMILY', 'the kernel has no IPVS support (generic netlink family "IPVS" not found; is ip_vs loaded?)', 2, 'resolve family');
      }
      throw e;
    }
  }

  private async call(op: string, payload: Buffer, dump = false): Promise<Reply[]> {
    if (this.closed) throw new IpvsError('ERR_IPVS_CLOSED', 'IPVS socket is closed', undefined, op);
    return rawRequest(this.sock, this.familyId, payload, dump ? NLM_F_DUMP : 0, this.timeoutMs, op);
  }

  private decodeAll<T>(op: string, replies: Reply[], dec: (p: Buffer) => Decoded<T>): T[] {
    return replies.map((r) => {
      const d = dec(r.data);
      if (!d.ok) throw new IpvsError('ERR_IPVS_DECODE', `IPVS ${op}: ${d.reason}`, undefined, op);
      return d.value;
    });
  }

  async info(): Promise<IpvsInfo> {
    const [v] = this.decodeAll('get info', await this.call('get info', encode.getInfo()), decodeInfo);
    if (!v) throw new IpvsError('ERR_IPVS_DECODE', 'IPVS get info: empty reply');
    return v;
  }
  async listServices(): Promise<IpvsService[]> {
    return this.decodeAll('list services', await this.call('list services', encode.getServices(), true), decodeService);
  }
  async listDests(id: ServiceId): Promise<IpvsDest[]> {
    return this.decodeAll('list dests', await this.call('list dests', encode.getDests(id), true), (p) => decodeDest(p, id.af));
  }
  async addService(s: IpvsService): Promise<void> { await this.call('add service', encode.newService(s)); }
  async editService(s: IpvsService): Promise<void> { await this.call('edit service', encode.setService(s)); }
  async delService(id: ServiceId): Promise<void> { await this.call('delete service', encode.delService(id)); }
  async addDest(id: ServiceId, d: IpvsDest): Promise<void> { await this.call('add dest', encode.newDest(id, d)); }
  async editDest(id: ServiceId, d: IpvsDest): Promise<void> { await this.call('edit dest', encode.setDest(id, d)); }
  async delDest(id: ServiceId, d: Pick<IpvsDest, 'addr' | 'port' | 'af'>): Promise<void> { await this.call('delete dest', encode.delDest(id, d)); }
  async flush(): Promise<void> { await this.call('flush', encode.flush()); }
  async getTimeouts(): Promise<IpvsTimeouts> {
    const [v] = this.decodeAll('get config', await this.call('get config', encode.getConfig()), decodeTimeouts);
    if (!v) throw new IpvsError('ERR_IPVS_DECODE', 'IPVS get config: empty reply');
    return v;
  }
  async setTimeouts(t: IpvsTimeouts): Promise<void> { await this.call('set config', encode.setTimeouts(t)); }
  async addDaemon(d: IpvsDaemon): Promise<void> { await this.call('start sync daemon', encode.newDaemon(d)); }
  async delDaemon(state: IpvsDaemon['state']): Promise<void> { await this.call('stop sync daemon', encode.delDaemon(state)); }
  async listDaemons(): Promise<IpvsDaemon[]> {
    return this.decodeAll('list daemons', await this.call('list daemons', encode.getDaemons(), true), decodeDaemon);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sock.close();
  }
}

/** One request; an NLMSG_ERROR with errno != 0 becomes an IpvsError, an ACK an empty list. */
async function rawRequest(sock: NlSocket, type: number, payload: Buffer, flags: number, timeoutMs: number, op: string): Promise<Reply[]> {
  let msgs: Reply[];
  try {
    [msgs] = await sock.request(type, [payload], { flags, timeout: timeoutMs });
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    if (/Timeout/.test(msg)) throw new IpvsError('ERR_IPVS_TIMEOUT', `IPVS ${op}: no reply within ${timeoutMs} ms`, undefined, op);
    throw new IpvsError('ERR_IPVS_REQUEST', `IPVS ${op}: ${msg}`, (e as { errno?: number }).errno, op);
  }
  const first = msgs[0];
  if (first && first.type === NLMSG_ERROR) {
    const errno = first.data.length >= 4 ? Math.abs(first.data.readInt32LE(0)) : 0;
    if (errno !== 0) throw errnoError(op, errno);
    return [];
  }
  return msgs.map((m) => ({ type: m.type, data: m.data }));
}
