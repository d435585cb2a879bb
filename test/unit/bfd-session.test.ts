import t from 'tap';
import { BfdState, decodeControl, encodeControl } from '../../src/bfd/packet';
import type { BfdControl, BfdControlToSend } from '../../src/bfd/packet';
import { adminDown, createSession, detectionTimeUs, jitteredIntervalMs, nextDeadline, receive, retime, tick } from '../../src/bfd/session';
import type { BfdEffect, BfdSession, BfdSessionConfig } from '../../src/bfd/session';

const cfgA: BfdSessionConfig = { localDiscr: 1, desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, idleTxUs: 1_000_000, detectMult: 3, passive: false };
const cfgB: BfdSessionConfig = { ...cfgA, localDiscr: 2 };
const half = () => 0.5;
const one = () => 0.999999;
const zero = () => 0;

/** Wire round trip, so the pair test exercises the codec too. */
function wire(p: BfdControlToSend): BfdControl {
  const r = decodeControl(encodeControl(p));
  if (!r.ok) throw new Error(r.detail);
  return r.pkt;
}
const sends = (e: BfdEffect[]) => e.filter((x): x is Extract<BfdEffect, { type: 'send' }> => x.type === 'send').map((x) => x.pkt);
const states = (e: BfdEffect[]) => e.filter((x): x is Extract<BfdEffect, { type: 'state' }> => x.type === 'state').map((x) => x.to);

/** Two sessions joined by a lossless zero-delay link, run in virtual time until `untilMs`. */
function runPair(a: BfdSession, b: BfdSession, fromMs: number, untilMs: number, cut?: (atMs: number) => boolean) {
  const log: Array<{ at: number; who: 'a' | 'b'; to: BfdState }> = [];
  const sent: Array<{ at: number; who: 'a' | 'b'; pkt: BfdControlToSend }> = [];
  let now = fromMs;
  for (let guard = 0; guard < 100_000; guard++) {
    const da = nextDeadline(a) ?? Infinity;
    const db = nextDeadline(b) ?? Infinity;
    now = Math.min(da, db);
    if (now > untilMs) break;
    const aTurn = da <= db;
    const st = aTurn ? tick(a, now, half) : tick(b, now, half);
    if (aTurn) a = st.session;
    else b = st.session;
    for (const s of states(st.effects)) log.push({ at: now, who: aTurn ? 'a' : 'b', to: s });
    for (const p of sends(st.effects)) {
      sent.push({ at: now, who: aTurn ? 'a' : 'b', pkt: p });
      if (cut?.(now)) continue;
      const r = aTurn ? receive(b, wire(p), now, half) : receive(a, wire(p), now, half);
      if (aTurn) b = r.session;
      else a = r.session;
      for (const s of states(r.effects)) log.push({ at: now, who: aTurn ? 'b' : 'a', to: s });
      for (const f of sends(r.effects)) {
        // Final replies go straight back
        const back = aTurn ? receive(a, wire(f), now, half) : receive(b, wire(f), now, half);
        if (aTurn) a = back.session;
        else b = back.session;
      }
    }
  }
  return { a, b, log, sent };
}

const pkt = (p: Partial<BfdControl>): BfdControl => ({
  version: 1, diag: 0, state: BfdState.Down, poll: false, final: false, cpi: false, auth: false, demand: false, multipoint: false,
  detectMult: 3, myDiscr: 99, yourDiscr: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 50_000, requiredMinEchoRxUs: 0, ...p,
});

t.test('§6.8.1/§6.8.3: a new session is Down, advertises the slow 1 s TX and sends at once', async (t) => {
  const s = createSession(cfgA, 100, half);
  t.equal(s.state, BfdState.Down);
  t.equal(s.remoteDiscr, 0);
  t.equal(s.remoteMinRxUs, 1, 'bfd.RemoteMinRxInterval initialised to 1');
  t.equal(nextDeadline(s), 100);
  const st = tick(s, 100, half);
  const [p] = sends(st.effects);
  t.match(p, { state: BfdState.Down, desiredMinTxUs: 1_000_000, requiredMinRxUs: 50_000, yourDiscr: 0, myDiscr: 1, detectMult: 3 });
});

t.test('§6.2 three-way handshake: Down → Init → Up on both sides, then the fast rate with a Poll Sequence', async (t) => {
  const { a, b, log } = runPair(createSession(cfgA, 0, half), createSession(cfgB, 0, half), 0, 3000);
  t.equal(a.state, BfdState.Up);
  t.equal(b.state, BfdState.Up);
  t.same(log.filter((x) => x.who === 'b').map((x) => x.to), [BfdState.Init, BfdState.Up], 'b sees a Down: Init, then a Init: Up');
  t.same(log.filter((x) => x.who === 'a').map((x) => x.to), [BfdState.Up], 'a (Down) sees b Init: Up directly');
  t.equal(a.advTxUs, 50_000, '§6.8.3: DesiredMinTx back to min_tx once Up');
  t.equal(a.polling, false, '§6.5: Poll Sequence completed by the Final');
  t.equal(a.txBasisUs, 50_000);
  t.equal(detectionTimeUs(a), 150_000, '§6.8.4: 3 × max(50 ms, 50 ms)');
});

t.test('§6.8.6 state table rows', async (t) => {
  const rows: Array<[string, BfdState, BfdState, BfdState, number]> = [
    ['Down + remote Down → Init', BfdState.Down, BfdState.Down, BfdState.Init, 0],
    ['Down + remote Init → Up', BfdState.Down, BfdState.Init, BfdState.Up, 0],
    ['Down + remote Up → stays Down', BfdState.Down, BfdState.Up, BfdState.Down, 0],
    ['Init + remote Init → Up', BfdState.Init, BfdState.Init, BfdState.Up, 0],
    ['Init + remote Up → Up', BfdState.Init, BfdState.Up, BfdState.Up, 0],
    ['Init + remote Down → stays Init', BfdState.Init, BfdState.Down, BfdState.Init, 0],
    ['Up + remote Down → Down, Diag 3', BfdState.Up, BfdState.Down, BfdState.Down, 3],
    ['Up + remote AdminDown → Down, Diag 3', BfdState.Up, BfdState.AdminDown, BfdState.Down, 3],
    ['Init + remote AdminDown → Down, Diag 3', BfdState.Init, BfdState.AdminDown, BfdState.Down, 3],
    ['Up + remote Up → stays Up', BfdState.Up, BfdState.Up, BfdState.Up, 0],
  ];
  for (const [name, local, remote, want, diag] of rows) {
    const s: BfdSession = { ...createSession(cfgA, 0, half), state: local, remoteDiscr: 99 };
    const r = receive(s, pkt({ state: remote, yourDiscr: 1 }), 10, half);
    t.equal(r.session.state, want, name);
    if (local !== want) t.equal(r.session.localDiag, diag, `${name}: diag`);
    else t.same(states(r.effects), [], `${name}: no state effect`);
  }
});

t.test('§6.8.6: in AdminDown a received packet changes no state', async (t) => {
  const s = adminDown(createSession(cfgA, 0, half), 0).session;
  t.equal(s.state, BfdState.AdminDown);
  t.equal(s.localDiag, 7, '§6.8.16: Diag 7');
  const r = receive(s, pkt({ state: BfdState.Init }), 5, half);
  t.equal(r.session.state, BfdState.AdminDown);
});

t.test('§6.8.4: Detection Time expiry in Up → Down with Diag 1 exactly at the deadline', async (t) => {
  const { a } = runPair(createSession(cfgA, 0, half), createSession(cfgB, 0, half), 0, 3000);
  const last = a.detectAtMs!;
  t.ok(last > 0);
  const before = tick(a, last - 0.001, half);
  t.equal(before.session.state, BfdState.Up, '1 µs before: still Up');
  const at = tick(before.session, last, half);
  t.equal(at.session.state, BfdState.Down);
  t.equal(at.session.localDiag, 1);
  t.equal(at.session.remoteDiscr, 0, '§6.8.1: bfd.RemoteDiscr reset');
  t.equal(at.session.advTxUs, 1_000_000, '§6.8.3: back to the slow rate');
});

t.test('§6.8.4: Detection Time uses the remote multiplier and the larger of our RX and its TX', async (t) => {
  const s = createSession({ ...cfgA, requiredMinRxUs: 20_000 }, 0, half);
  const r = receive(s, pkt({ detectMult: 5, desiredMinTxUs: 300_000 }), 0, half);
  t.equal(detectionTimeUs(r.session), 1_500_000);
  t.equal(r.session.detectAtMs, 1500);
  const r2 = receive(s, pkt({ detectMult: 2, desiredMinTxUs: 10_000 }), 0, half);
  t.equal(detectionTimeUs(r2.session), 40_000);
});

t.test('§6.8.7: TX interval is max(local DesiredMinTx, remote RequiredMinRx) with 75–100% jitter', async (t) => {
  const s: BfdSession = { ...createSession(cfgA, 0, half), txBasisUs: 50_000, remoteMinRxUs: 200_000 };
  t.equal(jitteredIntervalMs(s, zero), 150, '75% of 200 ms');
  t.ok(Math.abs(jitteredIntervalMs(s, one) - 200) < 0.001, 'up to 100%');
  const m1: BfdSession = { ...s, cfg: { ...cfgA, detectMult: 1 } };
  t.ok(Math.abs(jitteredIntervalMs(m1, one) - 180) < 0.001, 'Detect Mult 1: at most 90%');
  t.equal(jitteredIntervalMs(m1, zero), 150);
});

t.test('§6.8.7: a remote RequiredMinRx of 0 stops our transmissions', async (t) => {
  const r = receive(createSession(cfgA, 0, half), pkt({ requiredMinRxUs: 0 }), 1, half);
  t.equal(r.session.nextTxAtMs, undefined);
  t.same(sends(tick(r.session, 2000, half).effects), [], "nothing before the Detection Time (3 s) expires");
});

t.test('§6.1/§6.8.7 passive: silent until the remote discriminator is known, then answers', async (t) => {
  const s = createSession({ ...cfgA, passive: true }, 0, half);
  t.equal(nextDeadline(s), undefined);
  t.same(tick(s, 10_000, half).effects, []);
  const r = receive(s, pkt({ state: BfdState.Down }), 20, half);
  t.equal(r.session.state, BfdState.Init);
  const st = tick(r.session, 20, half);
  t.match(sends(st.effects)[0], { state: BfdState.Init, yourDiscr: 99 });
});

t.test('§6.5/§6.8.7: a Poll is answered at once with a Final, periodic packets carry P while polling', async (t) => {
  const s: BfdSession = { ...createSession(cfgA, 0, half), state: BfdState.Up, remoteDiscr: 99 };
  const r = receive(s, pkt({ state: BfdState.Up, yourDiscr: 1, poll: true }), 10, half);
  const [f] = sends(r.effects);
  t.match(f, { final: true, poll: false, state: BfdState.Up });
  const p: BfdSession = { ...s, polling: true, nextTxAtMs: 5 };
  t.equal(sends(tick(p, 5, half).effects)[0]?.poll, true);
});

t.test('§6.8.3: while Up an increased TX interval waits for the Final; a decrease applies at once', async (t) => {
  const s: BfdSession = { ...createSession(cfgA, 0, half) };
  const up = receive(s, pkt({ state: BfdState.Init, yourDiscr: 1 }), 0, half).session;
  t.equal(up.state, BfdState.Up);
  t.equal(up.polling, true);
  t.equal(up.txBasisUs, 50_000, 'decrease from 1 s to 50 ms used at once');
  const fin = receive(up, pkt({ state: BfdState.Up, yourDiscr: 1, final: true }), 1, half).session;
  t.equal(fin.polling, false);
});

t.test('virtual time: link cut → Down within Detection Time of the last packet; peer recovers via slow rate', async (t) => {
  let cutAt = 2000;
  const { a, b, log } = runPair(createSession(cfgA, 0, half), createSession(cfgB, 0, half), 0, 2500, (at) => at >= cutAt);
  t.equal(a.state, BfdState.Down);
  t.equal(b.state, BfdState.Down);
  const downA = log.find((x) => x.who === 'a' && x.to === BfdState.Down)!;
  t.ok(downA.at > cutAt && downA.at <= cutAt + 150, `a Down at ${downA.at} ms, cut at ${cutAt} (detect 150 ms)`);
  cutAt = Infinity;
  const again = runPair(a, b, 2500, 6000);
  t.equal(again.a.state, BfdState.Up, 'sessions come back Up once the link heals');
});

const timersA = { desiredMinTxUs: cfgA.desiredMinTxUs, requiredMinRxUs: cfgA.requiredMinRxUs, idleTxUs: cfgA.idleTxUs, detectMult: cfgA.detectMult };
const upPair = () => runPair(createSession(cfgA, 0, half), createSession(cfgB, 0, half), 0, 3000);

t.test('§6.3/§6.8.1 as keepalived 2.2.7: an Up session that goes Down takes a new local discriminator; other falls keep it', async (t) => {
  const fresh = () => 777;
  const { a } = upPair();
  t.equal(a.state, BfdState.Up);
  t.equal(a.localDiscr, 1, 'Up with the discriminator it was created with');
  // Detection Time expiry (Up → Down, Diag 1).
  const exp = tick(a, a.detectAtMs!, half, fresh);
  t.equal(exp.session.state, BfdState.Down);
  t.equal(exp.session.localDiscr, 777, 'expiry: new discriminator');
  t.equal(sends(exp.effects)[0]?.myDiscr, 777, 'the Down packet already carries it');
  t.equal(exp.session.cfg.localDiscr, 1, 'the configured first one is unchanged');
  // The remote signals Down / AdminDown (Up → Down, Diag 3).
  for (const remote of [BfdState.Down, BfdState.AdminDown]) {
    const r = receive(a, pkt({ state: remote, myDiscr: 2, yourDiscr: 1 }), a.detectAtMs! - 1, half, fresh);
    t.equal(r.session.state, BfdState.Down);
    t.equal(r.session.localDiscr, 777, `remote ${remote === BfdState.Down ? 'Down' : 'AdminDown'}: new discriminator`);
  }
  // Not from Up: kept.
  const init: BfdSession = { ...createSession(cfgA, 0, half), state: BfdState.Init, remoteDiscr: 99, detectAtMs: 500 };
  t.equal(tick(init, 500, half, fresh).session.localDiscr, 1, 'Init → Down by expiry: same discriminator');
  t.equal(receive(init, pkt({ state: BfdState.AdminDown, yourDiscr: 1 }), 10, half, fresh).session.localDiscr, 1, 'Init → Down by remote AdminDown: same');
  t.equal(adminDown(a, 10).session.localDiscr, 1, 'Up → AdminDown (§6.8.16): same');
  // The pair recovers: the remote learns the new one from our next packet (§6.8.6: bfd.RemoteDiscr = My Discriminator).
  const { a: a0, b: b0 } = upPair();
  const again = runPair(a0, b0, 3000, 9000, (at) => at < 3500);
  t.ok(again.log.some((x) => x.who === 'a' && x.to === BfdState.Down), 'a went Down during the cut');
  t.equal(again.a.state, BfdState.Up, 'Up again after the cut');
  t.not(again.a.localDiscr, 1, 'a: a new discriminator after its Down');
  t.equal(again.b.remoteDiscr, again.a.localDiscr, 'b echoes the new one');
});

t.test('§6.8.3 retime while Up (SIGHUP min_tx 50 → 100 ms): stays Up, Poll Sequence, the longer interval only after the Final', async (t) => {
  const { a, b } = upPair();
  t.equal(a.polling, false);
  const r = retime(a, { ...timersA, desiredMinTxUs: 100_000 });
  t.same(r.effects, [], 'nothing sent at once: the next periodic packet carries P');
  const s = r.session;
  t.equal(s.state, BfdState.Up);
  t.equal(s.localDiscr, a.localDiscr, 'same discriminator');
  t.equal(s.polling, true, '§6.5: Poll Sequence started');
  t.equal(s.advTxUs, 100_000, 'the new Desired Min TX is advertised');
  t.equal(s.txBasisUs, 50_000, '§6.8.3: an increase is not used until the Final');
  const next = tick(s, s.nextTxAtMs!, half);
  t.match(sends(next.effects)[0], { poll: true, final: false, desiredMinTxUs: 100_000, state: BfdState.Up });
  const run = runPair(s, b, 3000, 8000);
  t.same(run.log, [], 'no state change on either side');
  t.equal(run.a.polling, false, 'the Final ended the Poll Sequence');
  t.equal(run.a.txBasisUs, 100_000, 'the new interval is in force');
  t.equal(detectionTimeUs(run.b), 300_000, "the peer's Detection Time: 3 × 100 ms");
  const aSends = run.sent.filter((x) => x.who === 'a' && !x.pkt.final && x.at > 4000);
  const gaps = aSends.slice(1).map((x, i) => x.at - aSends[i]!.at);
  t.ok(gaps.length > 10 && gaps.every((g) => g >= 75 - 1e-9 && g <= 100 + 1e-9), `a sends every 75–100 ms now (${Math.min(...gaps)}–${Math.max(...gaps)})`);
  const before = runPair(a, b, 3000, 4000).sent.filter((x) => x.who === 'a' && !x.pkt.final);
  const oldGaps = before.slice(1).map((x, i) => x.at - before[i]!.at);
  t.ok(oldGaps.every((g) => g <= 50 + 1e-9), 'without the reload: every ≤ 50 ms');
});

t.test('§6.8.3 retime while Up: a decrease of TX and an increase of RX apply at once; a decrease of RX waits for the Final', async (t) => {
  const { a } = upPair();
  const faster = retime(a, { ...timersA, desiredMinTxUs: 20_000 }).session;
  t.equal(faster.txBasisUs, 20_000, 'TX 50 → 20 ms: used at once');
  t.equal(faster.polling, true);
  const slowerRx = retime(a, { ...timersA, requiredMinRxUs: 200_000 }).session;
  t.equal(slowerRx.rxBasisUs, 200_000, 'RX 50 → 200 ms: in the Detection Time at once');
  t.equal(detectionTimeUs(slowerRx), 600_000);
  const fasterRx = retime(a, { ...timersA, requiredMinRxUs: 20_000 }).session;
  t.equal(fasterRx.rxBasisUs, 50_000, 'RX 50 → 20 ms: the old value until the Final');
  t.equal(detectionTimeUs(fasterRx), 150_000);
  const fin = receive(fasterRx, pkt({ state: BfdState.Up, myDiscr: 2, yourDiscr: 1, final: true, desiredMinTxUs: 10_000, detectMult: 3 }), 3001, half).session;
  t.equal(fin.rxBasisUs, 20_000, 'after the Final');
  t.equal(fin.polling, false);
  t.equal(detectionTimeUs(fin), 60_000, '3 × max(20 ms, remote 10 ms)');
});

t.test('retime outside Up, multiplier and idle_tx: applied at once; a Poll only for min_tx/min_rx (keepalived 2.2.7)', async (t) => {
  const down = createSession(cfgA, 0, half);
  const r = retime(down, { ...timersA, requiredMinRxUs: 80_000 }).session;
  t.equal(r.advRxUs, 80_000);
  t.equal(r.rxBasisUs, 80_000, 'Down: in force at once');
  t.equal(r.advTxUs, 1_000_000, 'still the slow rate while not Up');
  t.equal(r.polling, true, 'keepalived polls on a min_rx/min_tx change in any state');
  const idle = retime(down, { ...timersA, idleTxUs: 2_000_000 }).session;
  t.equal(idle.advTxUs, 2_000_000, 'idle_tx 2 s advertised at once while Down');
  t.equal(idle.polling, false, 'no Poll for idle_tx alone');
  const { a } = upPair();
  const m = retime(a, { ...timersA, detectMult: 5 }).session;
  t.equal(m.polling, false, 'no Poll for the multiplier alone');
  t.equal(sends(tick(m, m.nextTxAtMs!, half).effects)[0]?.detectMult, 5, 'the next packet carries Detect Mult 5');
  const ad = retime(adminDown(a, 1).session, { ...timersA, desiredMinTxUs: 100_000 }).session;
  t.equal(ad.polling, false, 'AdminDown: no Poll');
  t.equal(ad.cfg.desiredMinTxUs, 100_000, 'kept for when it comes back');
});

t.test('§6.8.3 regression (found by bfd-session-properties): leaving Up during a Poll for a larger min_tx equal to idle_tx still falls back to the slow rate', async (t) => {
  const { a } = upPair();
  // SIGHUP min_tx 50 → 1000 ms (= idle_tx) while Up: advertised at once, in force only after the Final.
  const s = retime(a, { ...timersA, desiredMinTxUs: 1_000_000 }).session;
  t.equal(s.txBasisUs, 50_000, 'the increase waits for the Final');
  // The peer goes silent before answering: the Detection Time expires, Down.
  const down = tick(s, s.detectAtMs!, half);
  t.equal(down.session.state, BfdState.Down);
  t.equal(down.session.advTxUs, 1_000_000);
  t.equal(down.session.txBasisUs, 1_000_000, 'not Up: the slow rate is in force at once (was 50 ms)');
  t.equal(down.session.rxBasisUs, down.session.advRxUs);
  const next = tick(down.session, down.session.nextTxAtMs!, half);
  const gap = next.session.nextTxAtMs! - down.session.nextTxAtMs!;
  t.ok(gap >= 750 && gap <= 1000, `Down packets 75–100% of 1 s apart (${gap} ms), not of 50 ms`);
  // The same on admin down.
  const ad = adminDown(s, 3001).session;
  t.equal(ad.txBasisUs, 1_000_000, 'AdminDown: the slow rate too');
});
