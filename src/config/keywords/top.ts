/** Top-level sections of keepalived.conf and where each lands in the built JSON. */
import { globalDefsTable } from './global';
import * as R from './reasons';
import { syncGroupTable } from './sync-group';
import { bfdInstanceTable } from './bfd';
import { garpGroupTable } from './garp-group';
import { trackGroupTable } from './track-group';
import { block, ignore, lines, table, str } from './types';
import { vrrpInstanceTable } from './vrrp-instance';
import { trackFileTable, trackProcessTable, vrrpScriptTable } from './vrrp-script';
import { sslTable, virtualServerTable } from './virtual-server';

const named = { repeat: true, keepArgs: true, minArgs: 1 };
const TRACKERS = 'runtime/trackers.ts';

export const topTable = table('top level', {
  global_defs: block(globalDefsTable, { to: 'globalDefs', use: 'runtime/vrrp-service.ts' }),
  vrrp_script: block(vrrpScriptTable, { ...named, to: 'vrrpScripts', use: TRACKERS }),
  track_file: block(trackFileTable, { ...named, to: 'trackFiles', use: TRACKERS }),
  vrrp_track_file: block(trackFileTable, { ...named, to: 'trackFiles', deprecated: 'track_file', use: TRACKERS }),
  vrrp_track_process: block(trackProcessTable, { ...named, to: 'trackProcesses', use: TRACKERS }),
  bfd_instance: block(bfdInstanceTable, { ...named, to: 'bfdInstances', use: 'runtime/bfd-service.ts' }),
  vrrp_instance: block(vrrpInstanceTable, { ...named, to: 'vrrpInstances', use: 'runtime/vrrp-service.ts' }),
  vrrp_sync_group: block(syncGroupTable, { ...named, to: 'vrrpSyncGroups', use: 'runtime/vrrp-service.ts' }),
  static_ipaddress: lines({ repeat: true, to: 'staticIpaddress', use: 'runtime/static-config.ts', field: 'staticAddresses' }),
  static_routes: lines({ repeat: true, to: 'staticRoutes', use: 'runtime/static-config.ts' }),
  static_rules: lines({ repeat: true, to: 'staticRules', use: 'runtime/static-config.ts' }),
  // Static track groups: instances that go to FAULT when a static address/route/rule naming the group is gone.
  track_group: block(trackGroupTable, { ...named, to: 'staticTrackGroups', use: 'track/static-track.ts' }),
  garp_group: block(garpGroupTable, { repeat: true, to: 'garpGroups', use: 'runtime/garp-pacing.ts' }),
  interface_up_down_delays: lines({ repeat: true, to: 'interfaceUpDownDelays', use: 'runtime/link-delays.ts' }),
  virtual_server_group: lines({ repeat: true, keepArgs: true, minArgs: 1, to: 'virtualServerGroups', use: 'runtime/lvs.ts' }),
  virtual_server: block(virtualServerTable, { ...named, to: 'virtualServers', use: 'runtime/lvs.ts' }),
  SSL: block(sslTable, { to: 'ssl', use: 'check/build.ts', field: 'sslConfig' }),
  // Accepted, not stored.
  linkbeat_interfaces: ignore('link state comes from netlink only; MII/ethtool/ioctl polling is not implemented'),
  // global_parser.c also installs these at top level.
  // Entered before the configuration's interfaces are looked up (cli/main reads it from the parse
  // tree first); the daemon reads it for keepalived's syslog ident change.
  net_namespace: str({ use: 'runtime/daemon.ts', field: 'netNamespace' }),
  net_namespace_ipvs: ignore('not implemented: IPVS is always configured in the namespace the daemon runs in (net_namespace or -s, else where it was started)'),
  namespace_with_ipsets: ignore(R.IPTABLES),
  use_pid_dir: ignore('pid files are where -p/-r/-c and -s put them'),
  instance: ignore('use the -i/--config-id and -s/--namespace command-line options'),
  child_wait_time: ignore(R.ONE_PROCESS),
  linkbeat_use_polling: ignore('link state comes from netlink; polling is not implemented'),
});
