/** Top-level sections of keepalived.conf and where each lands in the built JSON. */
import { globalDefsTable } from './global';
import { syncGroupTable } from './sync-group';
import { block, ignore, lines, table, str } from './types';
import { vrrpInstanceTable } from './vrrp-instance';
import { trackFileTable, trackProcessTable, vrrpScriptTable } from './vrrp-script';
import { sslTable, virtualServerTable } from './virtual-server';

const named = { repeat: true, keepArgs: true, minArgs: 1 };

export const topTable = table('top level', {
  global_defs: block(globalDefsTable, { to: 'globalDefs' }),
  vrrp_script: block(vrrpScriptTable, { ...named, to: 'vrrpScripts' }),
  track_file: block(trackFileTable, { ...named, to: 'trackFiles' }),
  vrrp_track_file: block(trackFileTable, { ...named, to: 'trackFiles', deprecated: 'track_file' }),
  vrrp_track_process: block(trackProcessTable, { ...named, to: 'trackProcesses' }),
  vrrp_instance: block(vrrpInstanceTable, { ...named, to: 'vrrpInstances' }),
  vrrp_sync_group: block(syncGroupTable, { ...named, to: 'vrrpSyncGroups' }),
  static_ipaddress: lines({ repeat: true, to: 'staticIpaddress' }),
  static_routes: lines({ repeat: true, to: 'staticRoutes' }),
  static_rules: lines({ repeat: true, to: 'staticRules' }),
  virtual_server_group: lines({ repeat: true, keepArgs: true, minArgs: 1, to: 'virtualServerGroups' }),
  virtual_server: block(virtualServerTable, { ...named, to: 'virtualServers' }),
  SSL: block(sslTable, { to: 'ssl' }),
  // Accepted; not modelled yet (BFD, link beat, GARP groups, track groups, debounce delays).
  bfd_instance: ignore(),
  linkbeat_interfaces: ignore(),
  garp_group: ignore(),
  track_group: ignore(),
  interface_up_down_delays: ignore(),
  // global_parser.c also installs these at top level.
  net_namespace: str(),
  net_namespace_ipvs: ignore(),
  namespace_with_ipsets: ignore(),
  use_pid_dir: ignore(),
  instance: ignore(),
  child_wait_time: ignore(),
  linkbeat_use_polling: ignore(),
});
