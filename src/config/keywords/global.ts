/** global_defs (keepalived.conf(5) "GLOBAL DEFINITIONS"); ranges/defaults as keepalived 2.2 applies them. */
import * as R from './reasons';
import { bool, flag, ignore, ignored, int, lines, num, script, str, table, words, type KwSpec } from './types';

const VRRP = 'runtime/instance.ts';
const NOTIFIER = 'runtime/notifier.ts';
const LVS = 'runtime/lvs.ts';
const FIREWALL = 'runtime/firewall.ts';
const REALTIME = 'runtime/realtime.ts';

/** Keywords keepalived accepts in global_defs that we store nowhere, grouped by reason. */
const ACCEPTED: Record<string, KwSpec> = {
  ...ignored(['process_names', 'process_name', 'vrrp_process_name', 'checker_process_name', 'lvs_process_name', 'bfd_process_name', 'child_wait_time'], R.ONE_PROCESS),
  ...ignored(['vrrp_priority', 'checker_priority', 'bfd_priority'], R.NICE),
  min_auto_priority_delay: ignore(R.AUTO_PRIORITY),
  ...ignored(['vrrp_no_swap', 'checker_no_swap', 'bfd_no_swap'], R.NO_SWAP),
  ...ignored(['vrrp_cpu_affinity', 'checker_cpu_affinity', 'bfd_cpu_affinity'], R.CPU_AFFINITY),
  ...ignored(['snmp_socket', 'enable_traps', 'enable_snmp_vrrp', 'enable_snmp_keepalived', 'enable_snmp_rfc', 'enable_snmp_rfcv2',
    'enable_snmp_rfcv3', 'enable_snmp_checker', 'snmp_vs_stats_update_interval', 'snmp_rs_stats_update_interval'], R.SNMP),
  ...ignored(['enable_dbus', 'dbus_service_name', 'dbus_no_interface_name'], R.DBUS),
  ...ignored(['vrrp_netlink_cmd_rcv_bufs', 'vrrp_netlink_cmd_rcv_bufs_force', 'process_monitor_rcv_bufs', 'process_monitor_rcv_bufs_force',
    'lvs_netlink_cmd_rcv_bufs', 'lvs_netlink_cmd_rcv_bufs_force', 'lvs_netlink_monitor_rcv_bufs',
    'lvs_netlink_monitor_rcv_bufs_force'], R.NETLINK_BUFS),
  ...ignored(['vrrp_rx_bufs_policy', 'vrrp_rx_bufs_multiplier'], 'the VRRP socket receive buffer size is fixed by tskeepalived'),
  ...ignored(['vrrp_iptables', 'vrrp_ipsets', 'namespace_with_ipsets'], R.IPTABLES),
  ...ignored(['nftables_ipvs', 'nftables_ipvs_priority', 'nftables_ipvs_start_fwmark'], R.NFTABLES_IPVS),
  ...ignored(['vrrp_garp_extra_if', 'vrrp_vmac_garp_intvl'], R.VMAC_GARP),
  vrrp_netlink_monitor_rcv_bufs_force: ignore('the link/address watch buffer is always set with SO_RCVBUFFORCE (SO_RCVBUF, capped by net.core.rmem_max, without CAP_NET_ADMIN)'),
  use_symlink_paths: ignore('script paths are always resolved through symbolic links for the script-security check'),
  disable_local_igmp: ignore('IGMP reports for the VRRP group are left to the kernel'),
  v3_checksum_as_v2: ignore('only the vrrp_instance keyword v3_checksum_as_v2 is implemented'),
  no_checker_emails: ignore('tskeepalived mails only real-server up/down and quorum changes (what no_checker_emails asks for); per-checker state mails are never sent'),
  umask: ignore('use the -u/--umask command-line option'),
  random_seed: ignore('the random seed is not configurable'),
  reload_check_config: ignore('a reload is always checked first; a broken config is refused and the running one kept'),
  ...ignored(['reload_time_file', 'reload_repeat', 'reload_file'], 'scheduled reloads are not implemented (send SIGHUP)'),
  include_check: ignore('included files are not watched for changes'),
  config_save_dir: ignore('configurations are not saved'),
  tmp_config_directory: ignore('no temporary copy of the configuration is made'),
  data_use_instance: ignore('dump file names do not carry the instance name'),
  json_version: ignore('one JSON dump format is written'),
  ...ignored(['iproute_usr_dir', 'iproute_etc_dir'], 'keywords of later keepalived releases (2.2.7 says Unknown keyword): the name files are read from /etc/iproute2 (rt_tables, rt_protos, rt_realms and their .d), as ip reads them'),
  ...ignored(['state_dump_file', 'stats_dump_file', 'json_dump_file'], 'dump files go to their fixed paths (/tmp/keepalived.data, .stats, .json)'),
  net_namespace_ipvs: ignore('not implemented: IPVS is always configured in the namespace the daemon runs in (net_namespace or -s, else where it was started)'),
  use_pid_dir: ignore('pid files are where -p/-r/-c and -s put them'),
  instance: ignore('use the -i/--config-id and -s/--namespace command-line options'),
  linkbeat_use_polling: ignore('link state comes from netlink; polling is not implemented'),
};

const keywords: Record<string, KwSpec> = {
  ...ACCEPTED,
  router_id: str({ use: NOTIFIER, field: 'routerId' }),
  notification_email: lines({ to: 'notificationEmail', use: NOTIFIER }),
  notification_email_from: str({ use: NOTIFIER }),
  smtp_server: words({ minArgs: 1, use: NOTIFIER }),
  smtp_helo_name: str({ use: NOTIFIER }),
  smtp_connect_timeout: int(1, undefined, { default: 30, to: 'smtpConnectTimeout', use: NOTIFIER, field: 'smtpConnectTimeoutMs' }),
  smtp_alert: bool({ use: NOTIFIER }),
  smtp_alert_vrrp: bool({ use: NOTIFIER }),
  smtp_alert_checker: bool({ use: 'runtime/lvs-notify.ts' }),
  checker_log_all_failures: bool({ default: false, use: 'check/build.ts' }),
  no_email_faults: flag({ default: false, use: NOTIFIER }),
  startup_script: script({ use: 'runtime/lifecycle-scripts.ts' }),
  startup_script_timeout: int(1, 1000, { default: 10, use: 'runtime/lifecycle-scripts.ts', field: 'startupScriptTimeoutMs' }),
  shutdown_script: script({ use: 'runtime/lifecycle-scripts.ts' }),
  shutdown_script_timeout: int(1, 1000, { default: 10, use: 'runtime/lifecycle-scripts.ts', field: 'shutdownScriptTimeoutMs' }),
  max_auto_priority: int(-1, 99, { unsupported: R.AUTO_PRIORITY }),
  // One event-loop thread runs VRRP, BFD and the checkers: it takes the highest rt priority of the parts in use.
  vrrp_rt_priority: int(1, 99, { use: REALTIME }),
  bfd_rt_priority: int(1, 99, { use: REALTIME }),
  checker_rt_priority: int(1, 99, { use: REALTIME }),
  vrrp_rlimit_rttime: int(2, undefined, { default: 10000, use: REALTIME, field: 'vrrpRlimitRttimeUs' }),
  bfd_rlimit_rttime: int(2, undefined, { default: 10000, use: REALTIME, field: 'bfdRlimitRttimeUs' }),
  checker_rlimit_rttime: int(2, undefined, { default: 10000, use: REALTIME, field: 'checkerRlimitRttimeUs' }),
  vrrp_rlimit_rtime: int(2, undefined, { deprecated: 'vrrp_rlimit_rttime', to: 'vrrpRlimitRttime', use: REALTIME, field: 'vrrpRlimitRttimeUs' }),
  bfd_rlimit_rtime: int(2, undefined, { deprecated: 'bfd_rlimit_rttime', to: 'bfdRlimitRttime', use: REALTIME, field: 'bfdRlimitRttimeUs' }),
  checker_rlimit_rtime: int(2, undefined, { deprecated: 'checker_rlimit_rttime', to: 'checkerRlimitRttime', use: REALTIME, field: 'checkerRlimitRttimeUs' }),
  // [allow_if_changes] is accepted and has no further effect: a re-created interface is always rewired.
  dynamic_interfaces: words({ bareValue: [], use: 'runtime/vrrp-service.ts' }),
  default_interface: str({ use: 'runtime/wiring.ts' }),
  lvs_timeouts: words({ minArgs: 2, use: LVS }),
  lvs_flush: flag({ default: false, use: LVS }),
  rs_init_notifies: flag({ default: false, use: LVS }),
  lvs_flush_on_stop: words({ bareValue: [], use: LVS }),
  lvs_flush_onstop: words({ bareValue: [], deprecated: 'lvs_flush_on_stop', to: 'lvsFlushOnStop', use: LVS }),
  lvs_sync_daemon: words({ minArgs: 1, use: LVS }),
  // keepalived 2.2.7 installs net_namespace at the top level only (observed: inside global_defs it
  // says "Unknown keyword 'net_namespace'" and runs in the namespace it was started in).
  net_namespace: ignore('keepalived 2.2.7 reads net_namespace only outside global_defs (inside it is an unknown keyword and the daemon stays where it was started): move the line to the top level'),
  vrrp_mcast_group4: str({ default: '224.0.0.18', use: 'runtime/wiring.ts', field: 'mcastDstIp' }),
  vrrp_mcast_group6: str({ default: 'ff02::12', use: 'runtime/wiring.ts', field: 'mcastDstIp' }),
  // The vrrp_garp_* defaults are inherited by every vrrp_instance (config/resolve-vrrp).
  vrrp_garp_master_delay: int(0, 4294, { default: 5, use: VRRP, field: 'garpMasterDelayMs' }),
  vrrp_garp_master_repeat: int(1, 255, { default: 5, fallback: { value: 1 }, use: VRRP, field: 'garpMasterRepeat' }),
  vrrp_garp_master_refresh: int(0, undefined, { default: 0, use: VRRP, field: 'garpMasterRefreshMs' }),
  vrrp_garp_master_refresh_repeat: int(1, 255, { default: 1, fallback: { value: 1 }, use: VRRP, field: 'garpMasterRefreshRepeat' }),
  vrrp_garp_lower_prio_delay: int(0, 4294, { use: VRRP, field: 'garpLowerPrioDelayMs' }),
  vrrp_garp_lower_prio_repeat: int(0, 255, { use: VRRP, field: 'garpLowerPrioRepeat' }),
  // keepalived 2.2 warns "number '0' outside range" for 0 and then uses 0 (no spacing): we warn in validate.
  vrrp_garp_interval: num(0, 1, { default: 0, use: VRRP, field: 'garpIntervalMs' }),
  vrrp_gna_interval: num(0, 1, { default: 0, use: VRRP, field: 'gnaIntervalMs' }),
  vrrp_min_garp: bool({ default: false, use: 'runtime/vrrp-service.ts' }),
  vrrp_down_timer_adverts: int(1, 100, { default: 3, use: VRRP, field: 'downTimerAdverts' }),
  vrrp_lower_prio_no_advert: bool({ default: false, use: VRRP, field: 'lowerPrioNoAdvert' }),
  vrrp_higher_prio_send_advert: bool({ default: false, use: VRRP, field: 'higherPrioSendAdvert' }),
  vrrp_version: int(2, 3, { default: 2, use: VRRP, field: 'version' }),
  vrrp_check_unicast_src: flag({ default: false, use: 'runtime/vrrp-service.ts', field: 'checkUnicastSrc' }),
  vrrp_skip_check_adv_addr: flag({ default: false, use: 'runtime/vrrp-service.ts', field: 'skipCheckAdvAddr' }),
  vrrp_strict: flag({ default: false, use: FIREWALL }),
  // nftables [TABLENAME]: the no_accept firewall's table (keepalived's default name when bare).
  nftables: words({ bareValue: [], use: FIREWALL, field: 'nftablesTable' }),
  nftables_priority: int(-2147483648, 2147483647, { default: -1, use: FIREWALL }),
  nftables_counters: flag({ default: false, use: FIREWALL }),
  nftables_ifindex: flag({ default: false, use: FIREWALL }),
  vrrp_startup_delay: num(0, 300, { default: 0, use: 'runtime/vrrp-service.ts', field: 'vrrpStartupDelayMs' }),
  // Bytes of the link/address notification socket (default 8 MiB); smaller ones overrun sooner (ENOBUFS → resync).
  vrrp_netlink_monitor_rcv_bufs: int(4096, 1 << 30, { use: 'runtime/daemon.ts', field: 'netlinkMonitorRcvBufBytes' }),
  log_unknown_vrids: flag({ default: false, use: 'runtime/vrrp-service.ts' }),
  vrrp_owner_ignore_adverts: flag({ default: false, use: VRRP, field: 'ownerIgnoreAdverts' }),
  vmac_prefix: str({ default: 'vrrp', use: 'runtime/wiring.ts' }),
  vmac_addr_prefix: str({ unsupported: 'use_vmac_addr is not implemented' }),
  notify_fifo: words({ minArgs: 1, use: NOTIFIER }),
  notify_fifo_script: script({ use: NOTIFIER, field: 'notifyFifo' }),
  vrrp_notify_fifo: words({ minArgs: 1, use: NOTIFIER }),
  vrrp_notify_fifo_script: script({ use: NOTIFIER, field: 'vrrpNotifyFifo' }),
  lvs_notify_fifo: words({ minArgs: 1, use: 'runtime/lvs-notify.ts' }),
  lvs_notify_fifo_script: script({ use: 'runtime/lvs-notify.ts', field: 'lvsNotifyFifo' }),
  // Every instance's default for notify_priority_changes (config/resolve-vrrp), read per instance.
  fifo_write_vrrp_states_on_reload: flag({ default: false, use: 'runtime/vrrp-service.ts' }),
  vrrp_notify_priority_changes: bool({ default: false, use: 'runtime/vrrp-service.ts', field: 'notifyPriorityChanges' }),
  script_user: words({ minArgs: 1, use: 'runtime/script-user.ts' }),
  enable_script_security: flag({ default: false, use: 'runtime/script-user.ts' }),
  // ours (tskeepalived): the control socket of `keepalived status|standby|resume|reload|dump`, and Prometheus metrics
  control_socket: str({ use: 'control/glue.ts', field: 'controlSocket' }),
  metrics_listen: str({ use: 'control/glue.ts', field: 'metricsListen' }),
};

export const globalDefsTable = table('global_defs', keywords);
