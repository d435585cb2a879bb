/**
 * One BFD session as every reader sees it: `keepalived status` (observe/status.ts), SIGUSR1's
 * keepalived_bfd.data (observe/dump-bfd.ts) and tests. Built once, here, from the pure session
 * and its configuration; pure (clock readings arrive as arguments).
 */
import { BFD_DIAG_NAME, BFD_STATE_NAME } from './packet';
import { detectionTimeUs, txIntervalUs, type BfdSession } from './session';
import type { BfdInstance } from '../config/model';

export interface BfdSessionView {
  name: string;
  neighborIp: string;
  sourceIp?: string;
  multihop: boolean;
  /** AdminDown | Down | Init | Up (RFC 5880 names, as keepalived logs them). */
  state: string;
  remoteState: string;
  localDiscr: number;
  remoteDiscr: number;
  localDiag: string;
  remoteDiag: string;
  txIntervalUs: number;
  detectionTimeUs: number;
  rx: number;
  tx: number;
  sinceMs: number;
  sinceWallMs: number;
  /** The configuration (for the dumps). */
  inst: BfdInstance;
  /** The remote's last advertised values (0 until a packet came in). */
  remoteMinTxUs: number;
  remoteMinRxUs: number;
  remoteDetectMult: number;
  polling: boolean;
  /** The interval the remote sends at, and the Detection Time the remote applies to us. */
  remoteTxIntervalUs: number;
  remoteDetectionTimeUs: number;
  /** Wall-clock ms of the last accepted packet (undefined: never). */
  lastSeenWallMs?: number;
  /** The last send failed. */
  sendError: boolean;
}

export interface BfdCounters {
  rx: number;
  tx: number;
  /** Monotonic ms of the last accepted packet. */
  lastRxMs?: number;
  lastSendFailed: boolean;
}

/** The view of one session at monotonic `nowMs` / wall-clock `wallMs`. */
export function bfdSessionView(inst: BfdInstance, s: BfdSession, counters: BfdCounters, nowMs: number, wallMs: number): BfdSessionView {
  const heard = s.remoteDetectMult !== 0;
  return {
    name: inst.name,
    neighborIp: inst.neighborIp,
    ...(inst.sourceIp ? { sourceIp: inst.sourceIp } : {}),
    multihop: inst.multihop,
    state: BFD_STATE_NAME[s.state] ?? '?',
    remoteState: BFD_STATE_NAME[s.remoteState] ?? '?',
    localDiscr: s.localDiscr,
    remoteDiscr: s.remoteDiscr,
    localDiag: BFD_DIAG_NAME[s.localDiag] ?? String(s.localDiag),
    remoteDiag: BFD_DIAG_NAME[s.remoteDiag] ?? String(s.remoteDiag),
    txIntervalUs: txIntervalUs(s),
    detectionTimeUs: detectionTimeUs(s),
    rx: counters.rx,
    tx: counters.tx,
    sinceMs: s.sinceMs,
    sinceWallMs: wallMs - (nowMs - s.sinceMs),
    inst,
    remoteMinTxUs: s.remoteDesiredMinTxUs,
    remoteMinRxUs: heard ? s.remoteMinRxUs : 0,
    remoteDetectMult: s.remoteDetectMult,
    polling: s.polling,
    // RFC 5880 §6.8.7 / §6.8.4 seen from the remote's side.
    remoteTxIntervalUs: heard ? Math.max(s.remoteDesiredMinTxUs, s.advRxUs) : 0,
    remoteDetectionTimeUs: heard ? s.cfg.detectMult * Math.max(s.remoteMinRxUs, s.advTxUs) : 0,
    ...(counters.lastRxMs !== undefined ? { lastSeenWallMs: wallMs - (nowMs - counters.lastRxMs) } : {}),
    sendError: counters.lastSendFailed,
  };
}
