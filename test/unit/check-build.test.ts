import t from 'tap';
import { buildCheckers, rsKeyOf, vsKeyOf } from '../../src/check/build';
import { loadConfigText } from '../../src/config/load';

const load = (text: string) => {
  const r = loadConfigText(text, 'test.conf', { configId: 'test', readFile: () => '', glob: () => [] });
  if (!r.model) throw new Error(JSON.stringify(r.diagnostics));
  return r.model;
};

t.test('model → checker specs: keys, services, timing, warnings', async (t) => {
  const model = load(`
bfd_instance b1 {
  neighbor_ip 192.0.2.2
}
virtual_server 192.0.2.100 80 {
  delay_loop 6
  protocol TCP
  real_server 192.0.2.11 80 {
    weight 2
    TCP_CHECK {
      connect_port 8080
      retry 3
      fwmark 7
    }
    HTTP_GET {
      url {
        path /index.html
        status_code 200-299 404
      }
      alpha
    }
  }
  real_server 192.0.2.12 80 {
    BFD_CHECK {
      name b1
    }
  }
}
virtual_server fwmark 5 {
  protocol UDP
  real_server 192.0.2.13 53 {
    DNS_CHECK {
      type A
      name www.example
    }
  }
}`);
  const { servers, warnings } = buildCheckers(model, { hostname: 'lb' });
  const vs = model.virtualServers[0];
  if (!vs) throw new Error('no vs');
  t.equal(vsKeyOf(vs), 'tcp:[192.0.2.100]:80');
  t.equal(rsKeyOf(vs.realServers[0] as never), '[192.0.2.11]:80');
  t.equal(servers.length, 3);
  const [rs1, rs2, rs3] = servers;
  t.equal(rs1?.checkers.length, 2);
  const [tcp, http] = rs1?.checkers ?? [];
  t.equal(tcp?.service, '[192.0.2.11]:tcp:8080', 'connect_port decides the probed service');
  t.same(tcp?.timing, { delayLoopMs: 6000, retry: 3, delayBeforeRetryMs: 1000, warmupMs: 6000, alpha: false });
  t.equal(http?.kind, 'HTTP_GET');
  t.equal(http?.timing.alpha, true);
  t.equal(http?.timing.delayBeforeRetryMs, 3000, 'HTTP default delay_before_retry');
  t.match(rs2?.checkers[0], { kind: 'BFD_CHECK', bfd: 'b1', service: '[192.0.2.12]:tcp:80', timing: { retry: 0, warmupMs: 0, alpha: false } }, 'BFD_CHECK follows bfd_instance b1 (test/unit/check-bfd)');
  t.equal(rs3?.vsKey, 'fwmark:5:inet');
  t.equal(rs3?.checkers[0]?.service, '[192.0.2.13]:udp:53');
  t.notOk(warnings.some((w) => /fwmark/.test(w)), 'fwmark is honoured (SO_MARK via the addon), so nothing to warn about');
  t.same(warnings, [], 'nothing unsupported');
});
