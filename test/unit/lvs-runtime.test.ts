import t from 'tap';
import { ScriptPolicy } from '../../src/notify/script-policy';
import { LvsRuntime, parseSyncArgs, type HealthEvent, type HealthSource, type LvsModel } from '../../src/runtime/lvs';
import { MemoryLogger } from '../../src/observe/log';
import type { ScriptRunner, ScriptResult } from '../../src/notify/exec';
import type { VirtualServer, ScriptCommand } from '../../src/config/model';
import { FakeIpvs, rs, vs, loc } from './lvs-fixtures';

const SVC = 'tcp|192.0.2.100|80';
const VS = 'tcp:[192.0.2.100]:80';
const R1 = '192.0.2.11|80';
const R2 = '192.0.2.12|80';
const H1 = '[192.0.2.11]:80';
const H2 = '[192.0.2.12]:80';

class FakeHealth implements HealthSource {
  private l?: (e: HealthEvent) => void;
  readonly paused: string[] = [];
  pause(keys: Iterable<string>): void { this.paused.push(...[...keys].map((k) => `pause ${k}`)); }
  resume(keys: Iterable<string>): void { this.paused.push(...[...keys].map((k) => `resume ${k}`)); }
  on(_event: 'health', listener: (e: HealthEvent) => void): this { this.l = listener; return this; }
  emit(e: HealthEvent): void { this.l?.(e); }
}
class RecordingRunner implements ScriptRunner {
  readonly ran: string[] = [];
  readonly uids: (number | undefined)[] = [];
  async run(argv: readonly string[], opts?: { uid?: number }): Promise<ScriptResult> {
    this.ran.push(argv.join(' '));
    this.uids.push(opts?.uid);
    return { outcome: { kind: 'exited', status: 0 }, stdout: '', stderr: '', durationMs: 0 };
  }
}
const cmd = (c: string): ScriptCommand => ({ loc, command: c, argv: c.split(' ') });
const globals = { lvsFlush: false, lvsFlushOnStop: false };

function setup(v: VirtualServer, over: Partial<LvsModel> = {}, keep = false) {
  const ipvs = new FakeIpvs();
  const log = new MemoryLogger();
  const health = new FakeHealth();
  const scripts = new RecordingRunner();
  const model: LvsModel = { virtualServers: [v], virtualServerGroups: [], globalDefs: globals, vrrpInstances: [], ...over };
  const rt = new LvsRuntime({ model, ipvs, log, health, scripts, keepOnShutdown: keep });
  return { ipvs, log, health, scripts, rt };
}
const texts = (log: MemoryLogger): string[] => log.lines.map((l) => l.text);

t.test('LVS-DR: start, RS down/up logged in keepalived words with notify scripts, shutdown removes', async (t) => {
  const v = vs({
    persistenceTimeoutS: 5,
    realServers: [rs('192.0.2.11', 80, { weight: 2, notifyDown: cmd('/bin/down r1'), notifyUp: cmd('/bin/up r1') }), rs('192.0.2.12', 80, { weight: 3 })],
  });
  const { ipvs, log, health, scripts, rt } = setup(v);
  await rt.start();
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 3 });
  health.emit({ vsKey: VS, rsKey: H1, up: false });
  await rt.settled();
  t.same(ipvs.weights(SVC), { [R2]: 3 });
  t.ok(log.has('Removing service [192.0.2.11]:tcp:80 from VS [192.0.2.100]:tcp:80'), texts(log).join('\n'));
  t.same(scripts.ran, ['/bin/down r1']);
  health.emit({ vsKey: VS, rsKey: H1, up: true });
  await rt.settled();
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 3 });
  t.ok(log.has('Adding service [192.0.2.11]:tcp:80 to VS [192.0.2.100]:tcp:80'));
  t.same(scripts.ran, ['/bin/down r1', '/bin/up r1']);
  const before = ipvs.calls.length;
  health.emit({ vsKey: VS, rsKey: H1, up: true });
  await rt.settled();
  t.equal(ipvs.calls.length, before, 'a repeated verdict changes nothing');
  await rt.stop();
  t.equal(ipvs.services.size, 0);
});

t.test('inhibit_on_failure: Disabling/Enabling, weight 0 kept', async (t) => {
  const { ipvs, log, health, rt } = setup(vs({ inhibitOnFailure: true }));
  await rt.start();
  health.emit({ vsKey: VS, rsKey: H2, up: false });
  await rt.settled();
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 0 });
  t.ok(log.has('Disabling service [192.0.2.12]:tcp:80 of VS [192.0.2.100]:tcp:80'));
  health.emit({ vsKey: VS, rsKey: H2, up: true });
  await rt.settled();
  t.ok(log.has('Enabling service [192.0.2.12]:tcp:80 of VS [192.0.2.100]:tcp:80'));
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 3 });
});

t.test('quorum lost → sorry server + quorum_down; regained → real servers back + quorum_up', async (t) => {
  const v = vs({ quorum: 3, hysteresis: 0, quorumUp: cmd('/bin/qup'), quorumDown: cmd('/bin/qdown'), sorryServer: { loc, address: '192.0.2.200', port: 80, inhibit: false, lvsMethod: 'DR' } });
  const { ipvs, log, health, scripts, rt } = setup(v);
  await rt.start();
  // keepalived 2.2.7 (observed): a VS that starts with quorum runs quorum_up at start-up
  t.ok(log.has('Gained quorum 3+0=3 <= 5 for VS [192.0.2.100]:tcp:80'), 'start-up gain logged');
  t.same(scripts.ran, ['/bin/qup'], 'quorum_up at start-up');
  health.emit({ vsKey: VS, rsKey: H2, up: false });
  await rt.settled();
  t.ok(log.has('Lost quorum 3-0=3 > 2 for VS [192.0.2.100]:tcp:80'), texts(log).join('\n'));
  t.ok(log.has('Adding sorry server [192.0.2.200]:tcp:80 to VS [192.0.2.100]:tcp:80'));
  t.same(ipvs.weights(SVC), { '192.0.2.200|80': 1 });
  t.same(scripts.ran, ['/bin/qup', '/bin/qdown']);
  health.emit({ vsKey: VS, rsKey: H2, up: true });
  await rt.settled();
  t.ok(log.has('Gained quorum 3+0=3 <= 5 for VS [192.0.2.100]:tcp:80'));
  t.ok(log.has('Removing sorry server [192.0.2.200]:tcp:80 from VS [192.0.2.100]:tcp:80'));
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 3 });
  t.same(scripts.ran, ['/bin/qup', '/bin/qdown', '/bin/qup']);
});

t.test('start-up events as keepalived 2.2.7: quorum met → VS UP; alpha below quorum → silent; rs_init_notifies → RS UP first', async (t) => {
  const events: string[] = [];
  const mk = (v: VirtualServer, rsInit: boolean) => {
    const ipvs = new FakeIpvs();
    const scripts = new RecordingRunner();
    const model: LvsModel = { virtualServers: [v], virtualServerGroups: [], globalDefs: { ...globals, rsInitNotifies: rsInit }, vrrpInstances: [] };
    const rt = new LvsRuntime({ model, ipvs, log: new MemoryLogger(), health: new FakeHealth(), scripts, events: (e) => events.push(`${e.kind} ${e.kind === 'rs' ? e.rs.address : ''} ${e.up ? 'UP' : 'DOWN'}${e.kind === 'quorum' && e.start ? ' start' : ''}`) });
    return { rt, scripts };
  };
  const qv = vs({ quorum: 3, hysteresis: 1, quorumUp: cmd('/bin/qup'), realServers: [rs('192.0.2.11', 80, { weight: 2, notifyUp: cmd('/bin/up 11') }), rs('192.0.2.12', 80, { weight: 2 })] });
  let x = mk(qv, false);
  await x.rt.start();
  t.same(events, ['quorum  UP start'], 'no RS events without rs_init_notifies');
  t.same(x.scripts.ran, ['/bin/qup']);
  events.length = 0;
  x = mk(qv, true);
  await x.rt.start();
  t.same(events, ['rs 192.0.2.11 UP', 'rs 192.0.2.12 UP', 'quorum  UP start'], 'rs_init_notifies: every RS UP, then VS UP');
  t.same(x.scripts.ran, ['/bin/up 11', '/bin/qup']);
  events.length = 0;
  x = mk(vs({ ...qv, alpha: true }), false);
  await x.rt.start();
  t.same(events, [], 'alpha: starts below quorum, nothing reported');
  t.same(x.scripts.ran, []);
});

t.test('lvs_flush_on_stop VS deletes only our services (a foreign one stays); bare lvs_flush_on_stop flushes all', async (t) => {
  const foreign = { af: 'inet' as const, protocol: 'udp' as const, addr: '198.51.100.1', port: 53, fwmark: 0, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 };
  let x = setup(vs(), { globalDefs: { ...globals, lvsFlushOnStop: true, lvsFlushOnStopVsOnly: true } });
  await x.ipvs.addService(foreign);
  await x.rt.start();
  t.ok(x.ipvs.services.has(SVC));
  x.ipvs.calls.length = 0;
  await x.rt.stop();
  t.same([...x.ipvs.services.keys()], ['udp|198.51.100.1|53'], 'foreign service kept');
  t.same(x.ipvs.calls, [`delService ${SVC}`], 'one delete per VS, no per-RS deletes');
  x = setup(vs(), { globalDefs: { ...globals, lvsFlushOnStop: true } });
  await x.ipvs.addService(foreign);
  await x.rt.start();
  await x.rt.stop();
  t.same([...x.ipvs.services.keys()], [], 'bare: full flush');
});

t.test('start-up adopts existing entries with a minimal diff and leaves foreign services', async (t) => {
  const { ipvs, rt } = setup(vs());
  await ipvs.addService({ af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0, scheduler: 'wrr', flags: 0, timeoutS: 0, netmaskPrefix: 32 });
  await ipvs.addDest({ af: 'inet', protocol: 'tcp', addr: '192.0.2.100', port: 80, fwmark: 0 }, { addr: '192.0.2.11', port: 80, fwd: 'route', weight: 9, upperThreshold: 0, lowerThreshold: 0 });
  await ipvs.addService({ af: 'inet', protocol: 'udp', addr: '198.51.100.1', port: 53, fwmark: 0, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 });
  ipvs.calls.length = 0;
  await rt.start();
  t.same(ipvs.calls, [`editDest ${SVC} ${R1} w2`, `addDest ${SVC} ${R2} w3`]);
  t.ok(ipvs.services.has('udp|198.51.100.1|53'));
  await rt.stop();
  t.same([...ipvs.services.keys()], ['udp|198.51.100.1|53'], 'shutdown removes only ours');
});

t.test('lvs_flush at start, lvs_timeouts, sync daemon; -I keeps entries at shutdown', async (t) => {
  const { ipvs, rt } = setup(vs(), { globalDefs: { lvsFlush: true, lvsFlushOnStop: false, lvsTimeouts: { tcpS: 7200 }, lvsSyncDaemon: { interface: 'eth0', args: ['id', '5', 'group', '224.0.0.82'] } } }, true);
  // (with an instance, the VRRP side runs it: runtime/lvs-syncd, test/unit/lvs-notify-syncd)
  await ipvs.addService({ af: 'inet', protocol: 'udp', addr: '198.51.100.1', port: 53, fwmark: 0, scheduler: 'rr', flags: 0, timeoutS: 0, netmaskPrefix: 32 });
  await rt.start();
  t.notOk(ipvs.services.has('udp|198.51.100.1|53'));
  t.same(ipvs.timeouts, { tcpS: 7200, tcpFinS: 120, udpS: 300 });
  t.same(ipvs.daemons.map((d) => `${d.state} ${d.ifname} ${d.syncId} ${d.group}`), ['master eth0 5 224.0.0.82', 'backup eth0 5 224.0.0.82']);
  await rt.stop();
  t.ok(ipvs.services.has(SVC), 'kept with keepOnShutdown');
  t.same(parseSyncArgs('eth1', ['inst', 'VI_1', 'maxlen', '1400', 'port', '8848', 'ttl', '2']), { ifname: 'eth1', syncId: 0, maxLen: 1400, port: 8848, ttl: 2 });
});

t.test('a failed kernel op is logged and the next change resyncs from the kernel', async (t) => {
  const { ipvs, log, health, rt } = setup(vs());
  await rt.start();
  ipvs.failNext = 'delDest';
  health.emit({ vsKey: VS, rsKey: H1, up: false });
  await rt.settled();
  t.ok(log.lines.some((l) => l.level === 'error' && /delDest failed/.test(l.text)));
  t.same(ipvs.weights(SVC), { [R1]: 2, [R2]: 3 }, 'still there after the failure');
  health.emit({ vsKey: VS, rsKey: H2, up: false });
  await rt.settled();
  t.same(ipvs.weights(SVC), {}, 'resync removed both');
});

t.test('omega: quorum_down and notify_down at shutdown', async (t) => {
  const v = vs({ omega: true, quorumDown: cmd('/bin/qdown'), realServers: [rs('192.0.2.11', 80, { notifyDown: cmd('/bin/down r1') })] });
  const { scripts, rt } = setup(v);
  await rt.start();
  await rt.stop();
  t.same(scripts.ran.sort(), ['/bin/down r1', '/bin/qdown']);
});

t.test('ha_suspend follows the VRRP instance holding the VS address', async (t) => {
  const v = vs({ haSuspend: true });
  const inst = { name: 'VI_1', virtualIpaddress: [{ loc, address: '192.0.2.100', prefixLen: 32, family: 'inet' as const }] } as unknown as LvsModel['vrrpInstances'][number];
  const { rt, health } = setup(v, { vrrpInstances: [inst] });
  const seen: string[] = [];
  rt.onSuspendChange((k, s) => seen.push(`${k} ${s}`));
  rt.setVrrpMaster('VI_1', false);
  t.ok(rt.isSuspended(VS));
  rt.setVrrpMaster('VI_1', false);
  rt.setVrrpMaster('VI_1', true);
  t.notOk(rt.isSuspended(VS));
  t.same(seen, [`${VS} true`, `${VS} false`]);
  t.same(health.paused, [`pause ${VS}`, `resume ${VS}`], 'the checker runtime is paused/resumed');
  rt.setVrrpMaster('OTHER', false);
  t.notOk(rt.isSuspended(VS));
});

t.test('reload: a removed virtual server is deleted, a new one added', async (t) => {
  const { ipvs, rt } = setup(vs());
  await rt.start();
  const v2 = vs({ address: '198.51.100.10', realServers: [rs('192.0.2.21', 80)] });
  await rt.reload({ virtualServers: [v2], virtualServerGroups: [], globalDefs: globals, vrrpInstances: [] });
  t.same([...ipvs.services.keys()], ['tcp|198.51.100.10|80']);
});

t.test('a burst of health events is coalesced into one diff', async (t) => {
  const { ipvs, health, rt } = setup(vs());
  await rt.start();
  ipvs.calls.length = 0;
  for (let i = 0; i < 1000; i++) health.emit({ vsKey: VS, rsKey: i % 2 ? H1 : H2, up: i % 3 !== 0 });
  health.emit({ vsKey: VS, rsKey: H1, up: false });
  health.emit({ vsKey: VS, rsKey: H2, up: true });
  await rt.settled();
  t.same(ipvs.calls, [`delDest ${SVC} ${R1}`], 'only the net change reaches the kernel');
  t.same(ipvs.weights(SVC), { [R2]: 3 });
});

t.test('scripts with `user` run under the resolved uid/gid', async (t) => {
  const v = vs({ realServers: [rs('192.0.2.11', 80, { notifyDown: { ...cmd('/bin/down'), user: 'nobody' } })] });
  const ipvs = new FakeIpvs();
  const health = new FakeHealth();
  const scripts = new RecordingRunner();
  const log = new MemoryLogger();
  const rt = new LvsRuntime({ model: { virtualServers: [v], virtualServerGroups: [], globalDefs: globals, vrrpInstances: [] }, ipvs, log, health, scripts,
    scriptPolicy: new ScriptPolicy({ log, lookup: (u) => (u === 'nobody' ? { uid: 65534, gid: 65534 } : undefined) }) });
  await rt.start();
  health.emit({ vsKey: VS, rsKey: H1, up: false });
  await rt.settled();
  t.same(scripts.uids, [65534]);
});
