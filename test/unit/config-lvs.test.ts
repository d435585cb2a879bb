import t from 'tap';
import { errors, load, withCode } from './config-helpers';

const VS = `virtual_server 192.0.2.10 80 {
  delay_loop 10
  lvs_sched wrr
  lvs_method DR
  protocol tcp
  persistence_timeout
  quorum 2
  hysteresis 1
  retry 4
  connect_timeout 3
  sorry_server 192.0.2.99 8080
  inhibit_on_failure
  real_server 192.0.2.21 8080 {
    weight 5
    delay_before_retry 2
    notify_up "/bin/up rs1"
    TCP_CHECK {
      connect_port 8081
    }
    HTTP_GET {
      url {
        path /health
        digest 9B3A0C85A887A256D6939DA88AABD8CD
        status_code 200-299 404
      }
      url {
        path /
      }
      connect_timeout 1.5
    }
  }
  real_server 192.0.2.22 8080 {
    lvs_method NAT
    MISC_CHECK {
      misc_path "/bin/check 'a b'"
      misc_timeout 5
      misc_dynamic
      user nobody
    }
    DNS_CHECK {
      type aaaa
      name example.org
    }
    UDP_CHECK {
      payload 01 02 ff
      require_reply 0x0A
      max_reply_length 100
    }
    PING_CHECK {
      retry 2
    }
    SMTP_CHECK {
      helo_name mx.example.org
    }
    SSL_GET {
      url {
        path /
      }
      enable_sni
    }
    FILE_CHECK {
      track_file tf
      weight 5 reverse
    }
    BFD_CHECK {
      name b1
    }
  }
}
track_file tf {
  file /run/x
}
`;

t.test('virtual_server, real_server and every checker type', async (t) => {
  const r = load(VS);
  // keepalived 2.2.7 (observed): DR forwards unchanged, so the real server's port is reset to the service's.
  t.same(errors(r).map((d) => d.message), ["WARNING - virtual server [192.0.2.10]:tcp:80 and real server [192.0.2.21]:tcp:8080 ports don't match - resetting"]);
  const vs = r.model?.virtualServers[0];
  if (!vs) return t.fail('no vs');
  t.match(vs, { kind: 'ip', address: '192.0.2.10', port: 80, family: 'inet', protocol: 'TCP', lvsSched: 'wrr', lvsMethod: 'DR', persistenceTimeoutS: 360, delayLoopMs: 10000, quorum: 2, hysteresis: 1, inhibitOnFailure: true });
  t.match(vs.sorryServer, { address: '192.0.2.99', port: 8080, lvsMethod: 'DR' });
  const [rs1, rs2] = vs.realServers;
  t.match(rs1, { address: '192.0.2.21', port: 80, weight: 5, lvsMethod: 'DR', inhibitOnFailure: true });
  t.same(rs1?.notifyUp?.argv, ['/bin/up', 'rs1']);
  t.same(rs1?.checkers.map((c) => c.type), ['TCP_CHECK', 'HTTP_GET']);
  // VS → RS → checker inheritance: retry from VS, delay_before_retry from RS, connect_timeout overridden in the checker.
  t.match(rs1?.checkers[0], { connectPort: 8081, retry: 4, delayBeforeRetryMs: 2000, connectTimeoutMs: 3000, delayLoopMs: 10000 });
  const http = rs1?.checkers[1];
  t.match(http, { connectTimeoutMs: 1500, retry: 4 });
  if (http?.type === 'HTTP_GET') {
    t.same(http.urls.map((u) => u.path), ['/health', '/']);
    t.equal(http.urls[0]?.digest, '9b3a0c85a887a256d6939da88aabd8cd');
    t.same(http.urls[0]?.statusCodes, [[200, 299], [404, 404]]);
    t.same(http.urls[1]?.statusCodes, [[200, 299]]);
  }
  t.equal(rs2?.lvsMethod, 'NAT');
  const byType = Object.fromEntries((rs2?.checkers ?? []).map((c) => [c.type, c]));
  t.match(byType.MISC_CHECK, { miscTimeoutMs: 5000, miscDynamic: true, miscPath: { argv: ['/bin/check', 'a b'], user: 'nobody' } });
  t.match(byType.DNS_CHECK, { queryType: 'AAAA', name: 'example.org', retry: 4 });
  t.match(byType.UDP_CHECK, { payload: '0102ff', requireReply: '0x0A', minReplyLength: 0, maxReplyLength: 100 });
  t.match(byType.PING_CHECK, { retry: 2 });
  t.match(byType.SMTP_CHECK, { heloName: 'mx.example.org', hosts: [] });
  t.match(byType.SSL_GET, { enableSni: true, delayBeforeRetryMs: 3000 });
  t.match(byType.FILE_CHECK, { trackFile: 'tf', weight: 5, reverse: true });
  t.match(byType.BFD_CHECK, { name: 'b1' });
});

t.test('checker defaults by type', async (t) => {
  const r = load('virtual_server 192.0.2.10 53 {\n  protocol UDP\n  real_server 192.0.2.1 53 {\n    DNS_CHECK {\n    }\n    MISC_CHECK {\n      misc_path /bin/true\n    }\n    TCP_CHECK {\n    }\n  }\n}\n');
  // keepalived 2.2.7 (observed): wlc by default, said with a config error.
  t.same(errors(r).map((d) => d.message), ["Virtual server [192.0.2.10]:udp:53: no scheduler set, setting default 'wlc'"]);
  const [dns, misc, tcp] = r.model?.virtualServers[0]?.realServers[0]?.checkers ?? [];
  t.match(dns, { queryType: 'SOA', name: '.', retry: 3, delayBeforeRetryMs: 60000, delayLoopMs: 60000 });
  t.match(misc, { retry: 0, miscTimeoutMs: 60000 });
  t.match(tcp, { retry: 1, delayBeforeRetryMs: 1000, connectTimeoutMs: 5000 });
  t.equal(r.model?.virtualServers[0]?.lvsSched, 'wlc');
  t.equal(r.model?.virtualServers[0]?.lvsMethod, 'NAT');
});

t.test('fwmark, group and IPv6 virtual servers', async (t) => {
  const r = load('virtual_server_group G {\n  192.0.2.1-9 80\n  2001:db8::1-ff 443\n  fwmark 7\n}\nvirtual_server group G {\n  lvs_sched rr\n  protocol TCP\n  real_server 192.0.2.50 80 {\n  }\n}\nvirtual_server fwmark 3 {\n  lvs_sched rr\n  real_server 192.0.2.51 {\n  }\n}\nvirtual_server 2001:db8::10 443 {\n  lvs_sched rr\n  protocol TCP\n  real_server 2001:db8::20 443 {\n  }\n}\n');
  t.same(errors(r), []);
  t.same(r.model?.virtualServerGroups[0]?.entries.map((e) => [e.kind, e.address ?? null, e.lastAddress ?? null, e.port ?? e.fwmark]), [
    ['address', '192.0.2.1', '192.0.2.9', 80], ['address', '2001:db8::1', '2001:db8::ff', 443], ['fwmark', null, null, 7],
  ]);
  t.same(r.model?.virtualServers.map((v) => [v.kind, v.group ?? v.fwmark ?? v.address, v.family]), [['group', 'G', 'inet'], ['fwmark', 3, 'inet'], ['ip', '2001:db8::10', 'inet6']]);
  t.equal(r.model?.virtualServers[1]?.realServers[0]?.port, undefined);
});

t.test('deprecated LVS keywords', async (t) => {
  const r = load('virtual_server 192.0.2.10 80 {\n  lvs_sched rr\n  protocol TCP\n  lb_algo rr\n  lb_kind TUN\n  real_server 192.0.2.1 80 {\n    HTTP_GET {\n      nb_get_retry 7\n      url {\n        path /\n      }\n    }\n    SMTP_CHECK {\n      host {\n        connect_ip 192.0.2.7\n        connect_port 25\n      }\n    }\n  }\n}\n');
  t.same(errors(r), []);
  t.equal(withCode(r, 'ERR_CONFIG_DEPRECATED').length, 4);
  const vs = r.model?.virtualServers[0];
  t.match(vs, { lvsSched: 'rr', lvsMethod: 'TUN' });
  t.match(vs?.realServers[0]?.checkers[0], { type: 'HTTP_GET', retry: 7 });
  t.match(vs?.realServers[0]?.checkers[1], { type: 'SMTP_CHECK', hosts: [{ connectIp: '192.0.2.7', connectPort: 25 }] });
});

// keepalived 2.2.7 (observed with -t; test/interop/config-test-codes runs the same through both binaries).
t.test('protocol and real server ports as keepalived 2.2.7 resolves them', async (t) => {
  const r = load('virtual_server_group A {\n  192.0.2.1 80\n}\nvirtual_server_group F {\n  fwmark 9\n}\nvirtual_server 192.0.2.10 80 {\n  lvs_sched rr\n  real_server 192.0.2.1 80 {\n  }\n}\nvirtual_server group A {\n  lvs_sched rr\n}\nvirtual_server group F {\n  lvs_sched rr\n}\nvirtual_server fwmark 3 {\n  lvs_sched rr\n  protocol UDP\n  lvs_method DR\n  real_server 192.0.2.51 80 {\n  }\n}\nvirtual_server 192.0.2.11 80 {\n  lvs_sched rr\n  protocol TCP\n  lvs_method TUN\n  real_server 192.0.2.2 8080 {\n  }\n  real_server 192.0.2.3 8080 {\n    lvs_method NAT\n  }\n}\n');
  t.same(errors(r).map((d) => d.message), [
    'Virtual server [192.0.2.10]:none:80: no protocol set - defaulting to UDP',
    'Virtual server GROUP A: no protocol set - defaulting to UDP',
    'Warning: Virtual server FWM 3: protocol specified for fwmark - protocol will be ignored',
    'WARNING - fwmark virtual server FWM 3, real server [192.0.2.51]:none:80 has port specified - clearing',
    "WARNING - virtual server [192.0.2.11]:tcp:80 and real server [192.0.2.2]:tcp:8080 ports don't match - resetting",
  ]);
  t.same(r.model?.virtualServers.map((v) => v.protocol), ['UDP', 'UDP', 'TCP', 'TCP', 'TCP'], 'an address service without protocol is UDP; a group of fwmarks only is not');
  t.equal(r.model?.virtualServers[3]?.realServers[0]?.port, undefined, 'fwmark DR: the real server port is cleared');
  t.same(r.model?.virtualServers[4]?.realServers.map((rs) => rs.port), [80, 8080], 'TUN: reset to the service port; NAT keeps its own');
});

t.test('LVS bad input', async (t) => {
  const r = load('virtual_server 192.0.2.300 80 {\n  lvs_sched rr\n}\nvirtual_server 192.0.2.1 99999 {\n  lvs_sched rr\n}\nvirtual_server group NOPE {\n  lvs_sched rr\n}\nvirtual_server 192.0.2.2 80 {\n  lvs_sched rr\n  lvs_method FOO\n  protocol ICMP\n  real_server 192.0.2.3 80 {\n    weight -1\n    HTTP_GETT {\n    }\n    HTTP_GET {\n      url {\n        digest xyz\n        status_code 2xx\n      }\n    }\n    FILE_CHECK {\n      track_file missing\n    }\n  }\n}\n');
  const codes = errors(r).map((d) => d.code).sort();
  t.same(codes, [
    'ERR_CONFIG_BAD_ADDRESS', 'ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_BAD_VALUE', 'ERR_CONFIG_BAD_VALUE',
    'ERR_CONFIG_MISSING_KEYWORD', 'ERR_CONFIG_OUT_OF_RANGE', 'ERR_CONFIG_UNKNOWN_GROUP', 'ERR_CONFIG_UNKNOWN_KEYWORD', 'ERR_CONFIG_UNKNOWN_TRACKER',
    'ERR_CONFIG_VS_NO_PROTOCOL', 'ERR_CONFIG_VS_NO_PROTOCOL',
  ].sort());
  t.equal(withCode(r, 'ERR_CONFIG_UNKNOWN_KEYWORD')[0]?.suggestion, 'HTTP_GET');
});

t.test('SSL block', async (t) => {
  const r = load('SSL {\n  password p\n  ca /etc/ca.pem\n  certificate /etc/c.pem\n  key /etc/k.pem\n}\n');
  t.match(r.model?.sslConfig, { password: 'p', ca: '/etc/ca.pem', certificate: '/etc/c.pem', key: '/etc/k.pem' });
});
