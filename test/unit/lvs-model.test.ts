import t from 'tap';
import { desiredForVs, desiredTable, expandRange, nextQuorumUp, rsKey, serviceIdsOf, vsKey, type RsHealth } from '../../src/lvs/model-to-ipvs';
import { SvcFlag } from '../../src/lvs/ipvs-codec';
import { rs, vs, loc } from './lvs-fixtures';
import { rsKeyOf, vsKeyOf } from '../../src/check/build';

t.test('health keys are the checker runtime\'s (src/check/build)', async (t) => {
  const cases = [vs(), vs({ kind: 'fwmark', fwmark: 3 }), vs({ kind: 'group', group: 'G' }), vs({ family: 'inet6', address: '2001:db8::1', protocol: 'UDP' })];
  for (const v of cases) t.equal(vsKey(v), vsKeyOf(v));
  for (const r of [rs('192.0.2.11', 80), rs('2001:db8::2', undefined)]) t.equal(rsKey(r), rsKeyOf(r));
});

const health = (entries: [string, RsHealth][]): Map<string, RsHealth> => new Map(entries);
// destination keys (codec destKey) and health keys (rsKey) of the two real servers
const R1 = '192.0.2.11|80';
const R2 = '192.0.2.12|80';
const H1 = rsKey(rs('192.0.2.11', 80));
const H2 = rsKey(rs('192.0.2.12', 80));
const weights = (m: Map<string, { weight: number }>): Record<string, number> => Object.fromEntries([...m].map(([k, d]) => [k, d.weight]));

t.test('LVS-DR: wrr, persistence 5 s, DR weights 2 and 3', async (t) => {
  const v = vs({ persistenceTimeoutS: 5 });
  const { entries, outcome } = desiredForVs(v, [], new Map(), undefined);
  t.equal(entries.length, 1);
  const e = entries[0]!;
  t.match(e.service, { af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, scheduler: 'wrr', timeoutS: 5, netmaskPrefix: 32 });
  t.equal(e.service.flags, SvcFlag.PERSISTENT);
  t.same(weights(e.dests), { [R1]: 2, [R2]: 3 });
  t.equal(e.dests.get(R1)!.fwd, 'route');
  t.match(outcome, { vsKey: 'tcp:[192.0.2.100]:80', quorumUp: true, liveWeight: 5, sorryActive: false });
});

t.test('a failed RS is removed; with inhibit_on_failure it stays at weight 0', async (t) => {
  const down = health([[H1, { up: false }]]);
  t.same(weights(desiredForVs(vs(), [], down, true).entries[0]!.dests), { [R2]: 3 });
  t.same(weights(desiredForVs(vs({ inhibitOnFailure: true }), [], down, true).entries[0]!.dests), { [R1]: 0, [R2]: 3 });
  const perRs = vs({ realServers: [rs('192.0.2.11', 80, { weight: 2, inhibitOnFailure: true }), rs('192.0.2.12', 80, { weight: 3 })] });
  t.same(weights(desiredForVs(perRs, [], health([[H1, { up: false }], [H2, { up: false }]]), true).entries[0]!.dests), { [R1]: 0 });
});

t.test('alpha: servers with checkers start down until a success', async (t) => {
  const v = vs({ alpha: true, quorum: 1 });
  const r = desiredForVs(v, [], new Map(), undefined);
  t.same(weights(r.entries[0]!.dests), {});
  t.equal(r.outcome.quorumUp, false);
  const noCheck = vs({ alpha: true, realServers: [rs('192.0.2.11', 80, { checkers: [] })] });
  t.same(weights(desiredForVs(noCheck, [], new Map(), undefined).entries[0]!.dests), { [R1]: 1 }, 'no checker: always up');
});

t.test('dynamic weight (misc_dynamic) overrides the configured weight', async (t) => {
  t.same(weights(desiredForVs(vs(), [], health([[H2, { up: true, dynamicWeight: 7 }]]), true).entries[0]!.dests), { [R1]: 2, [R2]: 7 });
});

t.test('quorum + hysteresis transitions (table rows)', async (t) => {
  // [prev, live, quorum, hysteresis, expected]
  const rows: [boolean | undefined, number, number, number, boolean][] = [
    [undefined, 5, 5, 1, true], [undefined, 4, 5, 1, false],
    [true, 4, 5, 1, true], [true, 3, 5, 1, false], [false, 5, 5, 1, false], [false, 6, 5, 1, true],
    [true, 4, 5, 0, false], [false, 5, 5, 0, true],
  ];
  for (const [prev, live, q, h, want] of rows) t.equal(nextQuorumUp(prev, live, q, h), want, `prev=${prev} live=${live} q=${q} h=${h}`);
});

t.test('sorry server replaces the real servers when quorum is lost, and leaves when regained', async (t) => {
  const sorry = { loc, address: '192.0.2.200', port: 80, inhibit: false, lvsMethod: 'NAT' as const };
  const v = vs({ quorum: 4, sorryServer: sorry, inhibitOnFailure: false });
  const lost = desiredForVs(v, [], health([[H2, { up: false }]]), true);
  t.equal(lost.outcome.quorumUp, false);
  t.equal(lost.outcome.sorryActive, true);
  t.same(weights(lost.entries[0]!.dests), { '192.0.2.200|80': 1 }, 'live R1 removed too');
  t.equal(lost.entries[0]!.dests.get('192.0.2.200|80')!.fwd, 'masq');
  const back = desiredForVs(v, [], new Map(), false);
  t.same(weights(back.entries[0]!.dests), { [R1]: 2, [R2]: 3 });
  const inhib = desiredForVs(vs({ quorum: 4, sorryServer: { ...sorry, inhibit: true } }), [], new Map(), true);
  t.same(weights(inhib.entries[0]!.dests), { [R1]: 2, [R2]: 3, '192.0.2.200|80': 0 }, 'sorry_server_inhibit keeps it at weight 0');
  const inhibitRs = desiredForVs(vs({ quorum: 4, sorryServer: sorry, inhibitOnFailure: true }), [], health([[H2, { up: false }]]), true);
  t.same(weights(inhibitRs.entries[0]!.dests), { [R1]: 0, [R2]: 0, '192.0.2.200|80': 1 });
});

t.test('scheduler flags, ops, granularity, persistence engine', async (t) => {
  const s = desiredForVs(vs({ lvsSched: 'sh', schedFlags: ['sh-port', 'sh-fallback', 'ops'], persistenceTimeoutS: 360, persistenceGranularity: '255.255.255.0', persistenceEngine: 'sip' }), [], new Map(), true).entries[0]!.service;
  t.equal(s.flags, SvcFlag.SH_PORT | SvcFlag.SH_FALLBACK | SvcFlag.ONEPACKET | SvcFlag.PERSISTENT);
  t.equal(s.netmaskPrefix, 24);
  t.equal(s.peName, 'sip');
  const mh = desiredForVs(vs({ lvsSched: 'mh', schedFlags: ['mh-port', 'flag-3'] }), [], new Map(), true).entries[0]!.service;
  t.equal(mh.flags, SvcFlag.MH_PORT | SvcFlag.SCHED3);
});

t.test('fwmark and IPv6 virtual servers; NAT and TUN methods', async (t) => {
  const fw = vs({ kind: 'fwmark', fwmark: 5, address: undefined, port: undefined, realServers: [rs('192.0.2.11', undefined, { lvsMethod: 'TUN' })] });
  const e = desiredForVs(fw, [], new Map(), undefined).entries[0]!;
  t.match(e.service, { fwmark: 5, port: 0 });
  t.match(e.dests.get('192.0.2.11|0'), { port: 0, fwd: 'tunnel' });
  t.equal(vsKey(fw), vsKeyOf(fw));
  const v6 = vs({ family: 'inet6', address: '2001:DB8::100', protocol: 'UDP', port: 53, realServers: [rs('2001:db8::11', 53, { lvsMethod: 'NAT' })] });
  const e6 = desiredForVs(v6, [], new Map(), undefined).entries[0]!;
  t.match(e6.service, { af: 'inet6', protocol: 'udp', addr: '2001:db8::100', netmaskPrefix: 128 });
  t.match(e6.dests.get('2001:db8::11|53'), { fwd: 'masq', weight: 1 });
  
});

t.test('virtual_server_group: ranges, single addresses and fwmarks expand to services', async (t) => {
  t.same(expandRange('inet', '192.0.2.1', '192.0.2.3'), ['192.0.2.1', '192.0.2.2', '192.0.2.3']);
  t.same(expandRange('inet6', '2001:db8::a', '2001:db8::c'), ['2001:db8::a', '2001:db8::b', '2001:db8::c']);
  t.same(expandRange('inet', '192.0.2.9', '192.0.2.8'), []);
  const groups = [{
    loc, name: 'G', entries: [
      { loc, kind: 'address' as const, address: '192.0.2.1', lastAddress: '192.0.2.2', port: 80, family: 'inet' as const },
      { loc, kind: 'address' as const, address: '198.51.100.5', port: 8080, family: 'inet' as const },
      { loc, kind: 'fwmark' as const, fwmark: 9, family: 'inet' as const },
    ],
  }];
  const g = vs({ kind: 'group', group: 'G', address: undefined, port: undefined, realServers: [rs('192.0.2.11', undefined)] });
  const ids = serviceIdsOf(g, groups);
  t.same(ids.map((i) => `${i.addr}:${i.port}/${i.fwmark}`), ['192.0.2.1:80/0', '192.0.2.2:80/0', '198.51.100.5:8080/0', '0.0.0.0:0/9']);
  const { table } = desiredTable([g], groups, new Map(), new Map());
  t.equal(table.size, 4);
  t.match(table.get('tcp|198.51.100.5|8080')!.dests.get('192.0.2.11|8080'), { port: 8080 }, 'RS without port takes the entry port');
  t.equal(serviceIdsOf(vs({ kind: 'group', group: 'missing' }), groups).length, 0);
});

t.test('desiredTable keys health by vsKey', async (t) => {
  const v = vs();
  const h = new Map([[vsKey(v), health([[H1, { up: false }]])]]);
  const { table, outcomes } = desiredTable([v], [], h, new Map([[vsKey(v), true]]));
  t.same(weights(table.get('tcp|192.0.2.100|80')!.dests), { [R2]: 3 });
  t.equal(outcomes[0]!.liveWeight, 3);
  t.same([...outcomes[0]!.rsInTable], [[H2, 3]]);
});
