/** vrrp_instance NAME { ... } (keepalived.conf(5) "VRRP instance(s)"). */
import { block, bool, flag, ignored, int, lines, num, oneOf, script, str, table, words, type KwSpec } from './types';

const authentication = table('authentication', {
  auth_type: oneOf(['PASS', 'AH'], { caseInsensitive: true }),
  auth_pass: str(),
});

/** Notify hooks shared by vrrp_instance and vrrp_sync_group. */
export const notifyKeywords = (): Record<string, KwSpec> => ({
  notify_master: script(),
  notify_backup: script(),
  notify_fault: script(),
  notify_stop: script(),
  notify: script(),
  notify_priority_changes: bool({ default: false }),
  smtp_alert: bool(),
});

/** track_* blocks shared by vrrp_instance and vrrp_sync_group: lines parsed by config/resolve. */
export const trackKeywords = (): Record<string, KwSpec> => ({
  track_interface: lines({ repeat: true }),
  track_script: lines({ repeat: true }),
  track_file: lines({ repeat: true }),
  track_process: lines({ repeat: true }),
  track_bfd: lines({ repeat: true }),
});

const keywords: Record<string, KwSpec> = {
  ...ignored(['use_ipvlan', 'old_unicast_checksum', 'debug', 'kernel_rx_buf_size', 'timer_expired_backup',
    'thread_timer_expired', 'garp_extra_if', 'vmac_garp_intvl', 'preempt', 'use_vmac_addr']),
  native_ipv6: { kind: 'ignore', deprecated: 'the VIPs set the address family' },
  linkbeat_use_polling: { kind: 'ignore', deprecated: 'linkbeat_interfaces' },
  ...notifyKeywords(),
  ...trackKeywords(),
  state: oneOf(['MASTER', 'BACKUP'], { caseInsensitive: true, default: 'BACKUP' }),
  interface: str(),
  vrf: str(),
  dont_track_primary: flag({ default: false }),
  track_src_ip: flag({ default: false }),
  mcast_src_ip: str(),
  unicast_src_ip: str(),
  mcast_dst_ip: str(),
  unicast_peer: lines({ repeat: true, to: 'unicastPeer' }),
  unicast_ttl: int(1, 255),
  unicast_fault_no_peer: flag({ default: false }),
  check_unicast_src: flag(),
  virtual_router_id: int(1, 255, { required: true, to: 'vrid' }),
  version: int(2, 3),
  priority: int(1, 255, { default: 100 }),
  // Upper bound of v3 (40.95 s); v2's whole-second 1..255 limit is checked in validate.
  advert_int: num(0.01, 255, { default: 1 }),
  virtual_ipaddress: lines({ repeat: true }),
  virtual_ipaddress_excluded: lines({ repeat: true }),
  no_virtual_ipaddress: flag({ default: false }),
  promote_secondaries: flag({ default: false }),
  virtual_routes: lines({ repeat: true }),
  virtual_rules: lines({ repeat: true }),
  v3_checksum_as_v2: bool({ default: false }),
  accept: flag(),
  no_accept: flag(),
  skip_check_adv_addr: bool(),
  strict_mode: bool(),
  nopreempt: flag({ default: false }),
  preempt_delay: num(0, 1000, { default: 0 }),
  notify_deleted: words({ bareValue: [] }),
  notify_master_rx_lower_pri: script(),
  lvs_sync_daemon_interface: str({ deprecated: 'lvs_sync_daemon in global_defs' }),
  garp_master_delay: int(0, 255),
  garp_master_repeat: int(1, 255),
  garp_master_refresh: int(0),
  garp_master_refresh_repeat: int(1, 255),
  garp_lower_prio_delay: int(0, 255),
  garp_lower_prio_repeat: int(0, 255),
  down_timer_adverts: int(1, 100),
  lower_prio_no_advert: bool(),
  higher_prio_send_advert: bool(),
  owner_ignore_adverts: bool(),
  use_vmac: words({ bareValue: [] }),
  vmac_xmit_base: flag({ default: false }),
  authentication: block(authentication),
};

export const vrrpInstanceTable = table('vrrp_instance', keywords);
