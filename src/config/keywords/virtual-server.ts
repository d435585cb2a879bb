/** virtual_server / virtual_server_group / real_server / SSL (keepalived.conf(5) "LVS CONFIGURATION"). */
import { checkerKeywords } from './checkers';
import * as R from './reasons';
import { block, bool, flag, ignore, int, num, oneOf, script, str, table, words, type KwSpec } from './types';

const IPVS = 'lvs/model-to-ipvs.ts';
const LVS = 'runtime/lvs.ts';
const CHECK = 'check/build.ts';
const SNMP_NAME = 'SNMP is not supported';

/** Checker defaults the VS and RS may set for their checkers (resolved VS → RS → checker). */
const inheritable = (): Record<string, KwSpec> => ({
  retry: int(0, undefined, { use: CHECK }),
  delay_before_retry: num(0, undefined, { use: CHECK, field: 'delayBeforeRetryMs' }),
  warmup: num(0, undefined, { use: CHECK, field: 'warmupMs' }),
  connect_timeout: num(0.001, undefined, { use: CHECK, field: 'connectTimeoutMs' }),
  delay_loop: num(0.001, undefined, { use: CHECK, field: 'delayLoopMs' }),
});

export const realServerTable = table('real_server', {
  ...inheritable(),
  weight: int(0, 65535, { default: 1, use: IPVS }),
  lvs_method: words({ minArgs: 1, use: IPVS }),
  uthreshold: int(0, undefined, { use: IPVS }),
  lthreshold: int(0, undefined, { use: IPVS }),
  inhibit_on_failure: bool({ use: IPVS }),
  notify_up: script({ use: LVS }),
  notify_down: script({ use: LVS }),
  alpha: bool({ use: IPVS }),
  smtp_alert: bool({ use: 'runtime/lvs-notify.ts' }),
  virtualhost: str({ use: CHECK }),
  snmp_name: str({ unsupported: SNMP_NAME }),
  ...checkerKeywords(),
});

export const virtualServerTable = table('virtual_server', {
  ...inheritable(),
  ip_family: oneOf(['inet', 'inet6'], { use: IPVS, field: 'family' }),
  inhibit_on_failure: bool({ default: false, use: IPVS }),
  lvs_sched: str({ use: IPVS }),
  lb_algo: str({ deprecated: 'lvs_sched', to: 'lvsSched', use: IPVS }),
  hashed: ignore('the hashed scheduler flag is not implemented (use the mh scheduler)', { deprecated: 'the mh scheduler' }),
  ops: flag({ use: IPVS, field: 'schedFlags' }),
  'flag-1': flag({ use: IPVS, field: 'schedFlags' }),
  'flag-2': flag({ use: IPVS, field: 'schedFlags' }),
  'flag-3': flag({ use: IPVS, field: 'schedFlags' }),
  'sh-port': flag({ use: IPVS, field: 'schedFlags' }),
  'sh-fallback': flag({ use: IPVS, field: 'schedFlags' }),
  'mh-port': flag({ use: IPVS, field: 'schedFlags' }),
  'mh-fallback': flag({ use: IPVS, field: 'schedFlags' }),
  lvs_method: words({ minArgs: 1, use: IPVS }),
  lb_kind: words({ minArgs: 1, deprecated: 'lvs_method', to: 'lvsMethod', use: IPVS }),
  persistence_engine: str({ use: IPVS }),
  persistence_timeout: int(1, undefined, { bareValue: 360, use: IPVS, field: 'persistenceTimeoutS' }),
  persistence_granularity: str({ use: IPVS }),
  // No default here: keepalived 2.2.7 makes an address service without it UDP (config/resolve-lvs).
  protocol: oneOf(['TCP', 'UDP', 'SCTP'], { caseInsensitive: true, use: IPVS }),
  ha_suspend: flag({ default: false, use: LVS }),
  smtp_alert: bool({ use: 'runtime/lvs-notify.ts' }),
  virtualhost: str({ use: CHECK }),
  snmp_name: str({ unsupported: SNMP_NAME }),
  alpha: flag({ default: false, use: IPVS }),
  omega: flag({ default: false, use: LVS }),
  quorum_up: script({ use: LVS }),
  quorum_down: script({ use: LVS }),
  quorum: int(1, undefined, { default: 1, use: IPVS }),
  hysteresis: int(0, undefined, { default: 0, use: IPVS }),
  weight: int(0, undefined, { unsupported: 'a virtual_server weight is not used' }),
  sorry_server: words({ minArgs: 1, use: IPVS }),
  sorry_server_inhibit: flag({ default: false, use: IPVS, field: 'inhibit' }),
  sorry_server_lvs_method: words({ minArgs: 1, use: IPVS, field: 'lvsMethod' }),
  real_server: block(realServerTable, { repeat: true, to: 'realServers', keepArgs: true, minArgs: 1, use: IPVS }),
});

export const sslTable = table('SSL', {
  password: str({ use: CHECK }),
  ca: str({ use: CHECK }),
  certificate: str({ use: CHECK }),
  key: str({ use: CHECK }),
});
