import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { emptyStats, formatData, formatJson, formatStats, formatTimestamp, type DaemonSnapshot, type InstanceSnapshot } from '../../src/observe/dump';
import { writeDump } from '../../src/observe/dump-writer';

const inst: InstanceSnapshot = {
  name: 'VI_1', state: 'MASTER', wantstate: 'MASTER', vrid: 51, version: 2, interface: 'eth0', family: 'inet',
  basePriority: 100, effectivePriority: 102, masterRouter: '192.0.2.1', masterPriority: 102,
  lastTransitionMs: 1_700_000_000_250, advertIntMs: 1000, masterAdvertIntMs: 1000, accept: true, nopreempt: false, preemptDelayMs: 0,
  vips: ['192.0.2.100/32 dev eth0 scope global'], evips: [],
  trackers: [{ kind: 'script', name: 'check_nginx', weight: 2, reverse: false, status: 'up' }],
  stats: { ...emptyStats(), advertSent: 126, becomeMaster: 1, priZeroRcvd: 2, drops: { bad_ttl: 4, bad_checksum: 1 } },
};
const snap: DaemonSnapshot = { takenAtMs: 1_700_000_001_000, instances: [inst, { ...inst, name: 'VI_2', state: 'BACKUP', stats: emptyStats() }] };

t.test('timestamp', async (t) => {
  t.equal(formatTimestamp(1_700_000_000_250), '1700000000.250000 (Tue Nov 14 22:13:20.250000 2023)');
});

t.test('stats layout', async (t) => {
  const text = formatStats(snap);
  const first = text.split('VRRP Instance: VI_2')[0] ?? '';
  t.equal(first, [
    'VRRP Instance: VI_1',
    '  Advertisements:',
    '    Received: 0',
    '    Sent: 126',
    '  Became master: 1',
    '  Released master: 0',
    '  Packet Errors:',
    '    Length: 0',
    '    TTL: 0',
    '    Invalid Type: 0',
    '    Advertisement Interval: 0',
    '    Address List: 0',
    '  Authentication Errors:',
    '    Invalid Type: 0',
    '    Type Mismatch: 0',
    '    Failure: 0',
    '  Priority Zero:',
    '    Received: 2',
    '    Sent: 0',
    '',
  ].join('\n'));
  t.notMatch(text, /Dropped/, "keepalived's layout only: per-reason drops are not in the stats file");
});

t.test('data layout', async (t) => {
  const text = formatData({ ...snap, syncGroups: [{ name: 'G', state: 'MASTER', members: ['VI_1', 'VI_2'] }] });
  const lines = text.split('\n');
  t.equal(lines[0], '------< VRRP Topology >------');
  t.equal(lines[1], ' VRRP Instance = VI_1');
  t.ok(lines.includes('   State = MASTER'));
  t.ok(lines.includes('   Master router = 192.0.2.1'));
  t.ok(lines.includes('   Master priority = 102'));
  t.ok(lines.includes('   Virtual Router ID = 51'));
  t.ok(lines.includes('   Effective priority = 102'));
  t.ok(lines.includes('   Advert interval = 1 sec'));
  t.ok(lines.includes('   Last transition = 1700000000.250000 (Tue Nov 14 22:13:20.250000 2023)'));
  t.ok(lines.includes('     check_nginx weight 2 status up'));
  const vipAt = lines.indexOf('   Virtual IP (1):');
  t.ok(vipAt > 0);
  t.equal(lines[vipAt + 1], '     192.0.2.100/32 dev eth0 scope global');
  t.ok(lines.includes(' VRRP Sync Group = G, MASTER'));
});

t.test('json keys and numeric states', async (t) => {
  const arr = JSON.parse(formatJson(snap)) as Array<{ data: Record<string, unknown>; stats: Record<string, unknown> }>;
  t.equal(arr.length, 2);
  const a = arr[0]!;
  t.match(a.data, { iname: 'VI_1', state: 2, wantstate: 2, vrid: 51, base_priority: 100, effective_priority: 102, master_priority: 102, last_transition: 1700000000.25, adver_int: 1, nopreempt: 0 });
  t.same(a.data.vips, ['192.0.2.100/32 dev eth0 scope global']);
  t.same(a.data.track_script, [{ name: 'check_nginx', weight: 2, reverse: false, status: 'up' }]);
  t.same(Object.keys(a.stats).slice(0, 14), [
    'advert_rcvd', 'advert_sent', 'become_master', 'release_master', 'packet_len_err', 'advert_interval_err', 'ip_ttl_err',
    'invalid_type_rcvd', 'addr_list_err', 'invalid_authtype', 'authtype_mismatch', 'auth_failure', 'pri_zero_rcvd', 'pri_zero_sent',
  ]);
  t.equal(a.stats.advert_sent, 126);
  t.equal(arr[1]!.data.state, 1);
});

t.test('writer: atomic write, errors returned not thrown', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tka-dump-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'keepalived.stats');
  const r = writeDump('stats', snap, file);
  t.same(r, { ok: true, path: file });
  t.equal(fs.readFileSync(file, 'utf8'), formatStats(snap));
  t.same(fs.readdirSync(dir), ['keepalived.stats'], 'no temp file left');
  const bad = writeDump('json', snap, path.join(dir, 'no/such/dir/x.json'));
  t.equal(bad.ok, false);
});
