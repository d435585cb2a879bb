/**
 * Gratuitous ARP and unsolicited NA sent through the addon's AF_PACKET socket: a neighbour on
 * the LAN that cached the old owner's MAC must switch to the new one (the point of announcing),
 * and tcpdump, an independent parser, must see well-formed frames with a good ICMPv6 checksum.
 */
import t from 'tap';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { runProbe } from '../support/native-probe';

const skip = !isRoot() && 'needs root';
const OLD_MAC = '02:00:00:00:00:99';

async function neighbourMac(lab: Lab, h: LabHost, ip: string): Promise<string | undefined> {
  const r = await lab.exec(h.ns, ['ip', '-j', 'neigh', 'show', ip, 'dev', 'eth0']);
  const parsed = JSON.parse(r.stdout || '[]') as Array<{ lladdr?: string }>;
  return parsed[0]?.lladdr;
}

/** Run tcpdump on a host until `count` packets matched; returns its text so far. */
function capture(lab: Lab, h: LabHost, filter: string): { text: () => string } {
  const cp = lab.spawn(h.ns, ['tcpdump', '-l', '-n', '-e', '-vv', '-i', 'eth0', filter]);
  let text = '';
  cp.stdout?.on('data', (d: Buffer) => (text += d.toString()));
  cp.stderr?.on('data', (d: Buffer) => (text += d.toString()));
  return { text: () => text };
}

t.test('gratuitous ARP from h1 moves h2 neighbour entry to the new MAC', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const vip = '192.0.2.100';
  const vmac = '00:00:5e:00:01:33';
  await lab.exec(h2.ns, ['ip', 'neigh', 'add', vip, 'lladdr', OLD_MAC, 'dev', 'eth0', 'nud', 'stale']);
  t.equal(await neighbourMac(lab, h2, vip), OLD_MAC, 'h2 starts with the old owner cached');
  const dump = capture(lab, h2, 'arp');
  t.ok(await waitFor(() => dump.text().includes('listening on'), 5000), 'tcpdump ready');

  const r = await runProbe(lab, h1.ns, ['garp', 'eth0', vip, vmac]);
  t.equal(r.exitCode, 0, `probe exits ${r.stderr}`);
  t.same(r.lines, [{ done: true }]);
  t.equal(await waitFor(async () => (await neighbourMac(lab, h2, vip)) === vmac, 3000), true, 'h2 now maps the VIP to the new MAC');
  t.ok(await waitFor(() => dump.text().includes('Request who-has'), 3000), 'tcpdump saw the ARP');
  t.match(dump.text(), `${vmac} > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806)`, 'broadcast from the given MAC');
  t.match(dump.text(), `Request who-has ${vip} (ff:ff:ff:ff:ff:ff) tell ${vip}`, 'op 1, sender = target = VIP, target HW broadcast');
});

t.test('unsolicited NA from h1 moves h2 neighbour entry; tcpdump verifies the checksum', { skip }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const vip = '2001:db8::100';
  const vmac = '00:00:5e:00:02:33';
  await lab.exec(h2.ns, ['ip', '-6', 'neigh', 'add', vip, 'lladdr', OLD_MAC, 'dev', 'eth0', 'nud', 'stale']);
  t.equal(await neighbourMac(lab, h2, vip), OLD_MAC);
  const dump = capture(lab, h2, 'icmp6 and ip6[40] == 136');
  t.ok(await waitFor(() => dump.text().includes('listening on'), 5000), 'tcpdump ready');

  const r = await runProbe(lab, h1.ns, ['na', 'eth0', vip, vmac, '0']);
  t.equal(r.exitCode, 0, `probe exits ${r.stderr}`);
  // The kernel only accepts an NA with hop limit 255 and a valid checksum, and Override=1 to replace a cached MAC.
  t.equal(await waitFor(async () => (await neighbourMac(lab, h2, vip)) === vmac, 3000), true, 'h2 now maps the VIP to the new MAC');
  t.ok(await waitFor(() => dump.text().includes('neighbor advertisement'), 3000), 'tcpdump saw the NA');
  const text = dump.text();
  t.match(text, `${vmac} > 33:33:00:00:00:01, ethertype IPv6 (0x86dd)`);
  t.match(text, 'hlim 255');
  t.match(text, `${vip} > ff02::1: [icmp6 sum ok]`, 'checksum verified by tcpdump');
  t.match(text, /tgt is 2001:db8::100, Flags \[override\]/, 'Override only (no Router, no Solicited)');
  t.match(text, `link-address option (2), length 8 (1): ${vmac}`, 'target link-layer address option');

  const r2 = await runProbe(lab, h1.ns, ['na', 'eth0', vip, vmac, '1']);
  t.equal(r2.exitCode, 0);
  t.ok(await waitFor(() => dump.text().includes('Flags [router, override]'), 3000), 'Router flag when asked');
});
