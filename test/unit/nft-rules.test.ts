// The no_accept firewall's nftables scripts (net/nft-rules), as keepalived 2.2.7 lays them out
// (observed with `nft list ruleset`; the integration test vrrp-strict-nft compares the two live).
import t from 'tap';
import {
  createTableScript, deleteTableScript, dropSets, familiesOf, parseTables, planSync, syncSetsScript, validNftName, type NftOptions,
} from '../../src/net/nft-rules';

const o: NftOptions = { table: 'keepalived', priority: -1, counters: false, ifindex: true };

t.test('IPv4 table: set vips, output/input base chains at the priority, saddr/daddr drop', async (t) => {
  t.equal(createTableScript('ip', o), [
    'add table ip keepalived',
    'add set ip keepalived vips { type ipv4_addr; }',
    'add chain ip keepalived out { type filter hook output priority -1; policy accept; }',
    'add chain ip keepalived in { type filter hook input priority -1; policy accept; }',
    'add rule ip keepalived out ip saddr @vips drop',
    'add rule ip keepalived in ip daddr @vips drop',
    '',
  ].join('\n'));
});

t.test('nftables TABLENAME, nftables_priority and nftables_counters change the script', async (t) => {
  const s = createTableScript('ip', { ...o, table: 'mytab', priority: -5, counters: true });
  t.match(s, /^add table ip mytab$/m);
  t.match(s, /hook output priority -5;/);
  t.match(s, /^add rule ip mytab out ip saddr @vips counter drop$/m);
  t.match(s, /^add rule ip mytab in ip daddr @vips counter drop$/m);
  t.notMatch(createTableScript('ip', o), /counter/);
});

t.test('IPv6 table: neighbour discovery accepted first, link-local VIPs keyed by interface', async (t) => {
  const s = createTableScript('ip6', o);
  const lines = s.trim().split('\n');
  t.ok(lines.includes('add set ip6 keepalived neighbor-discovery { type icmpv6_type; flags constant; elements = { nd-neighbor-solicit, nd-neighbor-advert }; }'));
  t.ok(lines.includes('add set ip6 keepalived vips_link_local { type ipv6_addr . iface_index; }'));
  const inRules = lines.filter((l) => l.startsWith('add rule ip6 keepalived in '));
  t.same(inRules, [
    'add rule ip6 keepalived in icmpv6 type @neighbor-discovery accept',
    'add rule ip6 keepalived in ip6 daddr fe80::/10 goto in_link_local',
    'add rule ip6 keepalived in ip6 daddr @vips drop',
  ]);
  t.ok(lines.includes('add rule ip6 keepalived in_link_local ip6 daddr . iif @vips_link_local drop'));
  t.ok(lines.includes('add rule ip6 keepalived out_link_local ip6 saddr . oif @vips_link_local drop'));
  // Keyed by name (dont_track_primary without nftables_ifindex).
  const byName = createTableScript('ip6', { ...o, ifindex: false });
  t.match(byName, /vips_link_local \{ type ipv6_addr \. ifname; \}/);
  t.match(byName, /ip6 daddr \. iifname @vips_link_local drop/);
  t.match(byName, /ip6 saddr \. oifname @vips_link_local drop/);
});

t.test('drop sets: deduplicated, sorted, split by family and link-local', async (t) => {
  const s = dropSets([
    { address: '192.0.2.101', ifname: 'eth0' },
    { address: '192.0.2.100', ifname: 'eth0' },
    { address: '192.0.2.100', ifname: 'eth1' },
    { address: '2001:DB8::100', ifname: 'eth0' },
    { address: 'fe80::100', ifname: 'eth0' },
  ]);
  t.same(s, { v4: ['192.0.2.100', '192.0.2.101'], v6: ['2001:db8::100'], v6LinkLocal: [{ address: 'fe80::100', ifname: 'eth0' }] });
  t.same(familiesOf(s), ['ip', 'ip6']);
  t.same(familiesOf(dropSets([])), []);
});

t.test('set sync: flush and re-add in one script; an empty holding only flushes', async (t) => {
  const s = dropSets([{ address: '192.0.2.100', ifname: 'eth0' }, { address: 'fe80::1', ifname: 'eth0' }]);
  t.equal(syncSetsScript('ip', o, s), 'flush set ip keepalived vips\nadd element ip keepalived vips { 192.0.2.100 }\n');
  t.equal(syncSetsScript('ip6', o, s),
    'flush set ip6 keepalived vips\nflush set ip6 keepalived vips_link_local\nadd element ip6 keepalived vips_link_local { fe80::1 . "eth0" }\n');
  t.equal(syncSetsScript('ip', o, dropSets([])), 'flush set ip keepalived vips\n');
});

t.test('plan: a table is created the first time its family is needed, then only its sets change', async (t) => {
  const v4 = dropSets([{ address: '192.0.2.100', ifname: 'eth0' }]);
  const first = planSync(new Set(), v4, o);
  t.same([...first.created], ['ip']);
  t.match(first.script, /^add table ip keepalived\n/);
  t.match(first.script, /add element ip keepalived vips \{ 192\.0\.2\.100 \}\n$/);
  const again = planSync(first.created, v4, o);
  t.notMatch(again.script, /add table/);
  // Released: the table stays, its set is emptied (keepalived keeps it until stop).
  const released = planSync(first.created, dropSets([]), o);
  t.equal(released.script, 'flush set ip keepalived vips\n');
  t.same([...released.created], ['ip']);
  t.equal(planSync(new Set(), dropSets([]), o).script, '');
});

t.test('table deletion works whether or not it exists; nft list tables is parsed', async (t) => {
  t.equal(deleteTableScript('ip6', 'keepalived'), 'add table ip6 keepalived\ndelete table ip6 keepalived\n');
  t.same(parseTables('table ip keepalived\ntable ip6 keepalived\ntable inet filter\n'), [
    { family: 'ip', name: 'keepalived' }, { family: 'ip6', name: 'keepalived' }, { family: 'inet', name: 'filter' },
  ]);
  t.ok(validNftName('keepalived'));
  t.notOk(validNftName('a b'));
  t.notOk(validNftName('x;flush ruleset'));
});
