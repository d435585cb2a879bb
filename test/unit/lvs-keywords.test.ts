/**
 * Issue #10 LVS/mail keywords, pure halves: lvs_method TUN type → IPVS dest attributes, the
 * lvs_notify_fifo lines and smtp_alert mails keepalived 2.2.7 writes (texts observed in the IPVS
 * VM), the instance-following sync daemon, lvs_sync_daemon's bare instance word, global_tracking.
 */
import t from 'tap';
import { loadConfigText } from '../../src/config/load';
import { desiredTable } from '../../src/lvs/model-to-ipvs';
import { lvsFifoLine, lvsMail, lvsMailWanted, type LvsEvent } from '../../src/runtime/lvs-notify';
import { SyncDaemonFollower, syncdSpecOf } from '../../src/runtime/lvs-syncd';
import { MemoryLogger } from '../../src/observe/log';
import type { IpvsDaemon } from '../../src/lvs/ipvs-codec';
import { rs, vs } from './lvs-fixtures';

const load = (text: string) => loadConfigText(text, '/tmp/t.conf', { configId: 't' });

t.test('lvs_method TUN type gue port N csum / gre / ipip reach the IPVS destination', async (t) => {
  const m = load(`virtual_server 192.0.2.101 80 {
  lvs_method TUN type gre csum
  real_server 192.0.2.13 80 {
    lvs_method TUN type gue port 6080 remcsum
  }
  real_server 192.0.2.14 80 {
  }
  real_server 192.0.2.15 80 {
    lvs_method TUN type ipip
  }
  real_server 192.0.2.16 80 {
    lvs_method DR
  }
}
`).model;
  t.ok(m);
  if (!m) return;
  const { table } = desiredTable(m.virtualServers, [], new Map(), new Map());
  const dests = [...[...table.values()][0]!.dests.values()].map((d) => `${d.addr} ${d.fwd} ${d.tunType ?? '-'} ${d.tunPort ?? '-'} ${d.tunCsum ?? '-'}`);
  t.same(dests, [
    '192.0.2.13 tunnel gue 6080 remcsum',
    '192.0.2.14 tunnel gre - csum',
    '192.0.2.15 tunnel ipip - -',
    '192.0.2.16 route - - -',
  ]);
});

t.test('lvs_method TUN errors as keepalived refuses them', async (t) => {
  for (const [opt, why] of [
    ['type gue', /gue needs port/],
    ['type gre remcsum', /remcsum' is only valid for type gue/],
    ['type ipip csum', /not valid for type ipip/],
    ['type vxlan', /invalid tunnel type/],
  ] as const) {
    const r = load(`virtual_server 192.0.2.101 80 {\n  real_server 192.0.2.13 80 {\n    lvs_method TUN ${opt}\n  }\n}\n`);
    t.ok(r.diagnostics.some((d) => why.test(d.message)), `${opt}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  }
});

t.test('FIFO lines and mails in keepalived 2.2.7 words', async (t) => {
  const v = vs({ quorum: 3, hysteresis: 1, protocol: 'TCP' });
  const r = rs('192.0.2.12', 8080);
  const rsDown: LvsEvent = { kind: 'rs', vs: v, rs: r, up: false, init: false };
  t.equal(lvsFifoLine(rsDown), 'RS [192.0.2.12]:tcp:8080 [192.0.2.100]:tcp:80 DOWN\n');
  t.equal(lvsFifoLine({ kind: 'quorum', vs: v, up: true, start: true, liveWeight: 4 }), 'VS [192.0.2.100]:tcp:80 UP\n');
  t.same(lvsMail('lvsexp', rsDown), { subject: '[lvsexp] Realserver [192.0.2.12]:tcp:8080 of virtual server [192.0.2.100]:tcp:80 - DOWN', body: '=> TCP CHECK failed on service <=' });
  t.same(lvsMail('lvsexp', { ...rsDown, up: true }).body, '=> TCP CHECK succeed on service <=');
  t.same(lvsMail('lvsexp', { kind: 'quorum', vs: v, up: true, start: true, liveWeight: 4 }), { subject: '[lvsexp] Virtualserver [192.0.2.100]:tcp:80 - UP', body: '=> Starting with quorum up 3+1=4 <= 4 <=' });
  t.equal(lvsMail('x', { kind: 'quorum', vs: v, up: true, start: false, liveWeight: 4 }).body, '=> Gained quorum 3+1=4 <= 4 <=');
  t.equal(lvsMail('x', { kind: 'quorum', vs: v, up: false, start: false, liveWeight: 0 }).body, '=> Lost quorum 3+1=2 <= 0 <=');
  // who mails: RS smtp_alert, else VS smtp_alert, else smtp_alert_checker, else smtp_alert
  t.equal(lvsMailWanted({}, rsDown), false);
  t.equal(lvsMailWanted({ smtpAlert: true }, rsDown), true);
  t.equal(lvsMailWanted({ smtpAlert: true, smtpAlertChecker: false }, rsDown), false);
  t.equal(lvsMailWanted({ smtpAlertChecker: false }, { ...rsDown, vs: vs({ smtpAlert: true }) }), true);
  t.equal(lvsMailWanted({ smtpAlertChecker: true }, { ...rsDown, rs: rs('192.0.2.12', 8080, { smtpAlert: false }) }), false);
});

t.test('sync daemon follows its instance: backup at start, master while MASTER, backup otherwise, none after stop', async (t) => {
  const m = load(`global_defs {\n  lvs_sync_daemon eth0 VI_1 id 7 port 8850\n}\n`).model!;
  const spec = syncdSpecOf({ ...m, vrrpInstances: [] });
  t.same(spec, { instance: 'VI_1', daemon: { ifname: 'eth0', syncId: 7, port: 8850 } });
  const running = new Set<string>();
  const calls: string[] = [];
  const port = {
    async addDaemon(d: IpvsDaemon) { calls.push(`add ${d.state}`); running.add(d.state); },
    async delDaemon(s: IpvsDaemon['state']) { calls.push(`del ${s}`); running.delete(s); },
  };
  const f = new SyncDaemonFollower(spec!, port, new MemoryLogger());
  await f.start();
  t.same([...running], ['backup']);
  await f.setState('VI_2', 'MASTER');
  t.same([...running], ['backup'], 'another instance does not matter');
  await f.setState('VI_1', 'MASTER');
  t.same([...running], ['master']);
  await f.setState('VI_1', 'FAULT');
  t.same([...running], ['backup']);
  await f.setState('VI_1', 'BACKUP');
  await f.stop();
  t.same([...running], []);
  t.same(calls, ['add backup', 'del backup', 'add master', 'del master', 'add backup', 'del backup']);
  t.equal(syncdSpecOf({ ...load(`global_defs {\n  lvs_sync_daemon eth0 inst VI_9\n}\n`).model!, vrrpInstances: [] })?.instance, 'VI_9');
  t.equal(syncdSpecOf({ ...load(`global_defs {\n  lvs_sync_daemon eth0 id 3\n}\n`).model!, vrrpInstances: [] }), undefined, 'no instance: the LVS runtime runs both');
});

t.test('lvs_sync_daemon_interface in a vrrp_instance: deprecated, followed with syncid 0', async (t) => {
  const r = load(`vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  lvs_sync_daemon_interface eth0\n  virtual_ipaddress {\n    192.0.2.150/24\n  }\n}\n`);
  t.ok(r.model);
  t.same(syncdSpecOf(r.model!), { instance: 'VI_1', daemon: { ifname: 'eth0', syncId: 0 } });
  t.ok(r.diagnostics.some((d) => /lvs_sync_daemon_interface/.test(d.message) && /deprecated/.test(d.message)));
  t.notOk(r.diagnostics.some((d) => /not implemented/.test(d.message)));
});

t.test('global_tracking in a sync group: members keep their tracking weights (as sync_group_tracking_weight)', async (t) => {
  const conf = (gt: string) => `vrrp_script chk {\n  script "/bin/true"\n  weight 10\n}\nvrrp_sync_group VG {\n  group {\n    VI_1\n  }\n${gt}}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 51\n  priority 100\n  track_script {\n    chk\n  }\n  virtual_ipaddress {\n    192.0.2.150/24\n  }\n}\n`;
  const a = load(conf('  global_tracking\n'));
  t.equal(a.model?.vrrpSyncGroups[0]?.syncGroupTrackingWeight, true);
  t.ok(a.diagnostics.some((d) => /global_tracking/.test(d.message) && /deprecated/.test(d.message)));
  t.notOk(a.diagnostics.some((d) => /global_tracking/.test(d.message) && /not implemented/.test(d.message)));
  t.equal(load(conf('')).model?.vrrpSyncGroups[0]?.syncGroupTrackingWeight, false);
});
