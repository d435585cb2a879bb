/**
 * Property tests of the pure BFD session (src/bfd/session.ts) and its codec (src/bfd/packet.ts),
 * with fast-check. For every session configuration (min_tx / min_rx / idle_tx from 1 µs to the
 * largest the config accepts, multiplier 1..255, passive or not) and every sequence of events —
 * control packets from a peer in any state with any discriminators, P/F bits, timer fields
 * (0, 1 µs, huge) and Detect Mult, valid or mutated on the wire (version, length, truncation,
 * Detect Mult 0, M bit, A bit, My Discriminator 0, Your Discriminator 0 or foreign, random
 * bytes); timers fired at their deadline, on time along the way, or late; admin down/up;
 * timer changes (SIGHUP retime) — after every step:
 *  - §4.1/§6.8.6: the state is one of AdminDown/Down/Init/Up and every change is the one the
 *    §6.8.6 table (packets), §6.8.4 (Detection Time expiry) or §6.8.16 (admin) prescribes;
 *  - §6.8.6: the wire checks (decoder + Your Discriminator demultiplexing) accept exactly what
 *    an oracle written from §6.8.6 accepts, and a rejected packet changes nothing;
 *  - deadlines are never in the past; a tick leaves nothing due;
 *  - §6.8.3: DesiredMinTx ≥ 1 s and the values in force equal the advertised ones while not Up;
 *    while Up an increase of TX / decrease of RX waits for the Final of a Poll Sequence;
 *  - §6.8.4: Detection Time = remote Detect Mult × max(RequiredMinRx in force, remote DesiredMinTx);
 *  - §6.8.7: interval max(DesiredMinTx in force, RemoteMinRx), jitter 75–100% (75–90% with
 *    Detect Mult 1); nothing periodic when RemoteMinRx is 0 or passive without a RemoteDiscr;
 *    a Poll is answered by exactly one packet with F (never P and F together);
 *  - every packet sent encodes and decodes back to itself, with the §6.8.7 fields.
 * A second property runs two sessions over a lossless link with random retimes and checks that
 * they come Up and never time out (§6.2, §6.5, §6.8.3). Failures print the shrunk case.
 */
import t from 'tap';
import fc from 'fast-check';
import { BfdState, decodeControl, encodeControl } from '../../src/bfd/packet';
import type { BfdControl, BfdControlToSend, BfdDropReason } from '../../src/bfd/packet';
import { SLOW_TX_US, adminDown, adminUp, createSession, farewell, nextDeadline, receive, retime, tick } from '../../src/bfd/session';
import type { BfdEffect, BfdSession, BfdSessionConfig, BfdTimers, Step } from '../../src/bfd/session';

const U32 = 0xffffffff;
/** The largest timer the config accepts (4,294,967 ms) in µs. */
const MAX_TIMER_US = 4_294_967_000;
const STATE = ['AdminDown', 'Down', 'Init', 'Up'];

// ---------- arbitraries ----------

const timerUs = fc.oneof(
  fc.constantFrom(1, 1000, 10_000, 50_000, 300_000, 999_999, 1_000_000, 2_000_000, MAX_TIMER_US),
  fc.integer({ min: 1, max: MAX_TIMER_US }),
);
const timers: fc.Arbitrary<BfdTimers> = fc.record({
  desiredMinTxUs: timerUs,
  requiredMinRxUs: timerUs,
  idleTxUs: timerUs,
  detectMult: fc.oneof(fc.constantFrom(1, 2, 3, 255), fc.integer({ min: 1, max: 255 })),
});
const config: fc.Arbitrary<BfdSessionConfig> = fc
  .tuple(timers, fc.oneof(fc.constantFrom(1, U32), fc.integer({ min: 1, max: U32 })), fc.boolean())
  .map(([tm, localDiscr, passive]) => ({ ...tm, localDiscr, passive }));

/** The random source: cycles through drawn values (0 and just below 1 included), so it shrinks. */
const rands = fc.array(fc.oneof(fc.constantFrom(0, 0.5, 1 - 2 ** -40), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })), { minLength: 1, maxLength: 8 });
const cycle = (xs: number[]) => {
  let i = 0;
  return () => xs[i++ % xs.length] as number;
};

/** A wire field from the peer: 0, 1, typical, the largest, or anything. */
const wireUs = fc.oneof(fc.constantFrom(0, 1, 10_000, 50_000, 1_000_000, U32), fc.integer({ min: 0, max: U32 }));

/** What Your Discriminator the peer puts in: ours, zero, or someone else's. */
type Your = 'match' | 'zero' | { other: number };
type Mutation =
  | { m: 'none' }
  | { m: 'version'; v: number }
  | { m: 'length'; len: number }
  | { m: 'truncate'; to: number }
  | { m: 'extend'; by: number }
  | { m: 'mult0' }
  | { m: 'multipoint' }
  | { m: 'auth'; lenPlus: number }
  | { m: 'myDiscr0' }
  | { m: 'random'; bytes: Uint8Array };

interface PeerPkt {
  state: BfdState;
  diag: number;
  poll: boolean;
  final: boolean;
  cpi: boolean;
  demand: boolean;
  detectMult: number;
  myDiscr: number;
  your: Your;
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  echoUs: number;
  mut: Mutation;
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.constant<Mutation>({ m: 'none' }), weight: 12 },
  { arbitrary: fc.integer({ min: 0, max: 7 }).map((v): Mutation => ({ m: 'version', v })), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 255 }).map((len): Mutation => ({ m: 'length', len })), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 23 }).map((to): Mutation => ({ m: 'truncate', to })), weight: 1 },
  { arbitrary: fc.integer({ min: 1, max: 40 }).map((by): Mutation => ({ m: 'extend', by })), weight: 1 },
  { arbitrary: fc.constant<Mutation>({ m: 'mult0' }), weight: 1 },
  { arbitrary: fc.constant<Mutation>({ m: 'multipoint' }), weight: 1 },
  { arbitrary: fc.integer({ min: 0, max: 4 }).map((lenPlus): Mutation => ({ m: 'auth', lenPlus })), weight: 1 },
  { arbitrary: fc.constant<Mutation>({ m: 'myDiscr0' }), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 0, maxLength: 40 }).map((bytes): Mutation => ({ m: 'random', bytes })), weight: 1 },
);

const peerPkt: fc.Arbitrary<PeerPkt> = fc.record({
  state: fc.constantFrom(BfdState.AdminDown, BfdState.Down, BfdState.Init, BfdState.Up),
  diag: fc.oneof(fc.constantFrom(0, 1, 3, 7), fc.integer({ min: 0, max: 31 })),
  poll: fc.boolean(),
  final: fc.boolean(),
  cpi: fc.boolean(),
  demand: fc.boolean(),
  detectMult: fc.oneof(fc.constantFrom(1, 3, 255), fc.integer({ min: 1, max: 255 })),
  // A few peers' discriminators so that the learnt one sometimes changes.
  myDiscr: fc.oneof(fc.constantFrom(7, 8, U32), fc.integer({ min: 1, max: U32 })),
  your: fc.oneof(
    { arbitrary: fc.constant<Your>('match'), weight: 6 },
    { arbitrary: fc.constant<Your>('zero'), weight: 3 },
    { arbitrary: fc.integer({ min: 1, max: U32 }).map((other): Your => ({ other })), weight: 1 },
  ),
  desiredMinTxUs: wireUs,
  requiredMinRxUs: wireUs,
  echoUs: wireUs,
  mut: mutation,
});

/** Time steps: tiny, ordinary, around the slow rate, and huge (past any deadline). */
const ms = fc.oneof(fc.constantFrom(0, 0.001, 1, 999, 1000, 3000), fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 1_000_000, max: 20_000_000 }));

type Ev =
  | { e: 'deadline' }
  | { e: 'later'; ms: number }
  | { e: 'late'; ms: number }
  | { e: 'rx'; p: PeerPkt }
  | { e: 'adminDown' }
  | { e: 'adminUp' }
  | { e: 'retime'; timers: BfdTimers };

const event: fc.Arbitrary<Ev> = fc.oneof(
  { arbitrary: fc.constant<Ev>({ e: 'deadline' }), weight: 5 },
  { arbitrary: ms.map((x): Ev => ({ e: 'later', ms: x })), weight: 2 },
  { arbitrary: ms.map((x): Ev => ({ e: 'late', ms: x })), weight: 1 },
  { arbitrary: peerPkt.map((p): Ev => ({ e: 'rx', p })), weight: 10 },
  { arbitrary: fc.constant<Ev>({ e: 'adminDown' }), weight: 1 },
  { arbitrary: fc.constant<Ev>({ e: 'adminUp' }), weight: 1 },
  { arbitrary: timers.map((tm): Ev => ({ e: 'retime', timers: tm })), weight: 1 },
);

// ---------- the wire, written from RFC 5880 §4.1 (not with encodeControl) ----------

function wireBytes(p: PeerPkt, localDiscr: number): Uint8Array {
  const m = p.mut;
  if (m.m === 'random') return m.bytes;
  const buf = Buffer.alloc(24 + (m.m === 'extend' ? m.by : 0) + (m.m === 'auth' ? 8 : 0));
  const version = m.m === 'version' ? m.v : 1;
  buf[0] = (version << 5) | p.diag;
  buf[1] = (p.state << 6) | (p.poll ? 0x20 : 0) | (p.final ? 0x10 : 0) | (p.cpi ? 0x08 : 0) | (m.m === 'auth' ? 0x04 : 0) | (p.demand ? 0x02 : 0) | (m.m === 'multipoint' ? 0x01 : 0);
  buf[2] = m.m === 'mult0' ? 0 : p.detectMult;
  buf[3] = m.m === 'length' ? m.len : m.m === 'auth' ? 24 + m.lenPlus : 24;
  buf.writeUInt32BE(m.m === 'myDiscr0' ? 0 : p.myDiscr, 4);
  buf.writeUInt32BE(p.your === 'match' ? localDiscr : p.your === 'zero' ? 0 : p.your.other, 8);
  buf.writeUInt32BE(p.desiredMinTxUs, 12);
  buf.writeUInt32BE(p.requiredMinRxUs, 16);
  buf.writeUInt32BE(p.echoUs, 20);
  return m.m === 'truncate' ? buf.subarray(0, m.to) : buf;
}

/**
 * RFC 5880 §6.8.6 reception checks, in its order, on raw bytes: the first that fails, or
 * 'no_session' when Your Discriminator names another session, or undefined (accepted). No
 * authentication is in use (keepalived has none), so a set A bit is a discard.
 */
function rfc6886(b: Uint8Array, localDiscr: number): BfdDropReason | undefined {
  if (b.length < 24) return 'length_short';
  if (b[0]! >> 5 !== 1) return 'version';
  const a = (b[1]! & 0x04) !== 0;
  if (b[3]! < (a ? 26 : 24)) return 'length_field';
  if (b[3]! > b.length) return 'length_exceeds';
  if (b[2] === 0) return 'detect_mult_zero';
  if ((b[1]! & 0x01) !== 0) return 'multipoint';
  const u32 = (at: number) => ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  if (u32(4) === 0) return 'my_discr_zero';
  const state = b[1]! >> 6;
  if (u32(8) === 0 && state !== BfdState.Down && state !== BfdState.AdminDown) return 'your_discr_zero';
  if (a) return 'auth_present';
  if (u32(8) !== 0 && u32(8) !== localDiscr) return 'no_session';
  return undefined;
}

// ---------- invariants ----------

const sends = (e: BfdEffect[]) => e.filter((x): x is Extract<BfdEffect, { type: 'send' }> => x.type === 'send').map((x) => x.pkt);
const changes = (e: BfdEffect[]) => e.filter((x): x is Extract<BfdEffect, { type: 'state' }> => x.type === 'state');
const deadlinesOf = (s: BfdSession): Array<[string, number]> => [['nextTxAtMs', s.nextTxAtMs], ['detectAtMs', s.detectAtMs]].filter((x): x is [string, number] => x[1] !== undefined);
/** §6.8.7: the transmit interval (before jitter), from the fields, not from txIntervalUs(). */
const intervalMs = (s: BfdSession) => Math.max(s.txBasisUs, s.remoteMinRxUs) / 1000;
const mayTx = (s: BfdSession) => s.remoteMinRxUs !== 0 && !(s.cfg.passive && s.remoteDiscr === 0);
/** Equal but for double rounding (deadlines are fractional ms at any `now`). */
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
/** The rounding of a deadline `at` (ms): a few ulps of it, so 1 µs intervals stay checkable at 2^29 ms. */
const slack = (at: number) => 8 * Number.EPSILON * Math.max(1, Math.abs(at));

/** RFC 5880 §6.8.6 state table for an accepted packet (bfd.SessionState not AdminDown). */
function table6886(local: BfdState, remote: BfdState): { to: BfdState; diag?: number } {
  if (remote === BfdState.AdminDown) return local === BfdState.Down ? { to: local } : { to: BfdState.Down, diag: 3 };
  if (local === BfdState.Down) return remote === BfdState.Down ? { to: BfdState.Init, diag: 0 } : remote === BfdState.Init ? { to: BfdState.Up, diag: 0 } : { to: local };
  if (local === BfdState.Init) return remote === BfdState.Init || remote === BfdState.Up ? { to: BfdState.Up, diag: 0 } : { to: local };
  return remote === BfdState.Down ? { to: BfdState.Down, diag: 3 } : { to: local };
}

class Fail extends Error {}
function must(ok: boolean, what: string, msg: string): void {
  if (!ok) throw new Fail(`${what}: ${msg}`);
}

/** What every session must satisfy at rest (after any step at `now`). */
function atRest(s: BfdSession, now: number, what: string): void {
  must([0, 1, 2, 3].includes(s.state), what, `state ${s.state}`);
  for (const [k, v] of deadlinesOf(s)) must(v >= now, what, `${k} ${v} is before now ${now}`);
  must(Number.isInteger(s.localDiscr) && s.localDiscr >= 1 && s.localDiscr <= U32, what, `bfd.LocalDiscr ${s.localDiscr} (§6.8.1: non-zero)`);
  // §6.8.3: bfd.DesiredMinTxInterval ≥ 1 s while not Up; min_tx once Up; min_rx always.
  const wantTx = s.state === BfdState.Up ? s.cfg.desiredMinTxUs : Math.max(s.cfg.idleTxUs, SLOW_TX_US);
  must(s.advTxUs === wantTx, what, `advertised DesiredMinTx ${s.advTxUs} in ${STATE[s.state]}, want ${wantTx} (§6.8.3)`);
  must(s.advRxUs === s.cfg.requiredMinRxUs, what, `advertised RequiredMinRx ${s.advRxUs} != min_rx ${s.cfg.requiredMinRxUs}`);
  if (s.state !== BfdState.Up) {
    // §6.8.3: the Poll rule ("the actual transmission interval MUST NOT change until the Poll
    // Sequence has terminated") holds only while Up; otherwise the values are in force at once,
    // so the interval in use is never below 1 s.
    must(s.txBasisUs === s.advTxUs && s.rxBasisUs === s.advRxUs, what, `in ${STATE[s.state]} the values in force (tx ${s.txBasisUs}, rx ${s.rxBasisUs}) differ from the advertised (tx ${s.advTxUs}, rx ${s.advRxUs}) (§6.8.3)`);
  } else {
    must(s.txBasisUs <= s.advTxUs, what, `Up: TX in force ${s.txBasisUs} above the advertised ${s.advTxUs} (§6.8.3: only an increase waits)`);
    must(s.rxBasisUs >= s.advRxUs, what, `Up: RX in force ${s.rxBasisUs} below the advertised ${s.advRxUs} (§6.8.3: only a decrease waits)`);
  }
  if (!s.polling) must(s.txBasisUs === s.advTxUs && s.rxBasisUs === s.advRxUs, what, `no Poll Sequence yet values in force (tx ${s.txBasisUs}, rx ${s.rxBasisUs}) differ from the advertised (tx ${s.advTxUs}, rx ${s.advRxUs})`);
  // §6.8.16 / §6.8.4: no Detection Time in AdminDown; one always runs in Init and Up.
  if (s.state === BfdState.AdminDown) must(s.detectAtMs === undefined, what, 'Detection Time armed in AdminDown');
  if (s.state === BfdState.Init || s.state === BfdState.Up) must(s.detectAtMs !== undefined, what, `no Detection Time in ${STATE[s.state]}`);
  if (s.state === BfdState.Init || s.state === BfdState.Up) must(s.remoteDiscr !== 0, what, `${STATE[s.state]} without bfd.RemoteDiscr`);
  // §6.8.7: a transmission is scheduled exactly when sending is allowed (outside AdminDown,
  // where received packets are discarded and the schedule is left as it was).
  if (s.state !== BfdState.AdminDown) must((s.nextTxAtMs !== undefined) === mayTx(s), what, `nextTxAtMs ${s.nextTxAtMs} while sending is ${mayTx(s) ? 'allowed' : 'forbidden'}`);
  // The packet a stopping daemon sends.
  const fw = farewell(s);
  must(fw.state === BfdState.AdminDown && fw.diag === 7 && !fw.poll && !fw.final, what, `farewell ${JSON.stringify(fw)}`);
  checkWire(fw, what);
}

/** Every packet encodes and decodes back to the same fields (§4.1), never with P and F (§6.8.7). */
function checkWire(p: BfdControlToSend, what: string): void {
  must(!(p.poll && p.final), what, `packet with both P and F: ${JSON.stringify(p)}`);
  const r = decodeControl(encodeControl(p));
  must(r.ok, what, `our packet does not decode: ${r.ok ? '' : r.detail} ${JSON.stringify(p)}`);
  if (!r.ok) return;
  const q = r.pkt;
  const same: Array<keyof BfdControlToSend> = ['diag', 'state', 'poll', 'final', 'detectMult', 'myDiscr', 'yourDiscr', 'desiredMinTxUs', 'requiredMinRxUs'];
  for (const k of same) must(q[k] === p[k], what, `${k} ${String(p[k])} came back as ${String(q[k])}`);
  must(q.version === 1 && !q.cpi && !q.auth && !q.demand && !q.multipoint && q.requiredMinEchoRxUs === 0, what, `flags/echo ${JSON.stringify(q)}`);
}

/** §6.8.7: the fields of a packet sent by `s` (after the step). */
function checkSent(s: BfdSession, p: BfdControlToSend, what: string): void {
  checkWire(p, what);
  must(p.myDiscr === s.localDiscr && p.myDiscr !== 0, what, `My Discriminator ${p.myDiscr}, bfd.LocalDiscr ${s.localDiscr}`);
  must(p.yourDiscr === s.remoteDiscr, what, `Your Discriminator ${p.yourDiscr}, bfd.RemoteDiscr ${s.remoteDiscr}`);
  must(p.state === s.state && p.diag === s.localDiag, what, `State/Diag ${p.state}/${p.diag}, session ${s.state}/${s.localDiag}`);
  must(p.detectMult === s.cfg.detectMult, what, `Detect Mult ${p.detectMult}, configured ${s.cfg.detectMult}`);
  must(p.desiredMinTxUs === s.advTxUs && p.requiredMinRxUs === s.advRxUs, what, `timers ${p.desiredMinTxUs}/${p.requiredMinRxUs}, bfd ${s.advTxUs}/${s.advRxUs}`);
  must(p.poll === (s.polling && !p.final), what, `P ${p.poll} with a Poll Sequence ${s.polling ? 'running' : 'not running'} (§6.5)`);
  must(!(s.cfg.passive && s.remoteDiscr === 0), what, 'passive sent before learning bfd.RemoteDiscr (§6.8.7)');
}

/**
 * RFC 5880 §6.8.3, while Up: an increased bfd.DesiredMinTxInterval is not used, nor a reduced
 * bfd.RequiredMinRxInterval, until the Poll Sequence ends (a Final arrives). So across a step
 * that ends in Up without a Final, the TX interval in force never grows and the RX never shrinks
 * (entering Up from the slow rate included).
 */
function checkInForce(before: BfdSession, after: BfdSession, finalSeen: boolean, what: string): void {
  if (after.state !== BfdState.Up || finalSeen) return;
  must(after.txBasisUs <= before.txBasisUs, what, `TX in force grew ${before.txBasisUs} → ${after.txBasisUs} µs while Up without a Final`);
  must(after.rxBasisUs >= before.rxBasisUs, what, `RX in force shrank ${before.rxBasisUs} → ${after.rxBasisUs} µs while Up without a Final`);
}

/** The state changes a step reported agree with its before/after. */
function checkChanges(before: BfdSession, r: Step, what: string): Extract<BfdEffect, { type: 'state' }> | undefined {
  const ch = changes(r.effects);
  must(ch.length <= 1, what, `${ch.length} state changes in one step`);
  const c = ch[0];
  if (!c) {
    must(r.session.state === before.state, what, `state ${before.state} → ${r.session.state} without a state effect`);
    return undefined;
  }
  must(c.from === before.state && c.to === r.session.state && c.from !== c.to, what, `effect ${c.from} → ${c.to}, session ${before.state} → ${r.session.state}`);
  must(c.diag === r.session.localDiag, what, `effect diag ${c.diag}, bfd.LocalDiag ${r.session.localDiag}`);
  // keepalived 2.2.7 takes a new bfd.LocalDiscr on Up → Down only (§6.3 allows it).
  if (!(c.from === BfdState.Up && c.to === BfdState.Down)) must(r.session.localDiscr === before.localDiscr, what, `bfd.LocalDiscr changed on ${STATE[c.from]} → ${STATE[c.to]}`);
  return c;
}

// ---------- the driver ----------

interface Tally {
  rx: number;
  accepted: number;
  changes: Record<string, number>;
}

function runSession(cfg: BfdSessionConfig, randXs: number[], events: Ev[], tally: Tally): void {
  const rand = cycle(randXs);
  let discrs = 0;
  const newDiscr = () => ((cfg.localDiscr + 0x9e3779b9 * ++discrs) >>> 0) || 1;
  let now = 1000;
  let s = createSession(cfg, now, rand);
  atRest(s, now, 'createSession');
  must(cfg.passive ? s.nextTxAtMs === undefined : s.nextTxAtMs === now, 'createSession', `first transmission at ${s.nextTxAtMs} (passive ${cfg.passive})`);

  const doTick = (why: string): void => {
    const before = s;
    const r = tick(before, now, rand, newDiscr);
    const what = `tick (${why}) at ${now} in ${STATE[before.state]}`;
    s = r.session;
    const expired = before.detectAtMs !== undefined && before.detectAtMs <= now;
    const c = checkChanges(before, r, what);
    if (c) {
      tally.changes[`${STATE[c.from]}>${STATE[c.to]} (expiry)`] = (tally.changes[`${STATE[c.from]}>${STATE[c.to]} (expiry)`] ?? 0) + 1;
      // §6.8.4: only an expired Detection Time, only from Init or Up, to Down with Diag 1.
      must(expired && (c.from === BfdState.Init || c.from === BfdState.Up) && c.to === BfdState.Down && c.diag === 1, what, `${STATE[c.from]} → ${STATE[c.to]} diag ${c.diag} (expired ${expired})`);
    } else must(!expired || (before.state !== BfdState.Init && before.state !== BfdState.Up), what, 'Detection Time expired in Init/Up without going Down (§6.8.4)');
    // §6.8.1: bfd.RemoteDiscr is reset when the Detection Time expires.
    if (expired) must(s.remoteDiscr === 0 && s.detectAtMs === undefined, what, `after expiry bfd.RemoteDiscr ${s.remoteDiscr}, detectAtMs ${s.detectAtMs}`);
    atRest(s, now, what);
    checkInForce(before, s, false, what);
    for (const [k, v] of deadlinesOf(s)) must(v > now, what, `${k} ${v} still due after the tick`);
    const out = sends(r.effects);
    must(out.length <= 1, what, `${out.length} packets from one tick`);
    const p = out[0];
    if (p) {
      checkSent(s, p, what);
      must(!p.final, what, 'a periodic packet with F');
      must(s.remoteMinRxUs !== 0, what, 'periodic packet while bfd.RemoteMinRxInterval is 0 (§6.8.7)');
      // §6.8.7: next one after 75–100% of the interval (90% at most with Detect Mult 1);
      // §6.8.3: while not Up the interval is at least 1 s.
      const i = intervalMs(s);
      const gap = (s.nextTxAtMs as number) - now;
      const hi = s.cfg.detectMult === 1 ? 0.9 : 1;
      must(gap >= 0.75 * i - slack(now + i) && gap <= hi * i + slack(now + i), what, `next packet after ${gap} ms, interval ${i} ms, Detect Mult ${s.cfg.detectMult}`);
      if (s.state !== BfdState.Up) must(i >= 1000, what, `transmit interval ${i} ms while ${STATE[s.state]} (§6.8.3: ≥ 1 s)`);
    } else must(before.nextTxAtMs === undefined || before.nextTxAtMs > now || !mayTx(s), what, 'a transmission was due and allowed but nothing was sent');
  };

  /** Fire every deadline up to `target` at its time, as the runtime's timers do. */
  const advanceTo = (target: number): void => {
    for (let d = nextDeadline(s), n = 0; d !== undefined && d <= target && n < 300; d = nextDeadline(s), n++) {
      now = Math.max(now, d);
      doTick('on time');
    }
    now = target;
    // Past 300 deadlines in one advance (a huge step at a fast rate) the rest is late.
    const d = nextDeadline(s);
    if (d !== undefined && d <= now) doTick('late');
  };

  for (const ev of events) {
    if (ev.e === 'deadline') {
      const d = nextDeadline(s);
      if (d === undefined) continue;
      now = Math.max(now, d);
      doTick('deadline');
    } else if (ev.e === 'later') {
      advanceTo(now + ev.ms);
    } else if (ev.e === 'late') {
      now += ev.ms; // the timer fires late: everything overdue is handled by one tick
      doTick('late');
    } else if (ev.e === 'adminDown' || ev.e === 'adminUp') {
      const before = s;
      const r = ev.e === 'adminDown' ? adminDown(before, now) : adminUp(before, now);
      const what = `${ev.e} at ${now} in ${STATE[before.state]}`;
      s = r.session;
      const c = checkChanges(before, r, what);
      // §6.8.16: any state → AdminDown with Diag 7; back to Down with Diag 0.
      if (ev.e === 'adminDown') must(s.state === BfdState.AdminDown && s.localDiag === 7, what, `state ${STATE[s.state]} diag ${s.localDiag}`);
      else must(s.state === (before.state === BfdState.AdminDown ? BfdState.Down : before.state), what, `state ${STATE[s.state]}`);
      if (c && ev.e === 'adminUp') must(c.diag === 0, what, `diag ${c.diag}`);
      must(sends(r.effects).length === 0, what, 'admin change sent a packet directly');
      if (c) tally.changes[`${STATE[c.from]}>${STATE[c.to]} (${ev.e})`] = (tally.changes[`${STATE[c.from]}>${STATE[c.to]} (${ev.e})`] ?? 0) + 1;
      atRest(s, now, what);
      checkInForce(before, s, false, what);
    } else if (ev.e === 'retime') {
      const before = s;
      const r = retime(before, ev.timers);
      const what = `retime ${JSON.stringify(ev.timers)} at ${now} in ${STATE[before.state]}`;
      s = r.session;
      must(r.effects.length === 0, what, `effects ${JSON.stringify(r.effects)}`);
      must(s.state === before.state && s.localDiscr === before.localDiscr && s.remoteDiscr === before.remoteDiscr, what, 'state or discriminators changed');
      atRest(s, now, what);
      checkInForce(before, s, false, what);
    } else {
      const bytes = wireBytes(ev.p, s.localDiscr);
      const want = rfc6886(bytes, s.localDiscr);
      const dec = decodeControl(bytes);
      const what = `packet ${Buffer.from(bytes).toString('hex')} at ${now} in ${STATE[s.state]}`;
      tally.rx++;
      // §6.8.6: the decoder and the Your Discriminator lookup accept exactly what the RFC does,
      // for the RFC's reason; a discarded packet reaches no session, so nothing changes.
      const got = !dec.ok ? dec.reason : dec.pkt.yourDiscr !== 0 && dec.pkt.yourDiscr !== s.localDiscr ? 'no_session' : undefined;
      must(got === want, what, `reception checks say ${got ?? 'accept'}, RFC 5880 §6.8.6 says ${want ?? 'accept'}`);
      if (!dec.ok || got !== undefined) continue;
      tally.accepted++;
      const pkt: BfdControl = dec.pkt;
      const b = Buffer.from(bytes);
      must(pkt.myDiscr === b.readUInt32BE(4) && pkt.desiredMinTxUs === b.readUInt32BE(12) && pkt.requiredMinRxUs === b.readUInt32BE(16) && pkt.detectMult === b[2] && pkt.state === b[1]! >> 6 && pkt.poll === ((b[1]! & 0x20) !== 0) && pkt.final === ((b[1]! & 0x10) !== 0), what, `decoded fields ${JSON.stringify(pkt)}`);
      const before = s;
      const r = receive(before, pkt, now, rand, newDiscr);
      s = r.session;
      const c = checkChanges(before, r, what);
      // §6.8.6: bfd.RemoteDiscr, RemoteState, RemoteMinRxInterval learnt from every accepted packet.
      must(s.remoteDiscr === pkt.myDiscr && s.remoteState === pkt.state && s.remoteMinRxUs === pkt.requiredMinRxUs, what, 'remote fields not learnt');
      if (before.state === BfdState.AdminDown) {
        // §6.8.6: "If bfd.SessionState is AdminDown: Discard the packet".
        must(r.effects.length === 0 && s.state === BfdState.AdminDown, what, `AdminDown acted: ${JSON.stringify(r.effects)}`);
        atRest(s, now, what);
        continue;
      }
      const row = table6886(before.state, pkt.state);
      must(s.state === row.to, what, `${STATE[before.state]} + remote ${STATE[pkt.state]} → ${STATE[s.state]}, §6.8.6 says ${STATE[row.to]}`);
      if (c) {
        must(c.diag === row.diag, what, `diag ${c.diag}, §6.8.6 says ${row.diag}`);
        tally.changes[`${STATE[c.from]}>${STATE[c.to]} (rx ${STATE[pkt.state]})`] = (tally.changes[`${STATE[c.from]}>${STATE[c.to]} (rx ${STATE[pkt.state]})`] ?? 0) + 1;
      }
      // §6.8.6: a Final ends our Poll Sequence; the new values are then in force.
      if (pkt.final && before.polling && !c) must(!s.polling && s.txBasisUs === s.advTxUs && s.rxBasisUs === s.advRxUs, what, 'Final did not end the Poll Sequence');
      if (!pkt.final && s.polling !== before.polling) must(c !== undefined, what, 'Poll Sequence changed without a Final or a state change');
      // §6.8.4: Detection Time = remote Detect Mult × max(bfd.RequiredMinRxInterval in force, remote Desired Min TX).
      const dt = pkt.detectMult * Math.max(s.rxBasisUs, pkt.desiredMinTxUs);
      must(s.detectAtMs !== undefined && close(s.detectAtMs, now + dt / 1000), what, `Detection Time deadline ${s.detectAtMs}, want ${now} + ${dt} µs`);
      // §6.8.6/§6.8.7: a Poll is answered at once by one packet with F (and not P); nothing else is sent here.
      const out = sends(r.effects);
      must(out.length === (pkt.poll ? 1 : 0), what, `${out.length} packets sent for a packet with P=${pkt.poll}`);
      for (const p of out) {
        must(p.final && !p.poll, what, `reply P=${p.poll} F=${p.final}`);
        checkSent(s, p, what);
      }
      // A state change goes out at once; §6.8.3: a reduced interval is honoured at once.
      if (c && mayTx(s)) must(s.nextTxAtMs === now, what, `state change sent at ${s.nextTxAtMs}, not now`);
      if (mayTx(s)) must((s.nextTxAtMs as number) <= now + intervalMs(s) + slack(now + intervalMs(s)), what, `next packet at ${s.nextTxAtMs}, beyond one interval (${intervalMs(s)} ms) from now`);
      atRest(s, now, what);
      checkInForce(before, s, pkt.final && before.polling, what);
    }
  }
}

// ---------- two sessions on a lossless link ----------

type PairEv = { e: 'advance'; ms: number } | { e: 'retime'; who: 0 | 1; timers: BfdTimers };

/** Keep pair runs short: timers 10 ms..5 s. */
const pairTimerUs = fc.oneof(fc.constantFrom(10_000, 50_000, 1_000_000), fc.integer({ min: 10_000, max: 5_000_000 }));
const pairTimers: fc.Arbitrary<BfdTimers> = fc.record({
  desiredMinTxUs: pairTimerUs,
  requiredMinRxUs: pairTimerUs,
  idleTxUs: pairTimerUs,
  detectMult: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 1, max: 255 })),
});
const pairEv: fc.Arbitrary<PairEv> = fc.oneof(
  { arbitrary: fc.integer({ min: 1, max: 3000 }).map((x): PairEv => ({ e: 'advance', ms: x })), weight: 3 },
  { arbitrary: fc.tuple(fc.constantFrom(0 as const, 1 as const), pairTimers).map(([who, tm]): PairEv => ({ e: 'retime', who, timers: tm })), weight: 2 },
);

interface PairTally {
  packets: number;
  finals: number;
  retimesUp: number;
}

function runPair(ta: BfdTimers, tb: BfdTimers, passive: 0 | 1 | 2, randXs: number[], events: PairEv[], tally: PairTally): void {
  const rand = cycle(randXs);
  const wire = (p: BfdControlToSend): BfdControl => {
    const r = decodeControl(encodeControl(p));
    if (!r.ok) throw new Fail(`undecodable ${JSON.stringify(p)}`);
    return r.pkt;
  };
  let now = 0;
  const ss: [BfdSession, BfdSession] = [
    createSession({ ...ta, localDiscr: 1, passive: passive === 0 }, 0, rand),
    createSession({ ...tb, localDiscr: 2, passive: passive === 1 }, 0, rand),
  ];
  /** Deliver p from side `from` to the other; a Poll's Final comes straight back. */
  const deliver = (from: 0 | 1, p: BfdControlToSend): void => {
    const to = (1 - from) as 0 | 1;
    const r = receive(ss[to], wire(p), now, rand);
    tally.packets++;
    if (p.final && ss[to].polling && !r.session.polling) tally.finals++;
    ss[to] = r.session;
    for (const c of changes(r.effects)) if (c.to !== BfdState.Up && c.to !== BfdState.Init) throw new Fail(`side ${to} went ${STATE[c.to]} at ${now} on a packet ${JSON.stringify(p)}`);
    for (const f of sends(r.effects)) deliver(to, f);
  };
  const runUntil = (until: number): void => {
    for (let n = 0; n < 200_000; n++) {
      const da = nextDeadline(ss[0]) ?? Infinity;
      const db = nextDeadline(ss[1]) ?? Infinity;
      const at = Math.min(da, db);
      if (at > until) break;
      now = Math.max(now, at);
      const who = (da <= db ? 0 : 1) as 0 | 1;
      const r = tick(ss[who], now, rand);
      ss[who] = r.session;
      const down = changes(r.effects).find((c) => c.to === BfdState.Down);
      if (down) throw new Fail(`side ${who} timed out at ${now} ms (${STATE[down.from]} → Down) on a lossless link: ${JSON.stringify({ a: ss[0], b: ss[1] })}`);
      for (const p of sends(r.effects)) deliver(who, p);
    }
    now = until;
  };
  // §6.2: the three-way handshake completes at once on a zero-delay link (both send at start
  // or the active one does and the passive answers).
  runUntil(0);
  if (ss[0].state !== BfdState.Up || ss[1].state !== BfdState.Up) throw new Fail(`not Up after the handshake: ${STATE[ss[0].state]}/${STATE[ss[1].state]}`);
  for (const ev of events) {
    if (ev.e === 'advance') runUntil(now + ev.ms);
    else {
      ss[ev.who] = retime(ss[ev.who], ev.timers).session;
      tally.retimesUp++;
    }
    if (ss[0].state !== BfdState.Up || ss[1].state !== BfdState.Up) throw new Fail(`not Up at ${now}: ${STATE[ss[0].state]}/${STATE[ss[1].state]}`);
  }
}

// ---------- the properties ----------

const SEED = 5880;

t.test('BFD session invariants (RFC 5880 §6.8.1–§6.8.7, §6.8.16) for every configuration and event sequence (fast-check)', async (t) => {
  const tally: Tally = { rx: 0, accepted: 0, changes: {} };
  const numRuns = 2000;
  const r = fc.check(
    fc.property(config, rands, fc.array(event, { maxLength: 60, size: 'max' }), (cfg, xs, evs) => runSession(cfg, xs, evs, tally)),
    { numRuns, seed: SEED },
  );
  t.notOk(r.failed, r.failed ? `counterexample: ${JSON.stringify(r.counterexample, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}\n${String(r.errorInstance)}` : `${numRuns} random configurations × up to 60 events`);
  // The run reached what it claims to test (not only rejected packets and idle sessions).
  t.ok(tally.accepted > 1000 && tally.rx - tally.accepted > 500, `packets: ${tally.rx} received, ${tally.accepted} accepted`);
  for (const k of ['Down>Init (rx Down)', 'Down>Up (rx Init)', 'Init>Up (rx Init)', 'Init>Up (rx Up)', 'Up>Down (rx Down)', 'Up>Down (rx AdminDown)', 'Init>Down (rx AdminDown)', 'Up>Down (expiry)', 'Init>Down (expiry)', 'Up>AdminDown (adminDown)', 'AdminDown>Down (adminUp)']) {
    t.ok((tally.changes[k] ?? 0) > 0, `transition ${k} exercised (${tally.changes[k] ?? 0})`);
  }
});

t.test('§6.2/§6.5/§6.8.3: two sessions on a lossless link come Up and stay Up through any retimes (fast-check)', async (t) => {
  const numRuns = 1000;
  const tally: PairTally = { packets: 0, finals: 0, retimesUp: 0 };
  const r = fc.check(
    fc.property(pairTimers, pairTimers, fc.constantFrom(0 as const, 1 as const, 2 as const), rands, fc.array(pairEv, { maxLength: 12, size: 'max' }), (ta, tb, passive, xs, evs) => runPair(ta, tb, passive, xs, evs, tally)),
    { numRuns, seed: SEED },
  );
  t.notOk(r.failed, r.failed ? `counterexample: ${JSON.stringify(r.counterexample)}\n${String(r.errorInstance)}` : `${numRuns} random timer pairs × up to 12 advances/retimes`);
  t.ok(tally.retimesUp > 500 && tally.finals > 500 && tally.packets > 20_000, `exercised: ${tally.packets} packets delivered, ${tally.retimesUp} retimes while Up, ${tally.finals} Poll Sequences ended by a Final`);
});
