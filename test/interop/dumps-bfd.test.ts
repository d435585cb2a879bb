/**
 * track_bfd in SIGUSR1's keepalived.data, ours diffed against keepalived 2.2.7 on the same
 * configuration in the same lab host (one after the other, each with its own /tmp), with our
 * daemon on a second host as the BFD peer of B1 (so B1 is Up, B2 and B3 have no peer and stay
 * Down, B4 reports to the checkers only):
 * - each instance's "Tracked BFDs :" lines ("B1: weight 7", the bfd_instance's weight unless the
 *   reference has its own; "reverse"), after its tracked scripts;
 * - the "VRRP Track BFDs" section: every bfd_instance reporting to VRRP, tracked or not (B3 is
 *   not), with its weight, "Bfd is up|down" and the instances tracking it; B4 (checker) absent.
 * Normalised as test/interop/dumps.test.ts (times, fds, counters), nothing else.
 */
import t from 'tap';
import fs from 'node:fs';
import path from 'node:path';
import { Lab, isRoot, waitFor, type LabHost } from '../support/netns';
import { KEEPALIVED_BIN } from '../support/keepalived';
import { startWithPrivateTmp, type PrivateTmpDaemon } from '../support/private-tmp';
import { logsOnFailure, startDaemon } from '../support/daemon';
import { normaliseText } from '../support/dump-normalise';

function config(me: LabHost, peer: LabHost): string {
  return `global_defs {
  router_id lab1
}
vrrp_script chk {
  script "/bin/true"
  interval 1
}
bfd_instance B1 {
  neighbor_ip ${peer.ipv4}
  source_ip ${me.ipv4}
  min_rx 50
  min_tx 50
  weight 7
}
bfd_instance B2 {
  neighbor_ip 192.0.2.77
  source_ip ${me.ipv4}
}
bfd_instance B3 {
  neighbor_ip 192.0.2.78
  source_ip ${me.ipv4}
}
bfd_instance B4 {
  neighbor_ip 192.0.2.79
  source_ip ${me.ipv4}
  checker
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority 100
  virtual_ipaddress {
    198.51.100.100/24
  }
  track_script {
    chk
  }
  track_bfd {
    B1
  }
}
vrrp_instance VI_2 {
  state BACKUP
  interface eth0
  virtual_router_id 52
  priority 100
  virtual_ipaddress {
    198.51.100.101/24
  }
  track_bfd {
    B1 weight -10
    B2 weight 4 reverse
  }
}
`;
}

const PEER = (me: LabHost, peer: LabHost): string => `bfd_instance B1 {
  neighbor_ip ${peer.ipv4}
  source_ip ${me.ipv4}
  min_rx 50
  min_tx 50
}
`;

async function dataOf(d: PrivateTmpDaemon): Promise<string> {
  const ready = await waitFor(() => d.out.has('(VI_1) Entering MASTER STATE') && d.out.has('(VI_2) Entering MASTER STATE') && d.out.has('Tracked BFD instance B1 is UP'), 30_000);
  if (!ready) throw new Error(`daemon not ready:\n${d.out.text}`);
  await new Promise((r) => setTimeout(r, 1500));
  const f = path.join(d.tmp, 'keepalived.data');
  process.kill(d.cp.pid as number, 'SIGUSR1');
  if (!(await waitFor(() => fs.existsSync(f) && fs.readFileSync(f, 'utf8').includes('------< Interfaces >------'), 5000, 20))) throw new Error('no keepalived.data');
  await new Promise((r) => setTimeout(r, 200));
  const text = fs.readFileSync(f, 'utf8');
  process.kill(d.cp.pid as number, 'SIGTERM');
  await Promise.race([d.exited, new Promise((r) => setTimeout(r, 8000))]);
  return text;
}

t.test('Tracked BFDs in keepalived.data, ours vs keepalived 2.2.7', { skip: !isRoot() || !KEEPALIVED_BIN ? 'needs root and keepalived' : false }, async (t) => {
  const lab = await Lab.create(t, { hosts: 2 });
  const [h1, h2] = [lab.host(1), lab.host(2)];
  const peer = startDaemon(lab, h2, PEER(h2, h1));
  const ka = startWithPrivateTmp(lab, h1, 'keepalived', config(h1, h2));
  logsOnFailure(t, peer, ka);
  const theirs = await dataOf(ka);
  const ours = startWithPrivateTmp(lab, h1, 'ours', config(h1, h2));
  logsOnFailure(t, ours);
  const mine = await dataOf(ours);

  const block = (text: string, from: RegExp, to: RegExp): string => {
    const lines = text.split('\n');
    const a = lines.findIndex((l) => from.test(l));
    const b = lines.findIndex((l, i) => i > a && to.test(l));
    return a < 0 ? '' : lines.slice(a, b < 0 ? undefined : b).join('\n');
  };
  t.equal(block(theirs, /^ VRRP Instance = VI_2/, /Using smtp/).split('\n').slice(-3).join('\n'), '   Tracked BFDs :\n     B1: weight -10\n     B2: weight 4 reverse', "keepalived's VI_2 lines (what we copy)");
  t.equal(block(mine, /^ VRRP Instance = VI_1/, /Using smtp/).split('\n').slice(-4).join('\n'), '   Tracked scripts :\n     chk weight 0\n   Tracked BFDs :\n     B1: weight 7', 'ours, VI_1: the bfd_instance weight, after the tracked scripts');
  t.equal(
    block(mine, /^------< VRRP Track BFDs >------$/, /^------< Interfaces/),
    [
      '------< VRRP Track BFDs >------',
      ' VRRP Track BFD = B1', '   Weight = 7', '   Bfd is up', '   Tracking VRRP instances :', '   Tracking instances :', '     VI_1, weight 7', '     VI_2, weight -10',
      ' VRRP Track BFD = B2', '   Weight = 0', '   Bfd is down', '   Tracking VRRP instances :', '   Tracking instances :', '     VI_2, weight 4 reverse',
      ' VRRP Track BFD = B3', '   Weight = 0', '   Bfd is down', '   Tracking VRRP instances :',
    ].join('\n'),
    'ours: the VRRP Track BFDs section (B4, checker only, absent; B3 untracked, no instance list)',
  );
  t.equal(normaliseText(mine), normaliseText(theirs), 'keepalived.data: same sections, keys and values as keepalived 2.2.7');
});
