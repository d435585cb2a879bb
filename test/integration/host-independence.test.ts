/**
 * Tests that used to depend on the host's sysctls. net.ipv4.ping_group_range is per network
 * namespace and the kernel default is `1 0` (nobody may open ICMP datagram sockets); these
 * tests set it inside their own lab namespace and check both paths: the ping socket where it
 * is allowed, and icmpEcho's raw-socket fallback where it is not. The host's value is never
 * read nor changed.
 */
import t from 'tap';
import { Lab, isRoot } from '../support/netns';

const skip = !isRoot() && 'needs root';
const native = JSON.stringify(require.resolve('../../src/net/native'));
const echo = JSON.stringify(require.resolve('../../src/net/icmp-echo'));

const script = `
  const n = require(${native}).loadNative();
  const { icmpEcho } = require(${echo});
  const c = n.constants;
  const out = {};
  const err = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
  try {
    const ping = n.dgramSocket(4, c.IPPROTO_ICMP);
    out.open = 'ok';
    out.bind = err(() => n.bindAddress(ping, '127.0.0.1', 0));
    out.bindOtherFamily = err(() => n.bindAddress(ping, '::1', 0));
    n.close(ping);
  } catch (e) { out.open = e.code; }
  icmpEcho('127.0.0.1', 2000).then((r) => { out.echo = r.ok; console.log(JSON.stringify(out)); });
`;

for (const range of ['0 2147483647', '1 0']) {
  t.test(`ICMP echo with ping_group_range "${range}" set in the test's own namespace`, { skip }, async (t) => {
    const lab = await Lab.create(t, { hosts: 1 });
    const ns = lab.host(1).ns;
    const set = await lab.exec(ns, ['sysctl', '-w', `net.ipv4.ping_group_range=${range}`]);
    t.equal(set.code, 0, set.stderr);
    await lab.exec(ns, ['ip', 'link', 'set', 'lo', 'up']);
    const r = await lab.exec(ns, [process.execPath, '-e', script], 20_000);
    t.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout.trim()) as Record<string, unknown>;
    if (range === '1 0') {
      t.equal(out.open, 'EACCES', 'ping sockets refused, as on a default host');
    } else {
      t.same({ open: out.open, bind: out.bind, other: out.bindOtherFamily }, { open: 'ok', bind: 'no error', other: 'ERR_INVALID_ARG_VALUE' }, 'ping socket opens, binds, checks the family');
    }
    t.equal(out.echo, true, 'icmpEcho answers either way (raw-socket fallback when refused)');
  });
}
