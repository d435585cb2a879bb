import t from 'tap';
import { errors, instance, load, withCode } from './config-helpers';

t.test('minimal instance gets keepalived defaults', async (t) => {
  const r = load(instance());
  t.same(errors(r), []);
  const vi = r.model?.vrrpInstances[0];
  t.ok(vi);
  if (!vi) return;
  t.equal(vi.name, 'VI_1');
  t.equal(vi.state, 'BACKUP');
  t.equal(vi.priority, 100);
  t.equal(vi.advertIntMs, 1000);
  t.equal(vi.version, 2);
  t.equal(vi.family, 'inet');
  t.equal(vi.accept, true);
  t.equal(vi.mcastDstIp, '224.0.0.18');
  t.equal(vi.garpMasterDelayMs, 5000);
  t.equal(vi.garpMasterRepeat, 5);
  t.equal(vi.downTimerAdverts, 3);
  t.same(vi.virtualIpaddress.map((v) => [v.address, v.prefixLen]), [['192.0.2.100', 24]]);
  t.same(vi.loc, { file: 'test.conf', line: 1, col: 1 });
});

t.test('every modelled instance keyword lands in the model', async (t) => {
  const r = load(`
global_defs { vrrp_garp_master_repeat 3 }
vrrp_script chk { script "/bin/true" }
track_file tf { file /tmp/x }
vrrp_track_process tp { process nginx }
vrrp_instance VI_9 {
  state MASTER
  interface eth0
  virtual_router_id 9
  priority 150
  advert_int 2
  nopreempt
  preempt_delay 30
  no_accept
  dont_track_primary
  unicast_src_ip 192.0.2.1
  unicast_peer {
    192.0.2.2 min_ttl 10 max_ttl 64
    192.0.2.3
  }
  authentication {
    auth_type PASS
    auth_pass secret12345
  }
  virtual_ipaddress {
    192.0.2.100/24 brd 192.0.2.255 dev eth0 scope global label eth0:1 no_track
    192.0.2.101
  }
  virtual_ipaddress_excluded {
    198.51.100.7/32
  }
  virtual_routes {
    198.51.100.0/24 via 192.0.2.254 dev eth0 table 100 metric 5
    blackhole 203.0.113.0/24 no_track
  }
  virtual_rules {
    from 192.0.2.0/24 table 100 priority 10
  }
  track_interface {
    eth1 weight -20
    eth2
  }
  track_script {
    chk weight 5 reverse
  }
  track_file { tf weight 3 }
  track_process { tp }
  notify_master "/bin/echo master  now" root root
  notify /etc/keepalived/notify.sh
  garp_master_delay 1
  use_vmac vrrp9
  vmac_xmit_base
}`);
  // keepalived 2.2.7 clears nopreempt and preempt_delay for an initial MASTER, and truncates the
  // 9-character password, each a config error (unit 'preemption rules' below has the other cases).
  t.same(errors(r).map((d) => d.message), [
    '(VI_9) Warning - nopreempt will not work with initial state MASTER - clearing',
    '(VI_9) Warning - preempt delay will not work with initial state MASTER - clearing',
    'Truncating auth_pass to 8 characters',
  ]);
  const vi = r.model?.vrrpInstances[0];
  if (!vi) return t.fail('no instance');
  t.equal(vi.state, 'MASTER');
  t.equal(vi.priority, 150);
  t.equal(vi.advertIntMs, 2000);
  t.equal(vi.nopreempt, false);
  t.equal(vi.preemptDelayMs, 0);
  t.equal(vi.accept, false);
  t.equal(vi.dontTrackPrimary, true);
  t.equal(vi.unicastSrcIp, '192.0.2.1');
  t.same(vi.unicastPeers.map((p) => [p.address, p.minTtl, p.maxTtl]), [['192.0.2.2', 10, 64], ['192.0.2.3', undefined, undefined]]);
  t.same(vi.auth, { type: 'PASS', pass: 'secret12' });
  t.equal(withCode(r, 'ERR_CONFIG_AUTH_PASS_TRUNCATED').length, 1);
  const v0 = vi.virtualIpaddress[0];
  t.match(v0, { address: '192.0.2.100', prefixLen: 24, brd: '192.0.2.255', dev: 'eth0', scope: 'global', label: 'eth0:1', noTrack: true });
  t.equal(vi.virtualIpaddress[1]?.prefixLen, 32);
  t.equal(vi.virtualIpaddressExcluded[0]?.address, '198.51.100.7');
  t.match(vi.virtualRoutes[0], { to: { address: '198.51.100.0', prefixLen: 24 }, via: ['192.0.2.254'], dev: 'eth0', table: '100', metric: 5, type: 'unicast' });
  t.match(vi.virtualRoutes[1], { type: 'blackhole', to: { address: '203.0.113.0', prefixLen: 24 } });
  t.match(vi.virtualRules[0], { from: { address: '192.0.2.0', prefixLen: 24 }, table: '100', preference: 10 });
  t.same(vi.trackInterface.map((x) => [x.name, x.weight, x.reverse]), [['eth1', -20, false], ['eth2', 0, false]]);
  t.same(vi.trackScript.map((x) => [x.name, x.weight, x.reverse]), [['chk', 5, true]]);
  t.same(vi.trackFile.map((x) => [x.name, x.weight]), [['tf', 3]]);
  t.same(vi.trackProcess.map((x) => x.name), ['tp']);
  t.match(vi.notifyMaster, { command: '/bin/echo master  now', argv: ['/bin/echo', 'master', 'now'], user: 'root', group: 'root' });
  t.match(vi.notify, { command: '/etc/keepalived/notify.sh', argv: ['/etc/keepalived/notify.sh'] });
  t.equal(vi.garpMasterDelayMs, 1000);
  t.equal(vi.garpMasterRepeat, 3, 'inherited from global vrrp_garp_master_repeat');
  t.same(vi.useVmac, { name: 'vrrp9' });
  t.equal(vi.vmacXmitBase, true);
});

t.test('range and value errors carry file:line:col', async (t) => {
  const cases: [string, string][] = [
    ['virtual_router_id 300', 'ERR_CONFIG_OUT_OF_RANGE'],
    ['priority 0', 'ERR_CONFIG_OUT_OF_RANGE'],
    ['priority 256', 'ERR_CONFIG_OUT_OF_RANGE'],
    ['priority high', 'ERR_CONFIG_BAD_VALUE'],
    ['advert_int abc', 'ERR_CONFIG_BAD_VALUE'],
    ['advert_int 0', 'ERR_CONFIG_OUT_OF_RANGE'],
    ['state SLAVE', 'ERR_CONFIG_BAD_VALUE'],
    ['preempt_delay 5000', 'ERR_CONFIG_OUT_OF_RANGE'],
    ['smtp_alert maybe', 'ERR_CONFIG_BAD_VALUE'],
  ];
  for (const [line, code] of cases) {
    // virtual_router_id replaces the default one (later wins), so it is reported where written.
    const r = load(instance(`  ${line}`));
    const d = withCode(r, code)[0];
    t.ok(d, `${line} → ${code}`);
    t.equal(d?.severity, 'error', line);
    t.equal(d?.loc?.file, 'test.conf', line);
    t.equal(d?.loc?.line, 7, `${line} line`);
  }
});

t.test('missing virtual_router_id and interface are errors', async (t) => {
  const r = load('vrrp_instance VI_X {\n  interface eth0\n}\n');
  const d = withCode(r, 'ERR_CONFIG_MISSING_KEYWORD')[0];
  t.match(d?.message, /virtual_router_id/);
  t.same(d?.loc, { file: 'test.conf', line: 1, col: 1 });
  t.equal(r.model?.vrrpInstances.length, 0, 'instance without VRID is dropped as keepalived does');
  const r2 = load('vrrp_instance VI_X {\n  virtual_router_id 5\n  virtual_ipaddress { 192.0.2.1 }\n}\n');
  t.match(withCode(r2, 'ERR_CONFIG_MISSING_KEYWORD')[0]?.message, /interface/);
  const r3 = load('vrrp_instance VI_X {\n  virtual_router_id 5\n  unicast_peer { 192.0.2.9 }\n  virtual_ipaddress { 192.0.2.1 dev eth0 }\n}\n');
  t.same(errors(r3), [], 'unicast + dev on every VIP needs no interface');
});

t.test('unknown keyword: error with suggestion', async (t) => {
  const r = load(instance('  virtual_router_idd 5'));
  const d = withCode(r, 'ERR_CONFIG_UNKNOWN_KEYWORD')[0];
  t.equal(d?.severity, 'error');
  t.match(d?.message, /unknown keyword 'virtual_router_idd'/);
  t.equal(d?.suggestion, 'virtual_router_id');
  t.same(d?.loc, { file: 'test.conf', line: 7, col: 3 });
  const top = load('vrrp_instanse VI_1 {\n}\n');
  t.equal(withCode(top, 'ERR_CONFIG_UNKNOWN_KEYWORD')[0]?.suggestion, 'vrrp_instance');
});

t.test('wrong-case state accepted with a warning', async (t) => {
  const r = load(instance('  state Master'));
  t.same(errors(r), []);
  t.equal(r.model?.vrrpInstances[0]?.state, 'MASTER');
  t.equal(withCode(r, 'ERR_CONFIG_CASE')[0]?.severity, 'warning');
});

t.test('advert_int: fractional v2 rounded (an error, as keepalived -t); v3 keeps centiseconds', async (t) => {
  const r = load(instance('  advert_int 1.6'));
  t.equal(r.model?.vrrpInstances[0]?.advertIntMs, 2000);
  t.equal(withCode(r, 'ERR_CONFIG_ADVERT_INT_ROUNDED')[0]?.severity, 'error');
  const r3 = load(instance('  version 3\n  advert_int 0.25'));
  t.equal(r3.model?.vrrpInstances[0]?.advertIntMs, 250);
  t.same(withCode(r3, 'ERR_CONFIG_ADVERT_INT_ROUNDED'), []);
  const big = load(instance('  version 3\n  advert_int 50'));
  t.equal(withCode(big, 'ERR_CONFIG_OUT_OF_RANGE').length, 1);
});

t.test('IPv6 VIPs make an inet6 v3 instance with the v6 group', async (t) => {
  const r = load('vrrp_instance V6 {\n interface eth0\n virtual_router_id 7\n virtual_ipaddress {\n  2001:DB8:0:0::10/64\n  192.0.2.5\n }\n}\n');
  const vi = r.model?.vrrpInstances[0];
  t.equal(vi?.family, 'inet6');
  t.equal(vi?.version, 3);
  t.equal(vi?.mcastDstIp, 'ff02::12');
  t.same(vi?.virtualIpaddress.map((v) => v.address), ['2001:db8::10'], 'mixed family VIP skipped');
  t.equal(withCode(r, 'ERR_CONFIG_FAMILY_MISMATCH').length, 1);
});

t.test('tracker defined after the instance works; unknown tracker is an error', async (t) => {
  const r = load(instance('  track_script {\n    late\n  }') + 'vrrp_script late {\n  script "/bin/true"\n}\n');
  t.same(errors(r), []);
  const bad = load(instance('  track_script {\n    chek_nginx\n  }') + 'vrrp_script check_nginx {\n  script "/bin/true"\n}\n');
  const d = withCode(bad, 'ERR_CONFIG_UNKNOWN_TRACKER')[0];
  t.equal(d?.severity, 'error');
  t.equal(d?.suggestion, 'check_nginx');
  t.equal(d?.loc?.line, 8);
});

t.test('vrrp_strict: accept resolution and warnings', async (t) => {
  const r = load('global_defs {\n vrrp_strict\n}\n' + instance('  state MASTER\n  priority 100\n  authentication {\n    auth_type PASS\n    auth_pass x\n  }'));
  const vi = r.model?.vrrpInstances[0];
  t.equal(vi?.strictMode, true);
  t.equal(vi?.accept, false);
  t.match(withCode(r, 'ERR_CONFIG_STRICT_NO_ACCEPT')[0]?.message, /unreachable/);
  t.ok(withCode(r, 'ERR_CONFIG_STRICT').some((d) => /authentication/.test(d.message)));
  const ok = load('global_defs {\n vrrp_strict\n}\n' + instance('  version 3\n  accept'));
  t.equal(ok.model?.vrrpInstances[0]?.accept, true);
  t.same(withCode(ok, 'ERR_CONFIG_STRICT_NO_ACCEPT'), []);
  // keepalived 2.2.7 (observed): strict mode with VRRPv2 resets an explicit accept, and drops.
  const v2 = load('global_defs {\n vrrp_strict\n}\n' + instance('  accept'));
  t.equal(v2.model?.vrrpInstances[0]?.accept, false);
  t.ok(withCode(v2, 'ERR_CONFIG_STRICT').some((d) => /accept mode for VRRP version 2 does not comply with RFC3768 - resetting/.test(d.message)));
  const owner = load('global_defs {\n vrrp_strict\n}\n' + instance('  priority 255'));
  t.equal(owner.model?.vrrpInstances[0]?.accept, true, 'owner accepts by default even in strict mode');
});

// keepalived 2.2.7 (observed with -t; test/interop/config-test-codes runs them through both binaries).
t.test('preemption rules', async (t) => {
  const pre = (body: string): [boolean | undefined, number | undefined, string[]] => {
    const r = load(instance(body));
    return [r.model?.vrrpInstances[0]?.nopreempt, r.model?.vrrpInstances[0]?.preemptDelayMs, errors(r).map((d) => d.message)];
  };
  t.same(pre('  priority 255\n  nopreempt'), [false, 0, ['(VI_1) nopreempt is incompatible with priority 255. resetting nopreempt']]);
  t.same(pre('  state BACKUP\n  nopreempt\n  preempt_delay 10'), [true, 0, ['(VI_1) preempt_delay is incompatible with nopreempt mode - resetting']]);
  t.same(pre('  state BACKUP\n  preempt_delay 10'), [false, 10_000, []]);
  const strict = load('global_defs {\n  vrrp_strict\n}\n' + instance('  version 3\n  accept\n  preempt_delay 10'));
  t.equal(strict.model?.vrrpInstances[0]?.preemptDelayMs, 0);
  t.ok(errors(strict).some((d) => d.message === '(VI_1) preempt_delay is incompatible with strict mode - resetting'));
});

// keepalived 2.2.7, observed on the wire: `state MASTER` and no `priority` advertises 255.
t.test('state MASTER without priority is the address owner (255), as keepalived 2.2.7', async (t) => {
  const prio = (body: string): number | undefined => load(instance(body)).model?.vrrpInstances[0]?.priority;
  t.equal(prio('  state MASTER'), 255);
  t.equal(prio('  state MASTER\n  priority 90'), 90);
  t.equal(prio('  state MASTER\n  priority 300'), 100, 'a refused priority falls back to 100 (keepalived: "Using default 100", adverts at 100)');
  t.equal(prio('  state BACKUP'), 100);
  t.equal(prio(''), 100);
});

t.test('bad track weights and peers', async (t) => {
  const r = load(instance('  track_interface {\n    eth1 weight 300\n  }\n  unicast_peer {\n    192.0.2.999\n  }'));
  t.equal(withCode(r, 'ERR_CONFIG_OUT_OF_RANGE').length, 1);
  t.equal(withCode(r, 'ERR_CONFIG_BAD_ADDRESS').length, 1);
});

t.test('duplicate VRID on one interface is an error', async (t) => {
  const r = load(instance('', 'A') + instance('', 'B'));
  t.equal(withCode(r, 'ERR_CONFIG_DUPLICATE_VRID').length, 1);
  const u = load(instance('', 'A') + instance('  interface eth1', 'B'));
  t.same(withCode(u, 'ERR_CONFIG_DUPLICATE_VRID'), []);
});

t.test('block shape errors', async (t) => {
  t.equal(withCode(load(instance('  priority 100 {\n  }')), 'ERR_CONFIG_UNEXPECTED_BLOCK').length, 1);
  t.equal(withCode(load(instance('  virtual_ipaddress_excluded 1.2.3.4')), 'ERR_CONFIG_MISSING_BLOCK').length, 1);
  t.equal(withCode(load(instance('  interface')), 'ERR_CONFIG_MISSING_ARG').length, 1);
});

t.test('default_interface stands in for a missing interface', async (t) => {
  const r = load('global_defs {\n  default_interface eth7\n}\nvrrp_instance V {\n  virtual_router_id 3\n  virtual_ipaddress {\n    192.0.2.3\n  }\n}\n');
  t.same(errors(r), []);
  t.equal(r.model?.vrrpInstances[0]?.interface, 'eth7');
});

t.test('hook scripts: CMD [user [group]]; quoted command carries arguments', async (t) => {
  const r = load(instance('  notify_backup /bin/backup.sh nobody nogroup\n  notify_fault /bin/f.sh a b c'));
  const vi = r.model?.vrrpInstances[0];
  t.match(vi?.notifyBackup, { command: '/bin/backup.sh', argv: ['/bin/backup.sh'], user: 'nobody', group: 'nogroup' });
  t.match(vi?.notifyFault, { command: '/bin/f.sh', user: 'a', group: 'b' });
  t.equal(withCode(r, 'ERR_CONFIG_SCRIPT_ARGS').length, 1);
});
