/**
 * DNS_CHECK: one query (RFC 1035 §4.1) over UDP; the reply must carry our id, QR=1,
 * RCODE=0 (NOERROR) and at least one answer record.
 */
import { fail, ok, type Probe, type ProbeResult } from '../result';
import type { ConnectOptions } from './tcp';
import { udpExchange } from './udp';

export const DNS_TYPES = { A: 1, NS: 2, CNAME: 5, SOA: 6, MX: 15, TXT: 16, AAAA: 28 } as const;
export type DnsType = keyof typeof DNS_TYPES;

export interface DnsOptions extends ConnectOptions {
  type?: DnsType; // default SOA
  name?: string; // default "."
  /** Query id source (injected for tests). */
  randomId?: () => number;
}

/** RFC 1035 §3.1: a name is a sequence of length-prefixed labels ending in the root (0). */
export function encodeName(name: string): Buffer {
  const labels = name.split('.').filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    parts.push(Buffer.from([Math.min(63, b.length)]), b.subarray(0, 63));
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

/** Header: id, flags RD=1, QDCOUNT=1; then QNAME, QTYPE, QCLASS=IN. */
export function buildDnsQuery(id: number, name: string, type: DnsType): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id & 0xffff, 0);
  header.writeUInt16BE(0x0100, 2); // RD
  header.writeUInt16BE(1, 4);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(DNS_TYPES[type], 0);
  q.writeUInt16BE(1, 2);
  return Buffer.concat([header, encodeName(name), q]);
}

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function judgeDnsReply(id: number, reply: Uint8Array): ProbeResult {
  if (reply.length < 12) return fail('protocol', `short reply (${reply.length} bytes)`);
  const b = Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength);
  if (b.readUInt16BE(0) !== (id & 0xffff)) return fail('protocol', 'ID mismatch');
  const flags = b.readUInt16BE(2);
  if (!(flags & 0x8000)) return fail('protocol', 'not a response (QR=0)');
  const rcode = flags & 0xf;
  if (rcode !== 0) return fail('protocol', `RCODE ${RCODES[rcode] ?? rcode}`);
  const an = b.readUInt16BE(6);
  if (an === 0) return fail('protocol', 'no answer records');
  return ok(`${an} answer(s)`);
}

export function dnsProbe(o: DnsOptions): Probe {
  const rnd = o.randomId ?? (() => Math.floor(Math.random() * 0x10000));
  return async (signal) => {
    const id = rnd() & 0xffff;
    const query = buildDnsQuery(id, o.name ?? '.', o.type ?? 'SOA');
    // Only a datagram with our id is the reply; anything else is ignored.
    const ex = await udpExchange(o, query, signal, (m) => m.length >= 2 && m.readUInt16BE(0) === id);
    if ('error' in ex) return ex.error;
    if ('silent' in ex) return fail('timeout', 'no reply');
    return judgeDnsReply(id, ex.reply);
  };
}
