/**
 * vrrp_sync_group NAME { group { VI_1 VI_2 } ... }. The older syntax naming members directly in the
 * block (`vrrp_sync_group VG1 { VI_2 VI_3 }`, keepalived's sample keepalived.conf.vrrp.lvs_syncd) is
 * not read by keepalived 2.2.7 (observed: "Unknown keyword 'VI_2'", then "Sync group VG1 has no
 * virtual router(s). removing"): unknown keywords here too.
 */
import { notifyKeywords, trackKeywords } from './vrrp-instance';
import { flag, lines, table } from './types';

export const syncGroupTable = table(
  'vrrp_sync_group',
  {
    group: lines({ repeat: true, use: 'runtime/vrrp-service.ts', field: 'members' }),
    ...notifyKeywords(),
    ...trackKeywords(),
    sync_group_tracking_weight: flag({ default: false, use: 'track/priority.ts' }),
    // keepalived 2.2.7 (observed): global_tracking makes the members' tracking weights count, as sync_group_tracking_weight
    global_tracking: flag({ deprecated: 'track_interface/script/file on the sync group', to: 'syncGroupTrackingWeight', use: 'track/priority.ts' }),
  },
);
