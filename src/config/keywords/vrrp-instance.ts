/** vrrp_instance NAME { ... } (keepalived.conf(5) "VRRP instance(s)"). */
import * as R from './reasons';
import { block, bool, flag, ignore, ignored, int, lines, num, oneOf, script, str, table, words, type KwSpec } from './types';

const INST = 'runtime/instance.ts';
const SVC = 'runtime/vrrp-service.ts';
const WIRING = 'runtime/wiring.ts';
const NOTIFY = 'notify/notify.ts';
const PRIO = 'track/priority.ts';

const authentication = table('authentication', {
  // AH: runtime/ah-session.ts + vrrp/ah.ts, wired by runtime/vrrp-service.ts (proto-51 socket).
  auth_type: oneOf(['PASS', 'AH'], { caseInsensitive: true, use: INST, field: 'auth' }),
  auth_pass: str({ use: INST, field: 'auth' }),
});

/** Notify hooks shared by vrrp_instance and vrrp_sync_group. */
export const notifyKeywords = (): Record<string, KwSpec> => ({
  notify_master: script({ use: NOTIFY }),
  notify_backup: script({ use: NOTIFY }),
  notify_fault: script({ use: NOTIFY }),
  notify_stop: script({ use: NOTIFY }),
  notify: script({ use: NOTIFY }),
  notify_priority_changes: bool({ use: 'runtime/vrrp-service.ts' }),
  smtp_alert: bool({ use: 'runtime/notifier.ts' }),
});

/** track_* blocks shared by vrrp_instance and vrrp_sync_group: lines parsed by config/resolve. */
export const trackKeywords = (): Record<string, KwSpec> => ({
  track_interface: lines({ repeat: true, use: PRIO }),
  track_script: lines({ repeat: true, use: PRIO }),
  track_file: lines({ repeat: true, use: PRIO }),
  track_process: lines({ repeat: true, use: PRIO }),
  track_bfd: lines({ repeat: true, use: PRIO }),
});

const keywords: Record<string, KwSpec> = {
  // use_ipvlan [NAME] [IP[/LEN]] [bridge|private|vepa]: an l2 ipvlan on the interface carries the adverts.
  use_ipvlan: words({ bareValue: [], use: WIRING }),
  ...ignored(['old_unicast_checksum'], 'unicast adverts always carry the RFC checksum'),
  ...ignored(['debug'], 'per-instance debug levels are not implemented (use -D/--log-detail)'),
  ...ignored(['kernel_rx_buf_size'], 'the VRRP socket receive buffer size is fixed by tskeepalived'),
  ...ignored(['timer_expired_backup', 'thread_timer_expired'], "keepalived's internal test options are not implemented"),
  ...ignored(['garp_extra_if', 'vmac_garp_intvl'], R.VMAC_GARP),
  preempt: ignore('preemption is the default; `preempt` does not cancel an earlier `nopreempt`'),
  use_vmac_addr: ignore('use_vmac_addr is not implemented'),
  native_ipv6: ignore("the VIPs' address family selects IPv6", { deprecated: 'the VIPs set the address family' }),
  linkbeat_use_polling: ignore('link state comes from netlink; polling is not implemented', { deprecated: 'linkbeat_interfaces' }),
  ...notifyKeywords(),
  ...trackKeywords(),
  state: oneOf(['MASTER', 'BACKUP'], { caseInsensitive: true, default: 'BACKUP', use: INST }),
  interface: str({ use: WIRING }),
  vrf: str({ unsupported: 'VRF binding is not implemented (this kernel has no VRF devices)' }),
  dont_track_primary: flag({ default: false, use: SVC }),
  // keepalived 2.2.7 does the same with and without it (observed): see vrrp/unicast.ts missingUnicastSource.
  track_src_ip: flag({ default: false, unsupported: 'keepalived 2.2.7 behaves the same without it (observed): an absent unicast_src_ip puts the instance in FAULT at start-up either way, a source deleted while running changes nothing' }),
  mcast_src_ip: str({ use: WIRING }),
  unicast_src_ip: str({ use: WIRING }),
  mcast_dst_ip: str({ use: WIRING }),
  unicast_peer: lines({ repeat: true, to: 'unicastPeer', use: WIRING, field: 'unicastPeers' }),
  // The TTL/hop limit of unicast adverts (keepalived 2.2.7 observed: the wire carries it; receivers accept any TTL).
  unicast_ttl: int(1, 255, { use: 'vrrp/unicast.ts' }),
  unicast_fault_no_peer: flag({ default: false, use: 'vrrp/unicast.ts' }),
  check_unicast_src: flag({ use: SVC }),
  virtual_router_id: int(1, 255, { required: true, to: 'vrid', use: INST, fallback: { refuse: true } }),
  version: int(2, 3, { use: INST }),
  priority: int(1, 255, { default: 100, use: INST }),
  // Upper bound of v3 (40.95 s); v2's whole-second 1..255 limit is checked in validate.
  advert_int: num(0.01, 255, { default: 1, use: INST, field: 'advertIntMs' }),
  virtual_ipaddress: lines({ repeat: true, use: INST }),
  virtual_ipaddress_excluded: lines({ repeat: true, use: SVC }),
  // Its only effect: no "no virtual_ipaddress" warning from the config check.
  no_virtual_ipaddress: flag({ default: false, use: 'config/validate.ts' }),
  promote_secondaries: flag({ default: false, use: 'runtime/vrrp-service.ts' }),
  virtual_routes: lines({ repeat: true, use: INST }),
  virtual_rules: lines({ repeat: true, use: INST }),
  v3_checksum_as_v2: bool({ default: false, use: INST }),
  accept: flag({ use: INST }),
  no_accept: flag({ use: 'runtime/firewall.ts', field: 'accept' }),
  skip_check_adv_addr: bool({ use: SVC }),
  strict_mode: bool({ use: INST }),
  nopreempt: flag({ default: false, use: INST }),
  preempt_delay: num(0, 1000, { default: 0, use: INST, field: 'preemptDelayMs' }),
  notify_deleted: words({ bareValue: [], use: NOTIFY }),
  notify_master_rx_lower_pri: script({ use: 'runtime/vrrp-service.ts' }),
  lvs_sync_daemon_interface: str({ deprecated: 'lvs_sync_daemon in global_defs', use: 'runtime/lvs-syncd.ts' }),
  garp_master_delay: int(0, 4294, { use: INST, field: 'garpMasterDelayMs' }),
  garp_master_repeat: int(1, 255, { use: INST, fallback: { value: 1 } }),
  garp_master_refresh: int(0, undefined, { use: INST, field: 'garpMasterRefreshMs' }),
  garp_master_refresh_repeat: int(1, 255, { use: INST, fallback: { value: 1 } }),
  garp_lower_prio_delay: int(0, 4294, { use: INST, field: 'garpLowerPrioDelayMs' }),
  garp_lower_prio_repeat: int(0, 255, { use: INST }),
  down_timer_adverts: int(1, 100, { use: INST }),
  lower_prio_no_advert: bool({ use: INST }),
  higher_prio_send_advert: bool({ use: INST }),
  owner_ignore_adverts: bool({ use: INST }),
  use_vmac: words({ bareValue: [], use: WIRING }),
  vmac_xmit_base: flag({ default: false, use: WIRING }),
  authentication: block(authentication, { use: INST, field: 'auth' }),
};

export const vrrpInstanceTable = table('vrrp_instance', keywords);
