import t from 'tap';
import { errors, instance, load, withCode } from './config-helpers';

t.test('vrrp_script fields and defaults', async (t) => {
  const r = load('vrrp_script chk {\n  script "/usr/bin/curl -s \'http://x/a b\'"\n  interval 2\n  weight -10 reverse\n  rise 3\n  fall 4\n  user nobody nogroup\n  init_fail\n}\nvrrp_script d {\n  script /bin/true\n}\n');
  t.same(errors(r), []);
  const [s, d] = r.model?.vrrpScripts ?? [];
  t.match(s, { name: 'chk', intervalMs: 2000, timeoutMs: 2000, weight: -10, weightReverse: true, rise: 3, fall: 4, initFail: true });
  t.same(s?.script.argv, ['/usr/bin/curl', '-s', 'http://x/a b']);
  t.match(s?.script, { user: 'nobody', group: 'nogroup' });
  t.match(d, { intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false });
});

t.test('vrrp_script / misc_path: only the first word is the command line, as keepalived 2.2.7 runs it', async (t) => {
  // Observed with /usr/sbin/keepalived 2.2.7: `script /x.sh a b` runs /x.sh with no argument; in a
  // one-line block the words after the quoted command (interval 2) are never read (Interval = 1 sec).
  const r = load('vrrp_script a {\n  script /bin/check a b\n}\nvrrp_script c { script "/bin/check x" interval 2 }\nvrrp_script q {\n  script "/bin/check a \'b c\'"\n}\n');
  const [a, c, q] = r.model?.vrrpScripts ?? [];
  t.same(a?.script.argv, ['/bin/check'], 'unquoted words after the command: not arguments');
  t.same(c?.script.argv, ['/bin/check', 'x'], 'one-line block: the quoted command line');
  t.equal(c?.intervalMs, 1000, 'and its interval 2 is not read (the default 1 s)');
  t.same(q?.script.argv, ['/bin/check', 'a', 'b c'], 'the quoted command line is split, single quotes keep a parameter');
  const w = withCode(r, 'ERR_CONFIG_SCRIPT_ARGS');
  t.equal(w.length, 2, 'both said, as warnings');
  t.match(w[0], { severity: 'warning', loc: { line: 2, col: 21 }, message: /keepalived runs '\/bin\/check' alone and ignores 'a b'\); quote the whole command line/ });
  t.match(w[1]?.message, /ignores 'interval 2'.*each keyword on its own line/);
  const m = load('virtual_server 192.0.2.10 80 {\n  real_server 192.0.2.1 80 {\n    MISC_CHECK {\n      misc_path /bin/check 192.0.2.1\n    }\n  }\n}\n');
  t.equal(withCode(m, 'ERR_CONFIG_SCRIPT_ARGS').length, 1, 'misc_path likewise');
});

t.test('vrrp_script bad input', async (t) => {
  const r = load('vrrp_script chk {\n  interval 0\n  weight 300\n  rise x\n  scrpt /bin/true\n}\n');
  t.ok(withCode(r, 'ERR_CONFIG_MISSING_KEYWORD').some((d) => d.message === 'No script set for vrrp_script chk - removing'));
  t.same(r.model?.vrrpScripts, [], 'dropped, as keepalived 2.2.7 does');
  t.ok(withCode(r, 'ERR_CONFIG_OUT_OF_RANGE').length >= 1, 'interval 0');
  t.equal(withCode(r, 'ERR_CONFIG_BAD_VALUE').length, 1);
  t.equal(withCode(r, 'ERR_CONFIG_UNKNOWN_KEYWORD')[0]?.suggestion, 'script');
});

t.test('track_file and vrrp_track_process', async (t) => {
  const r = load('track_file tf {\n  file /run/prio\n  weight 10 reverse\n  init_file 5 overwrite\n}\nvrrp_track_file old {\n  file /run/old\n}\nvrrp_track_process tp {\n  process nginx -g daemon\n  param_match partial\n  quorum 2\n  weight -20\n  delay 1.5\n}\n');
  t.same(errors(r), []);
  t.equal(withCode(r, 'ERR_CONFIG_DEPRECATED').length, 1, 'vrrp_track_file is deprecated');
  t.match(r.model?.trackFiles[0], { name: 'tf', file: '/run/prio', weight: 10, weightReverse: true, initFile: { value: 5, overwrite: true } });
  t.equal(r.model?.trackFiles[1]?.name, 'old');
  // keepalived.conf(5) "weight defaults to 1"; keepalived 2.2.7 observed: a file holding 5, tracked with no weight anywhere, makes priority 100 -> 105.
  t.match(r.model?.trackFiles[1], { weight: 1, weightReverse: false }, 'a track_file without weight has weight 1');
  t.match(r.model?.trackProcesses[0], { name: 'tp', process: 'nginx', processArgs: ['-g', 'daemon'], paramMatch: 'partial', quorum: 2, weight: -20, delayMs: 1500 });
  const bad = load('vrrp_track_process tp {\n  param_match whole\n  quorum 0\n}\n');
  t.equal(withCode(bad, 'ERR_CONFIG_BAD_VALUE').length, 1);
  t.equal(withCode(bad, 'ERR_CONFIG_OUT_OF_RANGE').length, 1);
  t.equal(withCode(bad, 'ERR_CONFIG_MISSING_KEYWORD').length, 1, 'process is required');
});

t.test('sync groups: members, trackers, notify; the member-list syntax 2.2.7 does not read', async (t) => {
  const r = load(`vrrp_sync_group G {\n  group {\n    A\n    B\n  }\n  notify_master "/bin/g master"\n  track_interface {\n    eth9\n  }\n}\n${instance('', 'A')}${instance('  interface eth1', 'B')}`);
  t.same(errors(r), []);
  const g = r.model?.vrrpSyncGroups[0];
  t.same(g?.members, ['A', 'B']);
  t.same(g?.notifyMaster?.argv, ['/bin/g', 'master']);
  t.equal(g?.trackInterface[0]?.name, 'eth9');
  t.same(r.model?.vrrpInstances.map((v) => v.syncGroup), ['G', 'G']);
  const legacy = load(`vrrp_sync_group G {\n  A\n  B\n}\n${instance('', 'A')}${instance('  interface eth1', 'B')}`);
  // keepalived 2.2.7 (observed): "Unknown keyword 'A'", ..., "Sync group G has no virtual router(s). removing".
  t.same(errors(legacy).map((d) => d.message).sort(), [
    'Sync group G has no virtual router(s). removing',
    "unknown keyword 'A' in vrrp_sync_group",
    "unknown keyword 'B' in vrrp_sync_group",
  ]);
  t.same(legacy.model?.vrrpSyncGroups, [], 'no sync group: the instances run on their own');
  t.same(legacy.model?.vrrpInstances.map((v) => v.syncGroup), [undefined, undefined]);
  const missing = load(`vrrp_sync_group G {\n  group {\n    A\n    Z\n  }\n}\n${instance('', 'A')}`);
  t.same(errors(missing).map((d) => d.message), [
    "Virtual router Z specified in sync group G doesn't exist - ignoring",
    "Sync group G has only 1 virtual router(s) - this probably isn't what you want",
  ]);
  t.same(missing.model?.vrrpSyncGroups[0]?.members, ['A'], 'the unknown member is dropped, the group kept');
  const empty = load(`vrrp_sync_group G {\n  group {\n  }\n}\n${instance('', 'A')}`);
  t.same(empty.diagnostics.map((d) => d.message), ['Warning - sync group G has empty group block', 'Sync group G has no virtual router(s). removing']);
  const weighted = load(`vrrp_script s {\n script /bin/true\n}\nvrrp_sync_group G {\n  group {\n    A\n    B\n  }\n}\n${instance('  track_script {\n    s weight 10\n  }', 'A')}${instance('  interface eth1', 'B')}`);
  t.equal(withCode(weighted, 'ERR_CONFIG_SYNC_WEIGHT').length, 1);
});

t.test('static addresses, routes and rules', async (t) => {
  const r = load('static_ipaddress {\n  192.0.2.1/24 dev eth0 scope link\n  2001:db8::1/64 dev eth0\n}\nstatic_routes {\n  default via 192.0.2.254 dev eth0\n  198.51.100.0/24 via 192.0.2.253 or 192.0.2.252\n  unreachable 203.0.113.0/24\n}\nstatic_rules {\n  from 192.0.2.0/24 table 10 priority 5\n  to 2001:db8::/32 lookup 11 preference 100\n  from 192.0.2./24 table 1\n}\n');
  // As keepalived 2.2.7 says of its own sample keepalived.conf.vrrp.routes (installed all the same).
  t.same(errors(r).map((d) => d.message), [
    'Warning - cannot track route 198.51.100.0/24 with no interface specified, not tracking',
    'Warning - cannot track route 203.0.113.0/24 with no interface specified, not tracking',
  ]);
  const m = r.model;
  t.same(m?.staticAddresses.map((a) => [a.address, a.prefixLen, a.family, a.scope ?? null]), [['192.0.2.1', 24, 'inet', 'link'], ['2001:db8::1', 64, 'inet6', null]]);
  t.match(m?.staticRoutes[0], { to: { address: '0.0.0.0', prefixLen: 0 }, via: ['192.0.2.254'], dev: 'eth0' });
  t.same(m?.staticRoutes[1]?.via, ['192.0.2.253', '192.0.2.252']);
  t.equal(m?.staticRoutes[2]?.type, 'unreachable');
  t.equal(m?.staticRules.length, 2, 'the malformed rule is skipped');
  t.match(m?.staticRules[1], { family: 'inet6', table: '11', preference: 100 });
  t.equal(withCode(r, 'ERR_CONFIG_BAD_ADDRESS')[0]?.severity, 'warning');
  const bad = load('static_ipaddress {\n  192.0.2.300/24\n}\n');
  t.equal(withCode(bad, 'ERR_CONFIG_BAD_ADDRESS')[0]?.severity, 'error');
});

// keepalived 2.2.7, observed (-t and the daemon; test/interop/config-test-codes, test/integration/named-tables).
t.test('rules as keepalived 2.2.7 reads them: default preferences, unknown options, protocols', async (t) => {
  const r = load('static_rules {\n  from 192.0.2.1 table 10\n  from 192.0.2.2 table 10 order 7\n}\nvrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_rules {\n    from 192.0.2.3 table 10\n  }\n}\nstatic_rules {\n  from 192.0.2.4 table 10\n}\n');
  t.same(r.model?.staticRules.map((x) => x.preference), [16384, 7, 16382], 'static rules: 16384 first, counting down in file order');
  t.same(r.model?.vrrpInstances[0]?.virtualRules.map((x) => x.preference), [16383], 'a virtual rule between them in the file takes the next number');
  t.same(withCode(r, 'ERR_CONFIG_RULE_NO_PREFERENCE').map((d) => [d.severity, d.message, d.loc?.line]), [
    ['error', 'Rule has no preference specified - setting to 16384. This is probably not what you want.', 2],
    ['error', 'Rule has no preference specified - setting to 16383. This is probably not what you want.', 9],
    ['error', 'Rule has no preference specified - setting to 16382. This is probably not what you want.', 13],
  ]);
  const pref = load('static_rules {\n  from 192.0.2.1 table 10 pref 3\n  from 192.0.2.2 table 10 preference 4 ip_proto udp\n  from 192.0.2.3 table 10 preference 5 ipproto udp\n}\n');
  t.same(pref.model?.staticRules.map((x) => x.preference), [5], '`pref` and `ip_proto` are unknown rule options to 2.2.7: those rules are skipped');
  t.same(errors(pref).map((d) => d.message), ['Unknown rule option pref', 'Unknown rule option ip_proto']);
  const proto = load('static_rules {\n  from 192.0.2.1 table 10 preference 1 protocol 12\n  from 192.0.2.2 table 10 preference 2 protocol static\n  from 192.0.2.3 table 10 preference 3 protocol 12 no_track\n}\n');
  t.same(errors(proto).map((d) => d.message), [
    'Rule cannot be tracked if protocol is not RTPROT_KEEPALIVED(18), resetting protocol',
    "invalid number 'static'",
    'Invalid protocol static',
  ], 'a tracked rule\'s numeric protocol is reset; a name is refused; no_track keeps a number');
  t.same(proto.model?.staticRules[1]?.args, ['from', '192.0.2.2', 'table', '10', 'preference', '2'], 'the refused protocol is not installed');
});

t.test('an unknown track_group on a static entry is a config error, as keepalived 2.2.7 says it', async (t) => {
  const r = load('track_group TG {\n  group {\n    VI_1\n  }\n}\nstatic_ipaddress {\n  192.0.2.1/24 dev eth0 track_group TG\n  192.0.2.2/24 dev eth0 track_group NOPE\n}\nstatic_routes {\n  198.51.100.0/24 dev eth0 track_group TH\n}\n');
  t.same(errors(r).map((d) => [d.message, d.loc?.line]), [['track_group NOPE not found', 8], ['track_group TH not found', 11]]);
});
