/**
 * Fuzz targets: every decoder of untrusted input, each as a function of raw bytes that throws
 * only when one of the project's own rules is broken (a decoder threw, or returned something
 * out of range). One module so the coverage-guided runner (scripts/fuzz.ts, libFuzzer) and the
 * corpus replay in npm test (test/unit/fuzz-corpus.test.ts) call exactly the same code.
 * Inputs are bytes; a target that needs structure takes its first bytes as parameters.
 */
import { rt, parseMessages, type NetlinkMessage } from 'netlink';
import { decodeAdvert, validateForInstance } from '../../src/vrrp/packet';
import type { InstanceWireConfig, RxMeta } from '../../src/vrrp/types';
import { loadConfigText } from '../../src/config/load';
import { decodeAddress, decodeLink, tryParse } from '../../src/net/rtnl-codec';
import { decodeRouteDeleted } from '../../src/net/rtnl-route-watch';
import { decodeDaemon, decodeDest, decodeFamilyId, decodeInfo, decodeService, decodeTimeouts, parseAttrs } from '../../src/lvs/ipvs-codec';
import { LineSplitter, parseRequest, parseResponse } from '../../src/control/protocol';
import { decodeControl, encodeControl } from '../../src/bfd/packet';
import { createSession, nextDeadline as bfdNextDeadline, receive } from '../../src/bfd/session';

export class FuzzFinding extends Error {}

function must(cond: boolean, what: string): void {
  if (!cond) throw new FuzzFinding(what);
}

const WIRE: InstanceWireConfig[] = [
  { name: 'VI_4', vrid: 51, version: 2, family: 'inet', advertIntCs: 100, vips: ['192.0.2.100'], auth: { type: 'PASS', password: 'secret' } },
  { name: 'VI_3', vrid: 51, version: 3, family: 'inet', advertIntCs: 100, vips: ['192.0.2.100'], unicastPeers: ['192.0.2.2'], checkUnicastSrc: true },
  { name: 'VI_6', vrid: 51, version: 3, family: 'inet6', advertIntCs: 100, vips: ['2001:db8::100'] },
];

/** VRRP receive path: byte 0 picks family/unicast/TTL, the rest is the VRRP message. */
export function vrrp(data: Buffer): void {
  if (data.length < 1) return;
  const sel = data[0]!;
  const family = sel & 1 ? 'inet6' : 'inet';
  const rx: RxMeta = {
    family,
    src: family === 'inet' ? '192.0.2.2' : 'fe80::2',
    dst: family === 'inet' ? '224.0.0.18' : 'ff02::12',
    ttl: sel & 2 ? 255 : sel,
    unicast: (sel & 4) !== 0,
  };
  const r = decodeAdvert(data.subarray(1), rx);
  if (!r.ok) {
    must(typeof r.reason === 'string' && typeof r.detail === 'string', 'drop without reason');
    return;
  }
  const a = r.advert;
  must(a.version === 2 || a.version === 3, `version ${a.version}`);
  must(a.vrid >= 0 && a.vrid <= 255 && a.priority >= 0 && a.priority <= 255, 'vrid/priority out of a byte');
  must(a.addresses.length === a.countAddrs, 'address count differs from the count field');
  must(a.advertIntCs >= 0 && a.advertIntCs <= (a.version === 2 ? 25500 : 4095), `advert interval ${a.advertIntCs}`);
  for (const w of WIRE) {
    const v = validateForInstance(a, w, rx);
    must(v.ok || (typeof v.reason === 'string' && typeof v.detail === 'string'), 'validate without reason');
  }
}

const files: Record<string, string> = {
  '/etc/keepalived/a.conf': 'vrrp_instance A { interface lo\n virtual_router_id 1\n priority 100\n virtual_ipaddress { 192.0.2.1 } }\n',
  '/etc/keepalived/b.conf': 'include a.conf\n',
};

/** The whole config front end: preprocessor, lexer, parser, keyword tables, resolution, validation. */
export function config(data: Buffer): void {
  const text = data.toString('latin1');
  const r = loadConfigText(text, '/etc/keepalived/keepalived.conf', {
    configId: 'fuzz',
    readFile: (p) => {
      const f = files[p];
      if (f === undefined) throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
      return f;
    },
    glob: (pattern) => Object.keys(files).filter((f) => f === pattern),
    random: (min) => min,
  });
  must(Array.isArray(r.diagnostics), 'no diagnostics array');
  must(r.diagnostics.length <= 1001, `diagnostics not bounded: ${r.diagnostics.length}`);
  for (const d of r.diagnostics) must(typeof d.message === 'string', 'diagnostic without message');
}

/** rtnetlink as the daemon reads it: datagram → messages → link/address/route events. */
export function rtnl(data: Buffer): void {
  let msgs: NetlinkMessage[];
  try {
    msgs = parseMessages(data);
  } catch {
    return; // the socket drops a datagram the library cannot split (src/net/nl-socket.ts)
  }
  const T = rt.MessageType;
  for (const m of msgs) {
    // as Rtnl's watcher (src/net/rtnl.ts toEvent) and the route watch decode them
    if (m.type === T.NEWLINK || m.type === T.DELLINK) {
      const l = tryParse(rt.parseLinkMessage, m.data);
      if (l) decodeLink(l);
    } else if (m.type === T.NEWADDR || m.type === T.DELADDR) {
      const a = tryParse(rt.parseAddressMessage, m.data);
      if (a) decodeAddress(a, 'lo');
    }
    else decodeRouteDeleted({ ...m, type: T.DELROUTE });
  }
}

/** IPVS generic-netlink replies: every decoder on the same payload. */
export function ipvs(data: Buffer): void {
  parseAttrs(data);
  for (const r of [decodeService(data), decodeDest(data, 'inet'), decodeDest(data, 'inet6'), decodeInfo(data), decodeTimeouts(data), decodeDaemon(data), decodeFamilyId(data)]) {
    must(typeof r === 'object' && r !== null, 'decoder returned nothing');
  }
}

/** Control socket: the line splitter fed in two chunks, then every line parsed as a request and as a response. */
export function control(data: Buffer): void {
  const text = data.toString('utf8');
  const s = new LineSplitter();
  const cut = data.length ? data[0]! % (text.length + 1) : 0;
  const lines = [...s.push(text.slice(0, cut)), ...s.push(text.slice(cut)), text];
  for (const l of lines) {
    const r = parseRequest(l);
    must(r.ok || (typeof r.error.code === 'string' && typeof r.error.message === 'string'), 'error reply without code');
    parseResponse(l);
  }
}

/** BFD control packets (RFC 5880 §4.1): decode, re-encode what was decoded, and feed a session. */
export function bfd(data: Buffer): void {
  const r = decodeControl(data);
  if (!r.ok) {
    must(typeof r.reason === 'string' && typeof r.detail === 'string', 'drop without reason');
    return;
  }
  const p = r.pkt;
  must(p.detectMult > 0 && p.myDiscr !== 0 && !p.multipoint, '§6.8.6 checks let through a packet they must discard');
  if (!p.auth && !p.demand && !p.cpi) {
    const again = decodeControl(encodeControl(p));
    must(again.ok && JSON.stringify(again.pkt) === JSON.stringify(p), 'decode(encode(decoded)) differs');
  }
  let seq = 0;
  const rand = (): number => ((seq = (seq * 1103515245 + 12345) >>> 0) % 1000) / 1000;
  const s0 = createSession({ localDiscr: 1, desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, idleTxUs: 1_000_000, detectMult: 3, passive: (data[0]! & 1) === 1 }, 10, rand);
  const step = receive(s0, { ...p, yourDiscr: data.length & 2 ? 1 : p.yourDiscr }, 10, rand);
  const d = bfdNextDeadline(step.session);
  must(d === undefined || d >= 10, `deadline ${d} in the past`);
}

export const TARGETS: Record<string, (data: Buffer) => void> = { vrrp, config, rtnl, ipvs, control, bfd };
