/** keepalived 2.2.7's dump formats (pure parts): VIP strings, JSON types and escaping, parent globals. */
import t from 'tap';
import { vipText, parentDataPath, globalsView } from '../../src/runtime/dump-view';
import { formatJsonFile } from '../../src/observe/dump-json';
import { formatDataFile, formatGlobals, ifaceStateText, type InstanceView } from '../../src/observe/dump-data';
import { emptyStats } from '../../src/observe/dump';
import { loadConfigText } from '../../src/config/load';
import type { VipEntry } from '../../src/config/model';

const vip = (o: Partial<VipEntry> & { address: string; prefixLen: number }): VipEntry =>
  ({ noTrack: false, useVmac: false, home: false, nodad: false, mngtmpaddr: false, noprefixroute: false, autojoin: false, ...o }) as VipEntry;

t.test('VIP strings as keepalived writes them (measured on 2.2.7)', async (t) => {
  t.equal(vipText(vip({ address: '198.51.100.100', prefixLen: 24 }), 'inet', 'eth0'), '198.51.100.100/24 dev eth0 scope global');
  t.equal(vipText(vip({ address: '198.51.100.101', prefixLen: 32 }), 'inet', 'eth0'), '198.51.100.101 dev eth0 scope global', 'host prefix not written');
  t.equal(vipText(vip({ address: '198.51.100.102', prefixLen: 32, dev: 'eth1', label: 'eth1:1' }), 'inet', 'eth0'), '198.51.100.102 dev eth1 scope global label eth1:1');
  t.equal(vipText(vip({ address: '2001:db8::100', prefixLen: 64 }), 'inet6', 'eth0'), '2001:db8::100/64 dev eth0 scope global preferred_lft forever');
});

t.test('keepalived_parent.data sits beside the data file', async (t) => {
  t.equal(parentDataPath('/tmp/keepalived.data'), '/tmp/keepalived_parent.data');
  t.equal(parentDataPath('/run/k/state'), '/run/k/state_parent');
});

t.test('interface state text', async (t) => {
  t.equal(ifaceStateText(0x49), 'UP, RUNNING, no broadcast, loopback, no multicast');
  t.equal(ifaceStateText(0x1043), 'UP, RUNNING');
});

t.test('globals: the parent shows unset lower-priority GARP values raw and no default interface', async (t) => {
  const m = loadConfigText('global_defs {\n router_id r1\n}\n', 'k.conf', { configId: 'x' }).model;
  if (!m) throw new Error('config');
  const g = globalsView(m, { uid: 0, gid: 0 }, 0o177);
  const child = formatGlobals(g, false);
  const parent = formatGlobals(g, true);
  t.ok(child.includes(' Default interface = eth0'));
  t.notOk(parent.some((l) => l.startsWith(' Default interface')));
  t.ok(child.includes(' Gratuitous ARP lower priority delay = 5'));
  t.ok(parent.includes(' Gratuitous ARP lower priority delay = 4294967295'));
  t.equal(child.at(-1), ' umask = 0177');
});

t.test('JSON: keepalived key order, types, escaped slashes, one line', async (t) => {
  const i = {
    name: 'VI_1', version: 2, state: 'MASTER', wantstate: 'MASTER', lastTransitionMs: 1_700_000_000_250, readTimeoutMs: 0, masterDownUs: 0,
    interface: 'eth0', srcIp: '192.0.2.1', mcast: '224.0.0.18', unicastPeers: [], garpDelayS: 5, garpRepeat: 5, garpRefreshS: 0, garpRefreshRepeat: 1,
    garpLowerPrioDelayS: 5, garpLowerPrioRepeat: 5, downTimerAdverts: 3, lowerPrioNoAdvert: false, higherPrioSendAdvert: false, vrid: 51,
    basePriority: 100, effectivePriority: 102, advertIntMs: 1000, masterAdvertIntMs: 1000, accept: true, preempt: true, preemptDelayS: 0,
    promoteSecondaries: false, authType: 'none', vips: [{ text: '198.51.100.100/24 dev eth0 scope global', set: true }], evips: [], fdIn: 3, fdOut: 3,
    trackedScripts: [], trackedInterfaces: [], smtp: false, notifyPriorityChanges: false, trackScriptCommands: ["'/usr/bin/true'"],
    dontTrackPrimary: false, skipCheckAdvAddr: false, strictMode: false, vmacIfname: '', notifyDeleted: false,
  } satisfies InstanceView;
  const text = formatJsonFile([i], new Map([['VI_1', { ...emptyStats(), advertSent: 4 }]]));
  t.equal(text.split('\n').length, 2, 'one line and a newline');
  t.match(text, /"vips":\["198\.51\.100\.100\\\/24 dev eth0 scope global set"\]/);
  t.match(text, /"track_script":\["'\\\/usr\\\/bin\\\/true'"\]/);
  t.match(text, /"last_transition":1700000000\.250000,/);
  t.notMatch(text, /"evips"/, 'no evips key without excluded VIPs');
  const parsed = JSON.parse(text) as Array<{ data: Record<string, unknown>; stats: Record<string, unknown> }>;
  const d = parsed[0]?.data ?? {};
  t.same(Object.keys(d), ['iname', 'dont_track_primary', 'skip_check_adv_addr', 'strict_mode', 'vmac_ifname', 'ifp_ifname', 'master_priority', 'last_transition', 'garp_delay', 'garp_refresh', 'garp_rep', 'garp_refresh_rep', 'garp_lower_prio_delay', 'garp_lower_prio_rep', 'lower_prio_no_advert', 'higher_prio_send_advert', 'vrid', 'base_priority', 'effective_priority', 'vipset', 'promote_secondaries', 'adver_int', 'master_adver_int', 'accept', 'nopreempt', 'preempt_delay', 'state', 'wantstate', 'version', 'smtp_alert', 'notify_deleted', 'vips', 'track_script', 'auth_type']);
  t.equal(d.accept, 1);
  t.equal(d.nopreempt, false);
  t.equal(d.vipset, true);
  t.equal(d.state, 2);
  t.equal(parsed[0]?.stats.advert_sent, 4);
  t.notOk('drops' in (parsed[0]?.stats ?? {}), 'stats keys are keepalived\'s');
});

t.test('manual standby (ours) shows in both dumps, and only then', async (t) => {
  const model = loadConfigText('global_defs {\n router_id r1\n}\n', 'k.conf', { configId: 'x' }).model;
  if (!model) throw new Error('config');
  const globals = globalsView(model, { uid: 0, gid: 0 }, 0o177);
  const base = {
    name: 'VI_1', version: 2, state: 'BACKUP', wantstate: 'BACKUP', lastTransitionMs: 1_700_000_000_000, readTimeoutMs: 0, masterDownUs: 0,
    interface: 'eth0', srcIp: '192.0.2.1', mcast: '224.0.0.18', unicastPeers: [], garpDelayS: 5, garpRepeat: 5, garpRefreshS: 0, garpRefreshRepeat: 1,
    garpLowerPrioDelayS: 5, garpLowerPrioRepeat: 5, downTimerAdverts: 3, lowerPrioNoAdvert: false, higherPrioSendAdvert: false, vrid: 51,
    basePriority: 100, effectivePriority: 100, advertIntMs: 1000, masterAdvertIntMs: 1000, accept: true, preempt: true, preemptDelayS: 0,
    promoteSecondaries: false, authType: 'none', vips: [], evips: [], fdIn: 3, fdOut: 3,
    trackedScripts: [], trackedInterfaces: [], smtp: false, notifyPriorityChanges: false, trackScriptCommands: [],
    dontTrackPrimary: false, skipCheckAdvAddr: false, strictMode: false, vmacIfname: '', notifyDeleted: false,
  } satisfies InstanceView;
  const json = (i: InstanceView): Record<string, unknown> => (JSON.parse(formatJsonFile([i], new Map([['VI_1', emptyStats()]]))) as Array<{ data: Record<string, unknown> }>)[0]?.data ?? {};
  t.equal(json({ ...base, standby: true }).standby, 'manual', 'JSON: "standby":"manual"');
  t.notOk('standby' in json(base), 'JSON: no standby key otherwise (keepalived\'s keys)');
  const data = (i: InstanceView): string => formatDataFile({ globals, instances: [i], sockets: [], scripts: [], interfaces: [] });
  t.match(data({ ...base, standby: true }), /   State = BACKUP\n   Standby = manual\n/, 'data: Standby = manual under State');
  t.notMatch(data(base), /Standby/, 'data: no Standby line otherwise');
});
