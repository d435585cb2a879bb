/**
 * What `keepalived status` and the metrics know beyond the instances' own counters: recent
 * transitions (with reason and time), transition and master-down counts, tracker script
 * results and durations, checker results and latencies, real-server health. The runtime calls
 * `transition`, `scriptResult`, `probe` and `health` as things happen; readers take copies.
 * Plain data, no I/O; times are given by the caller (wall-clock ms for display, durations in ms).
 */

export interface TransitionRecord {
  /** Wall-clock epoch ms. */
  atMs: number;
  from: string;
  to: string;
  reason: string;
}

export interface ScriptRecord {
  runs: number;
  failures: number;
  lastOk?: boolean;
  lastDurationMs?: number;
}

export interface ProbeRecord {
  kind: string;
  runs: number;
  failures: number;
  lastOk?: boolean;
  lastLatencyMs?: number;
  /** Wall-clock epoch ms of the last result. */
  lastAtMs?: number;
}

export interface HealthRecord {
  up: boolean;
  dynamicWeight?: number;
}

export interface RecorderListener {
  onScriptResult?(name: string, ok: boolean, durationMs: number): void;
  onProbe?(vsKey: string, rsKey: string, kind: string, ok: boolean, latencyMs: number): void;
}

/** How many transitions per instance `status` shows. */
export const TRANSITIONS_KEPT = 10;

export class Recorder {
  private readonly history = new Map<string, TransitionRecord[]>();
  /** iname → "FROM>TO" → count. */
  private readonly transitionCounts = new Map<string, Map<string, number>>();
  private readonly masterDown = new Map<string, number>();
  private readonly scripts = new Map<string, ScriptRecord>();
  /** vsKey → rsKey → checker kind → record. */
  private readonly probes = new Map<string, Map<string, Map<string, ProbeRecord>>>();
  private readonly healths = new Map<string, Map<string, HealthRecord>>();
  private readonly listeners: RecorderListener[] = [];

  listen(l: RecorderListener): void {
    this.listeners.push(l);
  }

  transition(iname: string, from: string, to: string, reason: string, atMs: number): void {
    const h = this.history.get(iname) ?? [];
    h.push({ atMs, from, to, reason });
    if (h.length > TRANSITIONS_KEPT) h.splice(0, h.length - TRANSITIONS_KEPT);
    this.history.set(iname, h);
    const counts = this.transitionCounts.get(iname) ?? new Map<string, number>();
    const k = `${from}>${to}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
    this.transitionCounts.set(iname, counts);
    if (to === 'MASTER' && /master down timer expired/.test(reason)) this.masterDown.set(iname, (this.masterDown.get(iname) ?? 0) + 1);
  }

  scriptResult(name: string, ok: boolean, durationMs: number): void {
    const r = this.scripts.get(name) ?? { runs: 0, failures: 0 };
    r.runs++;
    if (!ok) r.failures++;
    r.lastOk = ok;
    r.lastDurationMs = durationMs;
    this.scripts.set(name, r);
    for (const l of this.listeners) l.onScriptResult?.(name, ok, durationMs);
  }

  probe(vsKey: string, rsKey: string, kind: string, ok: boolean, latencyMs: number, atMs: number): void {
    const byRs = this.probes.get(vsKey) ?? new Map<string, Map<string, ProbeRecord>>();
    const byKind = byRs.get(rsKey) ?? new Map<string, ProbeRecord>();
    const r = byKind.get(kind) ?? { kind, runs: 0, failures: 0 };
    r.runs++;
    if (!ok) r.failures++;
    r.lastOk = ok;
    r.lastLatencyMs = latencyMs;
    r.lastAtMs = atMs;
    byKind.set(kind, r);
    byRs.set(rsKey, byKind);
    this.probes.set(vsKey, byRs);
    for (const l of this.listeners) l.onProbe?.(vsKey, rsKey, kind, ok, latencyMs);
  }

  health(vsKey: string, rsKey: string, h: HealthRecord): void {
    const byRs = this.healths.get(vsKey) ?? new Map<string, HealthRecord>();
    byRs.set(rsKey, { ...h });
    this.healths.set(vsKey, byRs);
  }

  transitions(iname: string): readonly TransitionRecord[] {
    return this.history.get(iname) ?? [];
  }

  transitionCountsOf(iname: string): ReadonlyMap<string, number> {
    return this.transitionCounts.get(iname) ?? new Map();
  }

  masterDownEvents(iname: string): number {
    return this.masterDown.get(iname) ?? 0;
  }

  scriptRecords(): ReadonlyMap<string, ScriptRecord> {
    return this.scripts;
  }

  probesOf(vsKey: string, rsKey: string): readonly ProbeRecord[] {
    return [...(this.probes.get(vsKey)?.get(rsKey)?.values() ?? [])];
  }

  healthOf(vsKey: string, rsKey: string): HealthRecord | undefined {
    return this.healths.get(vsKey)?.get(rsKey);
  }
}
