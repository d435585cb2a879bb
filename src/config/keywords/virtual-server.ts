/** virtual_server / virtual_server_group / real_server / SSL (keepalived.conf(5) "LVS CONFIGURATION"). */
import { checkerKeywords } from './checkers';
import { block, bool, flag, int, num, oneOf, script, str, table, words, type KwSpec } from './types';

const METHODS = ['NAT', 'DR', 'TUN'];

/** Checker defaults the VS and RS may set for their checkers (resolved VS → RS → checker). */
const inheritable = (): Record<string, KwSpec> => ({
  retry: int(0),
  delay_before_retry: num(0),
  warmup: num(0),
  connect_timeout: num(0.001),
  delay_loop: num(0.001),
});

export const realServerTable = table('real_server', {
  ...inheritable(),
  weight: int(0, 65535, { default: 1 }),
  lvs_method: words({ minArgs: 1 }),
  uthreshold: int(0),
  lthreshold: int(0),
  inhibit_on_failure: bool(),
  notify_up: script(),
  notify_down: script(),
  alpha: bool(),
  smtp_alert: bool(),
  virtualhost: str(),
  snmp_name: str(),
  ...checkerKeywords(),
});

export const virtualServerTable = table('virtual_server', {
  ...inheritable(),
  ip_family: oneOf(['inet', 'inet6']),
  inhibit_on_failure: bool({ default: false }),
  lvs_sched: str(),
  lb_algo: str({ deprecated: 'lvs_sched', to: 'lvsSched' }),
  hashed: { kind: 'ignore', deprecated: 'the mh scheduler' },
  ops: flag(),
  'flag-1': flag(),
  'flag-2': flag(),
  'flag-3': flag(),
  'sh-port': flag(),
  'sh-fallback': flag(),
  'mh-port': flag(),
  'mh-fallback': flag(),
  lvs_method: words({ minArgs: 1 }),
  lb_kind: words({ minArgs: 1, deprecated: 'lvs_method', to: 'lvsMethod' }),
  persistence_engine: str(),
  persistence_timeout: int(1, undefined, { bareValue: 360 }),
  persistence_granularity: str(),
  protocol: oneOf(['TCP', 'UDP', 'SCTP'], { caseInsensitive: true, default: 'TCP' }),
  ha_suspend: flag({ default: false }),
  smtp_alert: bool(),
  virtualhost: str(),
  snmp_name: str(),
  alpha: flag({ default: false }),
  omega: flag({ default: false }),
  quorum_up: script(),
  quorum_down: script(),
  quorum: int(1, undefined, { default: 1 }),
  hysteresis: int(0, undefined, { default: 0 }),
  weight: int(0),
  sorry_server: words({ minArgs: 1 }),
  sorry_server_inhibit: flag({ default: false }),
  sorry_server_lvs_method: oneOf(METHODS, { caseInsensitive: true }),
  real_server: block(realServerTable, { repeat: true, to: 'realServers', keepArgs: true, minArgs: 1 }),
});

export const sslTable = table('SSL', {
  password: str(),
  ca: str(),
  certificate: str(),
  key: str(),
});

