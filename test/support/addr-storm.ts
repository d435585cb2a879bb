/**
 * An address-event storm for netlink overrun tests, run as a child inside a namespace:
 *   node addr-storm.js <ifname> <events_per_s> <seconds>
 * Adds then deletes the same 250 IPv6 /128 addresses (2001:db8:5::/64, documentation range) on
 * <ifname>, paced to <events_per_s> address events (one per add or delete), for <seconds>
 * (bounded: it stops at the deadline and leaves no address behind). The requests go out
 * pipelined through our rtnetlink port (one datagram per 250 adds; `ip -batch` waits for each
 * ACK and reaches only ~1,500-3,500 events/s on a loaded 2-core host). Prints one JSON line:
 * { events, seconds, rate }.
 */
import { Rtnl } from '../../src/net/rtnl';
import type { AddressSpec } from '../../src/net/ports';

const CHUNK = 250;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const [ifname, rateText, secondsText] = process.argv.slice(2);
  const rate = Number(rateText);
  const seconds = Number(secondsText);
  if (!ifname || !(rate > 0) || !(seconds > 0) || seconds > 600) throw new Error('usage: addr-storm <ifname> <events_per_s> <seconds ≤ 600>');
  const rtnl = new Rtnl({ timeoutMs: 10_000 });
  const specs: AddressSpec[] = Array.from({ length: CHUNK }, (_, i) => ({ family: 'inet6' as const, address: `2001:db8:5::${(i + 1).toString(16)}`, prefixLen: 128, dev: ifname, noDad: true }));
  const addAll = (): Promise<unknown> => Promise.all(rtnl.addAddresses ? rtnl.addAddresses(specs) : specs.map((s) => rtnl.addAddress(s)));
  const delAll = (): Promise<unknown> => Promise.all(specs.map((s) => rtnl.delAddress(s)));
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
    rtnl.close();
  }
  const secs = (performance.now() - t0) / 1000;
  process.stdout.write(`${JSON.stringify({ events, seconds: secs, rate: Math.round(events / secs) })}\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`${e.message}\n`);
  process.exit(1);
});
