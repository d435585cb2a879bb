/**
 * BFD control packet codec: RFC 5880 §4.1 (mandatory section; the optional authentication
 * section is recognised only to be refused, as keepalived does not authenticate BFD).
 *
 * decodeControl() runs the session-independent reception checks of RFC 5880 §6.8.6 as a
 * ladder of guard clauses and never throws on any byte string: each rejection carries a
 * BfdDropReason (one counter each) and a detail line for the debug log. The checks that need
 * the session table (Your Discriminator lookup) live in session-table.ts.
 */

/** RFC 5880 §4.1: Version 1. */
export const BFD_VERSION = 1;
/** RFC 5880 §4.1: the mandatory section is 24 bytes. */
export const BFD_CONTROL_LEN = 24;
/** RFC 5880 §6.8.6: with the A bit set the packet is at least 26 bytes. */
export const BFD_CONTROL_AUTH_MIN_LEN = 26;
/** RFC 5881 §4 / RFC 5883 §5: destination UDP ports. */
export const BFD_PORT_SINGLE_HOP = 3784;
export const BFD_PORT_MULTI_HOP = 4784;
/** RFC 5881 §4: source port in 49152..65535. */
export const BFD_SRC_PORT_MIN = 49152;
export const BFD_SRC_PORT_MAX = 65535;

/** RFC 5880 §4.1 State (Sta). */
export const enum BfdState {
  AdminDown = 0,
  Down = 1,
  Init = 2,
  Up = 3,
}

export const BFD_STATE_NAME: readonly string[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** RFC 5880 §4.1 Diagnostic (Diag). */
export const enum BfdDiag {
  None = 0,
  ControlDetectionTimeExpired = 1,
  EchoFunctionFailed = 2,
  NeighborSignaledSessionDown = 3,
  ForwardingPlaneReset = 4,
  PathDown = 5,
  ConcatenatedPathDown = 6,
  AdministrativelyDown = 7,
  ReverseConcatenatedPathDown = 8,
}

export const BFD_DIAG_NAME: readonly string[] = [
  'No Diagnostic',
  'Control Detection Time Expired',
  'Echo Function Failed',
  'Neighbor Signaled Session Down',
  'Forwarding Plane Reset',
  'Path Down',
  'Concatenated Path Down',
  'Administratively Down',
  'Reverse Concatenated Path Down',
];

export interface BfdControl {
  version: number;
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  /** C: Control Plane Independent. */
  cpi: boolean;
  /** A: Authentication Present. */
  auth: boolean;
  /** D: Demand. */
  demand: boolean;
  /** M: Multipoint (must be zero). */
  multipoint: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
}

export type BfdDropReason =
  | 'length_short'
  | 'version'
  | 'length_field'
  | 'length_exceeds'
  | 'detect_mult_zero'
  | 'multipoint'
  | 'my_discr_zero'
  | 'your_discr_zero'
  | 'auth_present'
  | 'ttl'
  | 'no_session';

export const BFD_DROP_REASONS: readonly BfdDropReason[] = [
  'length_short',
  'version',
  'length_field',
  'length_exceeds',
  'detect_mult_zero',
  'multipoint',
  'my_discr_zero',
  'your_discr_zero',
  'auth_present',
  'ttl',
  'no_session',
];

export type BfdDecodeResult = { ok: true; pkt: BfdControl } | { ok: false; reason: BfdDropReason; detail: string };

function drop(reason: BfdDropReason, detail: string): BfdDecodeResult {
  return { ok: false, reason, detail };
}

/**
 * Decode one UDP payload. RFC 5880 §6.8.6 checks, in its order: version, length (≥ 24, ≥ 26
 * with A, ≤ payload), Detect Mult ≠ 0, M = 0, My Discriminator ≠ 0, Your Discriminator ≠ 0
 * unless the state is Down or AdminDown; then, as keepalived runs no authentication, a set A
 * bit is refused ("A bit set and no authentication in use").
 */
export function decodeControl(buf: Uint8Array): BfdDecodeResult {
  if (buf.length < BFD_CONTROL_LEN) return drop('length_short', `packet is ${buf.length} bytes; the minimum is ${BFD_CONTROL_LEN}`);
  const b0 = buf[0] as number;
  const b1 = buf[1] as number;
  const version = b0 >> 5;
  if (version !== BFD_VERSION) return drop('version', `version is ${version}; should be ${BFD_VERSION}`);
  const auth = (b1 & 0x04) !== 0;
  const length = buf[3] as number;
  const min = auth ? BFD_CONTROL_AUTH_MIN_LEN : BFD_CONTROL_LEN;
  if (length < min) return drop('length_field', `Length field is ${length}; the minimum is ${min}`);
  if (length > buf.length) return drop('length_exceeds', `Length field ${length} exceeds the ${buf.length}-byte payload`);
  const detectMult = buf[2] as number;
  if (detectMult === 0) return drop('detect_mult_zero', 'Detect Mult is zero');
  const multipoint = (b1 & 0x01) !== 0;
  if (multipoint) return drop('multipoint', 'Multipoint (M) bit is set');
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const myDiscr = dv.getUint32(4);
  const yourDiscr = dv.getUint32(8);
  if (myDiscr === 0) return drop('my_discr_zero', 'My Discriminator is zero');
  const state = (b1 >> 6) as BfdState;
  if (yourDiscr === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) {
    return drop('your_discr_zero', `Your Discriminator is zero in state ${BFD_STATE_NAME[state]}`);
  }
  if (auth) return drop('auth_present', 'Authentication Present (A) bit is set and no authentication is in use');
  return {
    ok: true,
    pkt: {
      version,
      diag: b0 & 0x1f,
      state,
      poll: (b1 & 0x20) !== 0,
      final: (b1 & 0x10) !== 0,
      cpi: (b1 & 0x08) !== 0,
      auth,
      demand: (b1 & 0x02) !== 0,
      multipoint,
      detectMult,
      myDiscr,
      yourDiscr,
      desiredMinTxUs: dv.getUint32(12),
      requiredMinRxUs: dv.getUint32(16),
      requiredMinEchoRxUs: dv.getUint32(20),
    },
  };
}

/** What a session sends; the codec fills version, length and the bits it never sets. */
export interface BfdControlToSend {
  diag: number;
  state: BfdState;
  poll: boolean;
  final: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  /** 0: this system does not support the Echo function (keepalived: echo off). */
  requiredMinEchoRxUs?: number;
}

/** Encode the 24-byte mandatory section (no authentication, C/D/M clear). */
export function encodeControl(p: BfdControlToSend): Buffer {
  const buf = Buffer.alloc(BFD_CONTROL_LEN);
  buf[0] = (BFD_VERSION << 5) | (p.diag & 0x1f);
  buf[1] = ((p.state & 3) << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0);
  buf[2] = p.detectMult & 0xff;
  buf[3] = BFD_CONTROL_LEN;
  buf.writeUInt32BE(p.myDiscr >>> 0, 4);
  buf.writeUInt32BE(p.yourDiscr >>> 0, 8);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(p.desiredMinTxUs))), 12);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(p.requiredMinRxUs))), 16);
  buf.writeUInt32BE(Math.min(0xffffffff, Math.max(0, Math.round(p.requiredMinEchoRxUs ?? 0))), 20);
  return buf;
}
