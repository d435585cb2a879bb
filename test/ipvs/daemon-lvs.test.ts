/**
 * Runs INSIDE the IPVS VM: the whole daemon (`keepalived -C -f FILE`), not just the LVS runtime:
 * config → checkers → IPVS table in the real kernel, a real server leaving and rejoining the pool
 * as its listener stops and starts, and SIGTERM emptying the table.
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { MAIN } from '../support/daemon';
import { ipvsadm, listen, sleep, startProc, until } from '../support/ipvs-vm';

t.test('keepalived -C: virtual_server with TCP_CHECKs programs IPVS and follows real-server health', async (t) => {
  execFileSync('ip', ['link', 'add', 'tkv0', 'type', 'veth', 'peer', 'name', 'tkv1']);
  t.teardown(() => {
    try {
      execFileSync('ip', ['link', 'del', 'tkv0']);
    } catch {
      /* gone */
    }
  });
  for (const a of ['192.0.2.1/24', '192.0.2.11/24', '192.0.2.12/24']) execFileSync('ip', ['addr', 'add', a, 'dev', 'tkv0']);
  execFileSync('ip', ['link', 'set', 'tkv0', 'up']);
  execFileSync('ip', ['link', 'set', 'tkv1', 'up']);
  const s1 = await listen('192.0.2.11', 8080);
  let s2 = await listen('192.0.2.12', 8080);
  t.teardown(() => {
    s1.close();
    s2.close();
  });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-lvs-'));
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(
    conf,
    `virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched wrr
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    weight 2
    TCP_CHECK {
      connect_timeout 1
    }
  }
  real_server 192.0.2.12 8080 {
    weight 3
    TCP_CHECK {
      connect_timeout 1
      retry 1
      delay_before_retry 1
    }
  }
}
`,
  );
  const { cp, out, exited } = startProc(t, [process.execPath, MAIN, '-n', '-l', '-D', '-G', '-C', '-f', conf, '-p', `${dir}/k.pid`, '-c', `${dir}/c.pid`]);

  t.ok(await until(() => /192\.0\.2\.100:80 wrr/.test(ipvsadm()) && /192\.0\.2\.12:8080\s+Masq\s+3/.test(ipvsadm()), 60000), 'VS with both real servers (weights 2 and 3, NAT)');
  t.match(ipvsadm(), /192\.0\.2\.11:8080\s+Masq\s+2/, 'rs1 weight 2');

  s2.close();
  t.ok(await until(() => !/192\.0\.2\.12:8080/.test(ipvsadm()), 10000), 'rs2 removed after its listener stopped');
  t.ok(await until(() => /Removing service \[192\.0\.2\.12\]:tcp:8080 from VS \[192\.0\.2\.100\]:tcp:80/.test(out()), 3000), 'logged in keepalived words');
  s2 = await listen('192.0.2.12', 8080);
  t.ok(await until(() => /192\.0\.2\.12:8080\s+Masq\s+3/.test(ipvsadm()), 10000), 'rs2 back after its listener restarted');

  cp.kill('SIGTERM');
  t.equal(await Promise.race([exited, sleep(5000).then(() => 'timeout')]), 0, 'SIGTERM: exit 0');
  t.notMatch(ipvsadm(), /192\.0\.2\.100/, 'our virtual server removed on stop');
});
