/**
 * track_bfd lines of keepalived.data (src/observe/dump-track-bfd.ts), rows as keepalived 2.2.7
 * wrote them in the lab (test/interop/dumps-bfd.test.ts diffs the whole file; the sync-group
 * rows were observed there with a vrrp_sync_group tracking B2 weight 5).
 */
import t from 'tap';
import { load } from './config-helpers';
import { formatInstanceTrackedBfds, formatTrackBfdSection, instanceTrackedBfds, trackBfdViews } from '../../src/observe/dump-track-bfd';
import type { Model } from '../../src/config/model';

const CONF = `bfd_instance B1 {
  neighbor_ip 192.0.2.2
  weight 7
}
bfd_instance B2 {
  neighbor_ip 192.0.2.3
}
bfd_instance B3 {
  neighbor_ip 192.0.2.4
}
bfd_instance B4 {
  neighbor_ip 192.0.2.5
  checker
}
vrrp_sync_group G1 {
  group {
    VI_1
  }
  track_bfd {
    B2 weight 5
  }
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    198.51.100.100/24
  }
  track_bfd {
    B1
    B3
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 52
  virtual_ipaddress {
    198.51.100.101/24
  }
  track_bfd {
    B1 weight -10
    B3 weight 4 reverse
    B4
  }
}
`;

const model = load(CONF).model as Model;
const inst = (n: string) => model.vrrpInstances.find((i) => i.name === n) as Model['vrrpInstances'][number];

t.ok(model, 'config loads');

t.test('an instance lists its references with the bfd_instance weight unless its own is given', async (t) => {
  t.same(formatInstanceTrackedBfds(instanceTrackedBfds(model, inst('VI_2'))), ['   Tracked BFDs :', '     B1: weight -10', '     B3: weight 4 reverse'], 'B4 (checker only) is not tracked by VRRP');
  t.same(formatInstanceTrackedBfds([]), [], 'nothing when none');
});

t.test('a sync group member keeps only its weight-0 references (keepalived: "ignoring tracked bfd B1 with weight 7 due to SYNC group")', async (t) => {
  t.same(instanceTrackedBfds(model, inst('VI_1')), [{ name: 'B3', weight: 0, reverse: false }]);
});

t.test('the VRRP Track BFDs section', async (t) => {
  const lines = formatTrackBfdSection(trackBfdViews(model, (n) => n === 'B1'));
  t.same(lines, [
    '------< VRRP Track BFDs >------',
    ' VRRP Track BFD = B1', '   Weight = 7', '   Bfd is up', '   Tracking VRRP instances :', '   Tracking instances :', '     VI_2, weight -10',
    ' VRRP Track BFD = B2', '   Weight = 0', '   Bfd is down', '   Tracking VRRP instances :', '   Tracking instances :', '     VI_1, weight 5',
    ' VRRP Track BFD = B3', '   Weight = 0', '   Bfd is down', '   Tracking VRRP instances :', '   Tracking instances :', '     VI_1, weight 0', '     VI_2, weight 4 reverse',
  ], "the group's B2 shows under its member; B1's weighted reference from VI_1 is gone; B4 (checker) absent");
  t.same(formatTrackBfdSection([]), [], 'no section without bfd_instances');
});
