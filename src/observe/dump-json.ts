/**
 * keepalived 2.2.7's JSON dump (SIGRTMIN+2, /tmp/keepalived.json), key by key and type by type
 * as measured in the lab: one line, `[{"data":{…},"stats":{…}}, …]`, '/' escaped as '\/'
 * (keepalived's JSON writer), booleans where keepalived writes booleans (vipset, nopreempt,
 * promote_secondaries, smtp_alert, notify_deleted) and 0/1 integers where it writes integers
 * (accept, dont_track_primary, skip_check_adv_addr, strict_mode, lower_prio_no_advert,
 * higher_prio_send_advert). `evips` and `track_script` appear only when non-empty; vips are
 * keepalived's address strings ("198.51.100.100/24 dev eth0 scope global set"), track_script the
 * scripts' quoted commands. Pure.
 */
import type { InstanceView } from './dump-data';
import { STATE_NUMBER, type DumpState, type InstanceStats } from './dump';

const b01 = (b: boolean): number => (b ? 1 : 0);

function vipStrings(vs: InstanceView['vips']): string[] {
  return vs.map((v) => `${v.text}${v.set ? ' set' : ''}`);
}

function str(s: string): string {
  return JSON.stringify(s).replace(/\//g, '\\/');
}

function value(v: unknown): string {
  if (typeof v === 'string') return str(v);
  if (typeof v === 'number') return String(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(value).join(',')}]`;
  if (v && typeof v === 'object' && 'raw' in v) return (v as { raw: string }).raw;
  return 'null';
}

function object(entries: Array<[string, unknown]>): string {
  return `{${entries.map(([k, v]) => `${str(k)}:${value(v)}`).join(',')}}`;
}

function dataEntries(i: InstanceView): Array<[string, unknown]> {
  const state = STATE_NUMBER[i.state as DumpState] ?? 0;
  const e: Array<[string, unknown]> = [
    ['iname', i.name],
    ['dont_track_primary', b01(i.dontTrackPrimary)],
    ['skip_check_adv_addr', b01(i.skipCheckAdvAddr)],
    ['strict_mode', b01(i.strictMode)],
    ['vmac_ifname', i.vmacIfname],
    ['ifp_ifname', i.interface],
    ['master_priority', i.masterPriority ?? 0],
    // keepalived writes the timeval as seconds with 6 decimals.
    ['last_transition', { raw: (i.lastTransitionMs / 1000).toFixed(6) }],
    ['garp_delay', i.garpDelayS],
    ['garp_refresh', i.garpRefreshS],
    ['garp_rep', i.garpRepeat],
    ['garp_refresh_rep', i.garpRefreshRepeat],
    ['garp_lower_prio_delay', i.garpLowerPrioDelayS],
    ['garp_lower_prio_rep', i.garpLowerPrioRepeat],
    ['lower_prio_no_advert', b01(i.lowerPrioNoAdvert)],
    ['higher_prio_send_advert', b01(i.higherPrioSendAdvert)],
    ['vrid', i.vrid],
    ['base_priority', i.basePriority],
    ['effective_priority', i.effectivePriority],
    ['vipset', i.vips.some((v) => v.set)],
    ['promote_secondaries', i.promoteSecondaries],
    ['adver_int', i.advertIntMs / 1000],
    ['master_adver_int', i.masterAdvertIntMs / 1000],
    ['accept', b01(i.accept)],
    ['nopreempt', !i.preempt],
    ['preempt_delay', i.preemptDelayS],
    ['state', state],
    ['wantstate', STATE_NUMBER[i.wantstate as DumpState] ?? state],
    ...(i.standby ? [['standby', 'manual'] as [string, unknown]] : []),
    ['version', i.version],
    ['smtp_alert', i.smtp],
    ['notify_deleted', i.notifyDeleted],
    ['vips', vipStrings(i.vips)],
  ];
  if (i.evips.length > 0) e.push(['evips', vipStrings(i.evips)]);
  if (i.trackScriptCommands.length > 0) e.push(['track_script', i.trackScriptCommands]);
  e.push(['auth_type', i.authType === 'none' ? 0 : i.authType === 'PASS' ? 1 : 2]);
  return e;
}

function statsEntries(st: InstanceStats): Array<[string, unknown]> {
  return [
    ['advert_rcvd', st.advertRcvd],
    ['advert_sent', st.advertSent],
    ['become_master', st.becomeMaster],
    ['release_master', st.releaseMaster],
    ['packet_len_err', st.packetLenErr],
    ['advert_interval_err', st.advertIntervalErr],
    ['ip_ttl_err', st.ipTtlErr],
    ['invalid_type_rcvd', st.invalidTypeRcvd],
    ['addr_list_err', st.addrListErr],
    ['invalid_authtype', st.invalidAuthtype],
    ['authtype_mismatch', st.authtypeMismatch],
    ['auth_failure', st.authFailure],
    ['pri_zero_rcvd', st.priZeroRcvd],
    ['pri_zero_sent', st.priZeroSent],
  ];
}

/** The JSON file text: instances in configuration order, each with its counters. */
export function formatJsonFile(instances: readonly InstanceView[], stats: ReadonlyMap<string, InstanceStats>): string {
  const items = instances.map((i) => {
    const st = stats.get(i.name);
    return `{"data":${object(dataEntries(i))},"stats":${st ? object(statsEntries(st)) : '{}'}}`;
  });
  return `[${items.join(',')}]\n`;
}
