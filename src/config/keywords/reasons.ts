/**
 * Reasons for keywords declared `unsupported` (keywords/types Consumer), shared so the same
 * limitation reads the same everywhere. Each is printed as "<keyword> is accepted for
 * compatibility but not implemented by tskeepalived (<reason>)".
 */
export const NOT_YET = 'not implemented yet';
export const SNMP = 'SNMP is not supported';
export const DBUS = 'DBus is not supported';
export const ONE_PROCESS = 'tskeepalived runs as one process: there are no VRRP/checker/BFD child processes to name or wait for';
export const NICE = 'process scheduling priority (nice) is not changed: tskeepalived runs as one Node.js process';
export const AUTO_PRIORITY = 'automatic priority increases are not implemented: set vrrp_rt_priority (or bfd_rt_priority, checker_rt_priority) for real-time scheduling from the start';
export const NO_SWAP = 'memory is not locked (mlockall): tskeepalived runs as one Node.js process';
export const CPU_AFFINITY = 'CPU affinity is not set: tskeepalived runs as one Node.js process';
export const NETLINK_BUFS = 'netlink socket receive buffer sizes are fixed by tskeepalived (only vrrp_netlink_monitor_rcv_bufs, the link/address watch, is configurable)';
export const IPTABLES = "this build uses nftables (as Debian's keepalived 2.2.7)";
export const NFTABLES_IPVS = 'virtual_server_group fwmarks through nftables are not implemented';
export const VMAC_GARP = 'periodic gratuitous ARPs on the base interface of a VMAC are not implemented';
