/**
 * /tmp/keepalived_bfd.data: what keepalived 2.2.7's BFD process writes on SIGUSR1 (measured in
 * the lab: a bfd_instance Up, another passive and Down, then the peer killed):
 *   Global definitions (as the parent holds them), "------< BFD Data >------" (the receive
 *   socket), "------< BFD Topology >------" with one " BFD Instance = NAME" block per session.
 * keepalived prints its C pointers (thread_*, 0x…) and fds; we have neither, so the fd lines
 * say -1 and the thread lines 0x(nil); every other line is the session's real value.
 * Pure: the runtime passes BfdService.sessions() (bfd/view.ts, the view status uses too) and the globals view.
 */
import { checkedText, formatGlobals, type GlobalsView } from './dump-data';
import type { BfdSessionView } from '../bfd/view';

const yes = (b: boolean): string => (b ? 'Yes' : 'No');
const hex = (n: number): string => `0x${(n >>> 0).toString(16)}`;

function session(s: BfdSessionView): string[] {
  const i = s.inst;
  const l = [` BFD Instance = ${s.name}`, `   Neighbor IP = ${s.neighborIp}`];
  if (s.sourceIp !== undefined) l.push(`   Source IP = ${s.sourceIp}`);
  l.push(
    `   Required min RX interval = ${i.minRxUs} us`,
    `   Desired min TX interval = ${i.minTxUs} us`,
    `   Desired idle TX interval = ${i.idleTxUs} us`,
    `   Detection multiplier = ${i.multiplier}`,
    i.family === 4 ? `   TTL = ${i.ttl}` : `   hoplimit = ${i.hoplimit}`,
    `   max_hops = ${i.maxHops}`,
    `   passive = ${i.passive ? 'true' : 'false'}`,
    `   send event to VRRP process = ${yes(i.notifyVrrp)}`,
    `   send event to checker process = ${yes(i.notifyChecker)}`,
    '   fd_out -1',
    '   thread_open_fd_out 0x(nil)',
    '   thread_out 0x(nil)',
    '   sands_out = [disabled]',
    '   thread_exp 0x(nil)',
    '   sands_exp = [disabled]',
    '   thread_rst 0x(nil)',
    '   sands_rst = [disabled]',
    `   send error = ${s.sendError ? 'true' : 'false'}`,
    `   local state = ${s.state}`,
    `   remote state = ${s.remoteState}`,
    `   local discriminator = ${hex(s.localDiscr)}`,
    `   remote discriminator = ${hex(s.remoteDiscr)}`,
    `   local diag = ${s.localDiag}`,
    `   remote diag = ${s.remoteDiag}`,
    `   remote min tx intv = ${s.remoteMinTxUs} us`,
    `   remote min rx intv = ${s.remoteMinRxUs} us`,
    '   local demand = 0',
    '   remote demand = 0',
    `   remote detect multiplier = ${s.remoteDetectMult}`,
    `   ${s.polling ? '' : '!'}poll, !final`,
    `   local tx intv = ${s.txIntervalUs} us`,
    `   remote tx intv = ${s.remoteTxIntervalUs} us`,
    `   local detection time = ${s.detectionTimeUs} us`,
    `   remote detection time = ${s.remoteDetectionTimeUs} us`,
    s.lastSeenWallMs === undefined ? '   last_seen = [never]' : `   last seen = ${checkedText(s.lastSeenWallMs)}`,
  );
  return l;
}

export function formatBfdDataFile(g: GlobalsView, sessions: readonly BfdSessionView[]): string {
  const l = [...formatGlobals(g, true), '------< BFD Data >------', ' fd_in = -1', ' thread_in = 0x(nil)', '------< BFD Topology >------'];
  for (const s of sessions) l.push(...session(s));
  return `${l.join('\n')}\n`;
}
