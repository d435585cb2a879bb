/**
 * Runs INSIDE the IPVS VM: BFD_CHECK end to end. Our daemon (`-C`) has a virtual server whose
 * real server carries `BFD_CHECK { name B1; alpha }`; the BFD peer is a second daemon of ours in
 * a network namespace across a veth. The real server enters `ipvsadm -Ln` when the session
 * comes Up, leaves it when the peer is killed (Detection Time expiry), and comes back when the
 * peer restarts. Timers are 200 ms × 5 (the VM is software-emulated and slow).
 */
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { MAIN } from '../support/daemon';
import { ipvsadm, quiet, sleep, startProc, until, type VmProc } from '../support/ipvs-vm';

const NS = 'tkbfdpeer';
const bfd = (me: string, peer: string) => `bfd_instance B1 {
  neighbor_ip ${peer}
  source_ip ${me}
  min_rx 200
  min_tx 200
  multiplier 5
}
`;

t.test('BFD_CHECK: the real server follows the BFD session in the kernel IPVS table', async (t) => {
  quiet('ip', ['netns', 'del', NS]);
  execFileSync('ip', ['netns', 'add', NS]);
  t.teardown(() => quiet('ip', ['netns', 'del', NS]));
  execFileSync('ip', ['link', 'add', 'tkb0', 'type', 'veth', 'peer', 'name', 'tkb1']);
  t.teardown(() => quiet('ip', ['link', 'del', 'tkb0']));
  execFileSync('ip', ['link', 'set', 'tkb1', 'netns', NS]);
  execFileSync('ip', ['addr', 'add', '192.0.2.1/24', 'dev', 'tkb0']);
  execFileSync('ip', ['link', 'set', 'tkb0', 'up']);
  execFileSync('ip', ['-n', NS, 'addr', 'add', '192.0.2.2/24', 'dev', 'tkb1']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'tkb1', 'up']);
  execFileSync('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tk-bfdchk-'));
  fs.mkdirSync(`${dir}/peer`);
  fs.writeFileSync(
    `${dir}/ours.conf`,
    `${bfd('192.0.2.1', '192.0.2.2')}virtual_server 192.0.2.100 80 {
  delay_loop 1
  lvs_sched rr
  lvs_method NAT
  protocol TCP
  real_server 192.0.2.11 8080 {
    weight 4
    BFD_CHECK {
      name B1
      alpha
    }
  }
}
`,
  );
  fs.writeFileSync(`${dir}/peer.conf`, bfd('192.0.2.2', '192.0.2.1'));
  const peerArgv = ['ip', 'netns', 'exec', NS, process.execPath, MAIN, '-n', '-l', '-D', '-G', '-f', `${dir}/peer.conf`, '-p', `${dir}/peer/k.pid`, '-r', `${dir}/peer/v.pid`, '-c', `${dir}/peer/c.pid`];
  const start = (argv: string[]): VmProc => startProc(t, argv);

  const ours = start([process.execPath, MAIN, '-n', '-l', '-D', '-G', '-C', '-f', `${dir}/ours.conf`, '-p', `${dir}/k.pid`, '-c', `${dir}/c.pid`]);
  t.ok(await until(() => /192\.0\.2\.100:80 rr/.test(ipvsadm()), 60000), 'virtual server programmed');
  t.notMatch(ipvsadm(), /192\.0\.2\.11:8080/, 'alpha: the real server is out while the session is not Up');

  let peer = start(peerArgv);
  t.ok(await until(() => /\(B1\) Entering Up state/.test(ours.out()), 60000), 'ours: session Up');
  t.ok(await until(() => /192\.0\.2\.11:8080\s+Masq\s+4/.test(ipvsadm()), 10000), 'session Up: the real server enters with weight 4');
  t.ok(await until(() => /BFD check of \[B1\] RS\(\[192\.0\.2\.11\]:tcp:8080\) is UP/.test(ours.out()), 3000), 'UP logged in keepalived words');

  peer.cp.kill('SIGKILL'); // the ip netns exec wrapper execs node: this is the daemon itself
  await peer.exited;
  t.ok(await until(() => !/192\.0\.2\.11:8080/.test(ipvsadm()), 15000), 'peer killed: the real server leaves the table');
  t.ok(await until(() => /\(B1\) Expired after \d+ ms/.test(ours.out()), 3000), 'by Detection Time expiry');
  t.ok(await until(() => /BFD check of \[B1\] RS\(\[192\.0\.2\.11\]:tcp:8080\) is DOWN/.test(ours.out()), 3000), 'DOWN logged in keepalived words');

  peer = start(peerArgv);
  t.ok(await until(() => /192\.0\.2\.11:8080\s+Masq\s+4/.test(ipvsadm()), 60000), 'peer restarted: the real server is back');

  peer.cp.kill('SIGTERM');
  t.equal(await Promise.race([peer.exited, sleep(10000).then(() => 'timeout')]), 0, 'peer: SIGTERM, exit 0');
  t.ok(await until(() => !/192\.0\.2\.11:8080/.test(ipvsadm()), 5000), 'peer stopped cleanly (AdminDown): out at once');
  ours.cp.kill('SIGTERM');
  t.equal(await Promise.race([ours.exited, sleep(10000).then(() => 'timeout')]), 0, 'ours: SIGTERM, exit 0');
  t.notMatch(ipvsadm(), /192\.0\.2\.100/, 'our virtual server removed on stop');
});
