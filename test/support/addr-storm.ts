/**
 * An address-event storm for netlink overrun tests, run as a child inside a namespace:
 *   node addr-storm.js <ifname> <events_per_s> <seconds>
 * Adds then deletes the same 250 IPv6 /128 addresses (2001:db8:5::/64, documentation range) on
 * <ifname>, paced to <events_per_s> address events (one per add or delete), for <seconds>
 * (bounded: it stops at the deadline and leaves no address behind). Every RTM_NEWADDR and
 * RTM_DELADDR is encoded once, up front, with the interface's index; each half-cycle sends its
 * 250 requests corked into one datagram on one netlink socket, so the storm costs the kernel's
 * address work and little else (`ip -batch` waits for each ACK and reached ~1,500-3,500
 * events/s on a loaded 2-core host; a per-delete RTM_GETLINK lookup held it near 2,000).
 * Prints one JSON line: { events, seconds, rate }.
 */
import * as rt from 'netlink/dist/rt/structs';
import { AttrStream } from 'netlink/dist/structs';
import { createRouteSocket } from '../../src/net/nl-socket';
import { encodeAddress } from '../../src/net/rtnl-codec';
import { ifindexOf } from '../../src/net/ifinfo';
import type { AddressSpec } from '../../src/net/ports';

const CHUNK = 250;
const RTM_NEWADDR = 20;
const RTM_DELADDR = 21;
const NLM_F_CREATE_EXCL = 0x600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function body(spec: AddressSpec, ifindex: number, op: 'add' | 'del'): Uint8Array[] {
  const out = new AttrStream();
  rt.formatAddressMessage({ kind: 'address', ...encodeAddress(spec, ifindex, op) }, out);
  return out.bufs;
}

async function main(): Promise<void> {
  const [ifname, rateText, secondsText] = process.argv.slice(2);
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  if (!ifname || !(rate > 0) || !(seconds > 0) || seconds > 600) throw new Error('usage: addr-storm <ifname> <events_per_s> <seconds ≤ 600>');
  const ifindex = ifindexOf(ifname);
  const specs: AddressSpec[] = Array.from({ length: CHUNK }, (_, i) => ({ family: 'inet6' as const, address: `2001:db8:5::${(i + 1).toString(16)}`, prefixLen: 128, dev: ifname, noDad: true }));
  const adds = specs.map((s) => body(s, ifindex, 'add'));
  const dels = specs.map((s) => body(s, ifindex, 'del'));
  const { socket } = createRouteSocket({ maxInFlight: CHUNK });
  const send = (type: number, bodies: Uint8Array[][], flags: number): Promise<unknown> => {
    socket.cork();
    try {
      return Promise.all(bodies.map((b) => socket.request(type, b, { flags, timeout: 10_000 })));
    } finally {
      socket.uncork();
    }
  };
  const addAll = (): Promise<unknown> => send(RTM_NEWADDR, adds, NLM_F_CREATE_EXCL);
  const delAll = (): Promise<unknown> => send(RTM_DELADDR, dels, 0);
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let events = 0;
  let added = false;
  try {
    for (;;) {
      const now = performance.now();
      if (now >= end) break;
      const due = ((now - t0) / 1000) * rate;
      if (events + CHUNK / 2 <= due) {
        await (added ? delAll() : addAll());
        added = !added;
        events += CHUNK;
      } else {
        await sleep(5);
      }
    }
  } finally {
    if (added) await delAll();
    socket.close();
  }
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ events, seconds: secs, rate: Math.round(events / secs) })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
