import t from 'tap';
import { spawnSync } from 'node:child_process';
import { Metrics, EXPORTER_NAMES, serveMetrics } from '../../src/observe/metrics';
import { buildStatus } from '../../src/observe/status';
import { formatStatus } from '../../src/observe/status-text';
import { parseListen } from '../../src/config/resolve-global';
import { loadConfigText } from '../../src/config/load';
import { fakeViews, filledRecorder, loadModel, manyInstancesConfig } from '../support/fake-views';

const model = loadModel(manyInstancesConfig(20, { virtualServers: 2, script: true }));
const views = fakeViews(model);

t.test('metrics: exporter names kept, our families present, promtool check metrics passes', async (t) => {
  const rec = filledRecorder(model);
  const m = new Metrics({ model: () => model, views: () => views, recorder: rec });
  rec.probe('tcp:[192.0.2.10]:80', '[198.51.100.1]:8080', 'TCP_CHECK', true, 1.5, 1_700_000_000_000);
  rec.scriptResult('chk', true, 4.1); // observed by the histogram (results before the Metrics existed are not)
  rec.health('tcp:[192.0.2.10]:80', '[198.51.100.1]:8080', { up: true });
  const text = await m.scrape();
  for (const name of EXPORTER_NAMES) t.match(text, new RegExp(`# TYPE ${name} `), `exporter family ${name}`);
  t.match(text, /keepalived_vrrp_state\{iname="VI_0",intf="eth0",vrid="1",ip_address="10\.0\.0\.1"\} 2/, 'exporter labels and state numbering');
  t.match(text, /keepalived_vrrp_standby\{iname="VI_3",vrid="4",family="inet",intf="eth0"\} 1/, 'standby reported');
  t.match(text, /keepalived_vrrp_transitions_total\{iname="VI_1",vrid="2",family="inet",intf="eth0",from="BACKUP",to="MASTER"\} 1/);
  t.match(text, /keepalived_vrrp_master_down_total\{iname="VI_1",[^}]*\} 1/);
  t.match(text, /keepalived_vrrp_drops_total\{iname="VI_0",[^}]*reason="ttl"\} 2/);
  t.match(text, /keepalived_script_status\{name="chk"\} 1/);
  t.match(text, /keepalived_script_duration_seconds_bucket\{le="0.005",name="chk"\} 1/);
  t.match(text, /keepalived_checker_latency_seconds_count\{virtual_server="tcp:\[192.0.2.10\]:80",real_server="\[198.51.100.1\]:8080",checker="TCP_CHECK"\} 1/);
  t.match(text, /keepalived_real_server_weight\{virtual_server="tcp:\[192.0.2.10\]:80",real_server="\[198.51.100.1\]:8080"\} 3/);
  t.notMatch(text, /\binstance="/, 'never the reserved label `instance`');
  const pc = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  t.equal(pc.error, undefined, 'promtool runs (scripts/install-deps.sh installs prometheus)');
  t.equal(pc.status, 0, `promtool check metrics: ${pc.stdout}${pc.stderr}`);
});

t.test('metrics over HTTP: /metrics 200 with the Prometheus content type, others 404/405', async (t) => {
  const m = new Metrics({ model: () => model, views: () => views, recorder: filledRecorder(model) });
  const s = await serveMetrics(m, '127.0.0.1', 0);
  t.teardown(() => s.close());
  const base = `http://127.0.0.1:${s.address().port}`;
  const r = await fetch(`${base}/metrics`);
  t.equal(r.status, 200);
  t.match(r.headers.get('content-type'), /text\/plain; version=0\.0\.4/);
  t.match(await r.text(), /keepalived_up 1/);
  t.equal((await fetch(`${base}/`)).status, 404);
  t.equal((await fetch(`${base}/metrics`, { method: 'POST' })).status, 405);
});

t.test('metrics_listen parsing (IPv4, [IPv6], refusals)', async (t) => {
  t.same(parseListen('127.0.0.1:9650'), { host: '127.0.0.1', port: 9650 });
  t.same(parseListen('[::1]:9650'), { host: '::1', port: 9650 });
  t.equal(parseListen('::1:9650'), undefined);
  t.equal(parseListen('127.0.0.1:0'), undefined);
  t.equal(parseListen('127.0.0.1:70000'), undefined);
  const good = loadConfigText('global_defs {\n metrics_listen [::1]:9650\n control_socket /tmp/x.sock\n}\n', 'k.conf', { configId: 'x' } as never);
  t.same(good.model?.globalDefs.metricsListen, { host: '::1', port: 9650 });
  t.equal(good.model?.globalDefs.controlSocket, '/tmp/x.sock');
  const bad = loadConfigText('global_defs {\n metrics_listen nowhere\n}\n', 'k.conf', { configId: 'x' } as never);
  t.ok(bad.diagnostics.some((d) => d.severity === 'error' && /invalid metrics_listen/.test(d.message)), 'a bad address is an error');
});

t.test('status: document fields, target filtering, human table', async (t) => {
  const rec = filledRecorder(model);
  const src = { model, views, groupState: () => undefined, recorder: rec, wallNowMs: 1_700_000_010_000, pid: 42 };
  const doc = buildStatus(src);
  t.equal(doc?.version, 1);
  t.equal(doc?.instances.length, 20);
  const i0 = doc?.instances[0];
  t.match(i0, { name: 'VI_0', state: 'MASTER', standby: false, vipsHeld: ['10.0.0.1/24'], master: { self: true }, adverts: { sent: 1000 }, drops: { ttl: 2 } });
  t.equal(i0?.transitions.length, 2);
  t.match(i0?.priority.trackers[0], { kind: 'interface', name: 'eth0', state: 'up', contribution: 0 });
  t.match(doc?.instances[3], { state: 'BACKUP', standby: true, priority: { advertised: 0 }, vipsHeld: [] });
  t.equal(doc?.virtualServers.length, 2);
  t.equal(buildStatus(src, 'nope'), undefined);
  const one = buildStatus(src, 'VI_3');
  t.equal(one?.instances.length, 1);
  const text = formatStatus(doc as never, { detailed: false });
  t.match(text, /^ Instance\s+VRID\s+AF\s+Interface\s+State/);
  t.match(text, /VI_3\s+4\s+IPv4\s+eth0\s+BACKUP standby \(manual\)/);
  t.match(formatStatus(one as never, { detailed: true }), /Priority\s+base 103, effective 103, advertised 0/);
  const noMaster = { ...(one as NonNullable<typeof one>), instances: [{ ...(one as NonNullable<typeof one>).instances[0], master: null }] };
  t.match(formatStatus(noMaster as never, { detailed: false }), /VI_3 .* -\s+-\s+-\n/, 'no master seen: "-" for master and advert interval (not "-ms")');
});
