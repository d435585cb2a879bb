import t from 'tap';
import { errors, instance, load, withCode } from './config-helpers';

t.test('global_defs defaults', async (t) => {
  const g = load('').model?.globalDefs;
  t.match(g, {
    vrrpVersion: 2, vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12', vrrpStrict: false, enableScriptSecurity: false,
    garpMasterDelayMs: 5000, garpMasterRepeat: 5, garpMasterRefreshMs: 0, garpMasterRefreshRepeat: 1, garpLowerPrioDelayMs: 5000,
    garpLowerPrioRepeat: 5, vrrpDownTimerAdverts: 3, smtpConnectTimeoutMs: 30000, vmacPrefix: 'vrrp', notificationEmail: [],
  });
});

t.test('global_defs keywords land in the model', async (t) => {
  const r = load(`global_defs {
  router_id LB1
  notification_email {
    ops@example.org
    oncall@example.org
  }
  notification_email_from keepalived@example.org
  smtp_server 192.0.2.25 2525
  smtp_connect_timeout 10
  enable_script_security
  script_user nobody nogroup
  vrrp_version 3
  vrrp_mcast_group4 224.0.0.19
  vrrp_garp_master_delay 2
  vrrp_garp_master_refresh 60
  vrrp_garp_interval 0.001
  vrrp_skip_check_adv_addr
  vrrp_check_unicast_src
  vrrp_startup_delay 1.5
  vrrp_notify_fifo /run/k.fifo
  vrrp_notify_fifo_script "/bin/reader arg"
  lvs_sync_daemon eth1 inst VI_1 id 5
  lvs_timeouts tcp 7200 tcpfin 120 udp 300
  startup_script /bin/up.sh
  dynamic_interfaces
  snmp_socket tcp:localhost:705
  enable_snmp_vrrp
  vrrp_rt_priority 50
}
${instance()}`);
  t.same(errors(r), []);
  const g = r.model?.globalDefs;
  t.match(g, {
    routerId: 'LB1', notificationEmail: ['ops@example.org', 'oncall@example.org'], notificationEmailFrom: 'keepalived@example.org',
    smtpServer: { host: '192.0.2.25', port: 2525 }, smtpConnectTimeoutMs: 10000, enableScriptSecurity: true,
    scriptUser: { user: 'nobody', group: 'nogroup' }, vrrpVersion: 3, vrrpMcastGroup4: '224.0.0.19', garpMasterDelayMs: 2000,
    garpMasterRefreshMs: 60000, garpIntervalMs: 1, vrrpSkipCheckAdvAddr: true, vrrpCheckUnicastSrc: true, vrrpStartupDelayMs: 1500,
    vrrpNotifyFifo: { path: '/run/k.fifo', script: { argv: ['/bin/reader', 'arg'] } },
    lvsSyncDaemon: { interface: 'eth1', instance: 'VI_1' }, lvsTimeouts: { tcpS: 7200, tcpfinS: 120, udpS: 300 },
    startupScript: { command: '/bin/up.sh' }, dynamicInterfaces: true,
  });
  const vi = r.model?.vrrpInstances[0];
  t.equal(vi?.version, 3, 'instance inherits vrrp_version');
  t.equal(vi?.mcastDstIp, '224.0.0.19');
  t.equal(vi?.skipCheckAdvAddr, true);
  t.equal(vi?.garpMasterDelayMs, 2000);
});

t.test('global_defs bad input', async (t) => {
  const r = load('global_defs {\n  vrrp_version 4\n  smtp_connect_timeout x\n  router_idd a\n  vrrp_garp_master_repeat 0\n}\n');
  t.equal(withCode(r, 'ERR_CONFIG_OUT_OF_RANGE').length, 2);
  t.equal(withCode(r, 'ERR_CONFIG_BAD_VALUE').length, 1);
  const unk = withCode(r, 'ERR_CONFIG_UNKNOWN_KEYWORD')[0];
  t.equal(unk?.suggestion, 'router_id');
  t.same(unk?.loc, { file: 'test.conf', line: 4, col: 3 });
  const range = withCode(r, 'ERR_CONFIG_OUT_OF_RANGE').find((d) => /vrrp_version/.test(d.message));
  t.match(range?.message, /'vrrp_version' value 4 is outside range \[2, 3\]/);
  t.equal(range?.loc?.line, 2);
});

t.test('deprecated keywords still work', async (t) => {
  const r = load('global_defs {\n  lvs_flush_onstop\n  vrrp_rlimit_rtime 100\n}\n' + instance('  lvs_sync_daemon_interface eth1\n  native_ipv6'));
  t.same(errors(r), []);
  t.equal(withCode(r, 'ERR_CONFIG_DEPRECATED').length, 4);
  t.equal(r.model?.globalDefs.lvsFlushOnStop, true);
  t.equal(r.model?.vrrpInstances[0]?.lvsSyncDaemonInterface, 'eth1');
});

t.test('script security: warning with the dedicated code, silent when enabled', async (t) => {
  const hook = instance('  notify_master /bin/true');
  const r = load(hook);
  const d = withCode(r, 'ERR_CONFIG_SCRIPT_SECURITY')[0];
  t.equal(d?.severity, 'warning');
  t.match(d?.message, /SECURITY VIOLATION/);
  t.same(withCode(load('global_defs {\n enable_script_security\n}\n' + hook), 'ERR_CONFIG_SCRIPT_SECURITY'), []);
  t.same(withCode(load(instance()), 'ERR_CONFIG_SCRIPT_SECURITY'), [], 'no scripts, no warning');
  t.same(withCode(load(instance() + 'vrrp_script unused {\n script /bin/true\n}\n'), 'ERR_CONFIG_SCRIPT_SECURITY'), [], 'an untracked vrrp_script never runs');
});

t.test('top-level accepted-but-unmodelled sections give no error', async (t) => {
  const r = load('linkbeat_interfaces {\n  eth0 MII\n}\ngarp_group {\n  garp_interval 1\n  interface eth0\n}\nbfd_instance b1 {\n  neighbor_ip 192.0.2.9\n}\ntrack_group tg {\n  group {\n    VI_1\n  }\n}\nnet_namespace blue\n');
  t.same(errors(r), []);
  t.equal(r.model?.globalDefs.netNamespace, 'blue');
});

t.test('script security only counts scripts that exist when the loader can check', async (t) => {
  const { loadConfigText } = await import('../../src/config/load');
  const text = instance('  notify_master "/usr/local/bin/missing.sh arg"\n  notify_backup /bin/present');
  const base = { configId: 'x', readFile: (): string => { throw new Error('no includes'); } };
  const missing = loadConfigText(text.replace('notify_backup /bin/present', ''), 't.conf', { ...base, scriptExists: () => false });
  t.same(withCode(missing, 'ERR_CONFIG_SCRIPT_SECURITY'), [], 'keepalived drops scripts whose file is missing');
  const present = loadConfigText(text, 't.conf', { ...base, scriptExists: (p) => p === '/bin/present' });
  t.equal(withCode(present, 'ERR_CONFIG_SCRIPT_SECURITY').length, 1);
  t.equal(present.model?.hasScripts, true);
});

t.test('a second global_defs block adds to the first (keepalived merges them)', async (t) => {
  const r = load(`global_defs {
  router_id LB1
  notification_email {
    ops@example.org
  }
  vrrp_garp_master_delay 2
}
global_defs {
  notification_email {
    oncall@example.org
  }
  smtp_server 192.0.2.25
  vrrp_garp_master_delay 3
}
`);
  t.same(errors(r), []);
  t.match(r.model?.globalDefs, {
    routerId: 'LB1',
    notificationEmail: ['ops@example.org', 'oncall@example.org'],
    smtpServer: { host: '192.0.2.25', port: 25 },
    garpMasterDelayMs: 3000,
  }, 'earlier settings kept, lists extended, later values win');
});

t.test('a repeated authentication block inside an instance merges too', async (t) => {
  const r = load(instance('authentication {\n    auth_type PASS\n  }\n  authentication {\n    auth_pass secret1\n  }'));
  t.match(r.model?.vrrpInstances[0]?.auth, { type: 'PASS', pass: 'secret1' });
});
