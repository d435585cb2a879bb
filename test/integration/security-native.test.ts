/**
 * Native-side security and robustness findings:
 *  - netlink: a userspace process with CAP_NET_ADMIN can multicast to rtnetlink groups; our
 *    watcher must believe only the kernel (sender port id 0). A python3 socket forges
 *    RTM_NEWADDR inside a lab namespace (never the host's: other daemons listen there).
 *  - the timerfd timer clamps absurd delays instead of overflowing into "fire now".
 */
import t from 'tap';
import { join } from 'node:path';
import { Lab, OutputWatcher, isRoot, waitFor } from '../support/netns';
import { loadNative } from '../../src/net/native';

const PROBE = join(__dirname, '..', 'support', 'rtnl-probe.js');

// RTM_NEWADDR (20) for `addr` on ifindex 1, multicast to RTNLGRP_IPV4_IFADDR (group 5 → mask 1<<4).
const FORGE = (addr: string) => `
import socket, struct
a = socket.inet_aton(${JSON.stringify(addr)})
rta = lambda t, v: struct.pack('=HH', 4 + len(v), t) + v
body = struct.pack('=BBBBI', 2, 32, 0, 0, 1) + rta(1, a) + rta(2, a)
msg = struct.pack('=IHHII', 16 + len(body), 20, 0, 0, 0) + body
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.bind((0, 0))
s.sendto(msg, (0, 1 << 4))
print('sent')
`;

t.test('netlink: a forged RTM_NEWADDR from a userspace socket is dropped, the kernel\'s own is not', { skip: !isRoot() && 'needs root' }, async (t) => {
  const lab = await Lab.create(t, { hosts: 1 });
  const h = lab.host(1);
  const cp = lab.spawn(h.ns, [process.execPath, PROBE, 'watch']);
  const w = new OutputWatcher(cp);
  t.ok(await w.waitFor('{"ready":true}', 10_000), 'watcher subscribed');
  const forged = await lab.exec(h.ns, ['python3', '-c', FORGE('198.51.100.66')]);
  t.equal(forged.code, 0, `forger ran: ${forged.stderr}`);
  // The kernel's own event afterwards: once it is seen, the forged one (sent first) would have been too.
  const real = await lab.exec(h.ns, ['ip', 'addr', 'add', '198.51.100.67/32', 'dev', 'lo']);
  t.equal(real.code, 0);
  t.ok(await waitFor(() => w.text.includes('198.51.100.67'), 5000, 20), 'the kernel event arrives');
  t.notMatch(w.text, /198\.51\.100\.66/, 'the forged address was not believed');
});

t.test('timer: absurd delays are clamped, not turned into "now"', async (t) => {
  const n = loadNative();
  let fired = 0;
  const timers = [1e300, Infinity, 2 ** 63].map((ms) => {
    const tm = n.timerCreate(() => fired++);
    n.timerArm(tm, ms);
    return tm;
  });
  await new Promise((r) => setTimeout(r, 100));
  for (const tm of timers) n.timerClose(tm);
  t.equal(fired, 0, 'none fired');
});
