/** vrrp_sync_group NAME { group { VI_1 VI_2 } ... }, plus the legacy member-list syntax. */
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
  // Legacy syntax `vrrp_sync_group VG1 { VI_2 VI_3 }`: a bare word line names members.
  (node, target, warn) => {
    if (node.block !== undefined || !/^[\w.:-]+$/.test(node.keyword)) return false;
    const legacy = (target.legacyMembers ??= []) as string[];
    legacy.push(node.keyword, ...node.args);
    warn('ERR_CONFIG_DEPRECATED', `sync group member '${node.keyword}' listed without a 'group { }' block (legacy syntax)`);
    return true;
  },
);
