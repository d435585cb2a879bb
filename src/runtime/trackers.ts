/**
 * Runs the trackers an instance or sync group can reference and reports state changes:
 *  - vrrp_script: launched every `interval` on the Clock, one run at a time per script
 *    (a tick that finds it still running logs keepalived's "Track script NAME is …, expect
 *    idle - skipping run"), killed after `timeout` (the ScriptRunner kills the process group;
 *    counts as failure), debounced by rise/fall (src/track/rise-fall), logged in keepalived's
 *    words (VRRP_Script(NAME) succeeded / failed (exited with status N) / timed_out /
 *    failed (due to signal N));
 *  - track_file: value read at start, on fs.watch events and on a periodic re-read (watch
 *    alone misses some editors' rename dance and NFS);
 *  - vrrp_track_process: /proc polled (keepalived uses netlink proc events; polling needs no
 *    privileges beyond /proc and gives the same answers), quorum evaluated by
 *    src/track/process-match, changes delayed by fork_delay/terminate_delay (`delay` sets
 *    both) and cancelled if the quorum flips back within the delay.
 * Changes go out through `onChange(kind, name, state)`: TrackState for scripts and
 * processes, the integer value for files. The daemon turns them into priority events.
 */
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { PRIVATE_FILE_MODE, writeFileReplacing } from '../observe/safe-file';
import type { Clock, TimerHandle } from './clock';
import type { Logger } from '../observe/log';
import { ProcessScriptRunner, type ScriptOutcome, type ScriptRunner } from '../notify/exec';
import { splitCommand } from '../config/script-argv';
import { ScriptPolicy, policyForRunner, runOptionsOf, type Ids, type PreparedScript } from '../notify/script-policy';
import type { SelfCredentials } from '../notify/credentials';
import { applyResult, initRiseFall, type RiseFallState, type TrackState } from '../track/rise-fall';
import { parseTrackFileValue } from '../track/file-value';
import { countMatches, quorumState, type ProcessInfo, type ProcessSpec } from '../track/process-match';
import type { TrackedItem, TrackedKind } from '../track/priority';
import type { Model } from '../config/model';

export interface ScriptTrackerSpec {
  name: string;
  /** The `script` line as written, or already split. */
  script: string | readonly string[];
  intervalMs: number;
  /** Default: the interval (keepalived's default). */
  timeoutMs?: number;
  rise?: number;
  fall?: number;
  initFail?: boolean;
  user?: string;
  group?: string;
}

export interface FileTrackerSpec {
  name: string;
  path: string;
  /** init_file [VALUE] [overwrite]: create the file (or overwrite it) with VALUE at start. */
  initFile?: { value: number; overwrite: boolean };
}

export interface ProcessTrackerSpec extends ProcessSpec {
  name: string;
  /** `delay`: both fork and terminate delay. */
  delayMs?: number;
  forkDelayMs?: number;
  terminateDelayMs?: number;
}

export type TrackerChange = (kind: 'script' | 'file' | 'process', name: string, state: TrackState | number) => void;

export interface TrackersOptions {
  clock: Clock;
  log: Logger;
  onChange: TrackerChange;
  runner?: ScriptRunner;
  /**
   * Spread the periodic runs of scripts sharing an interval over that interval (after one
   * immediate first run each), instead of starting them all on the same tick: hundreds of
   * scripts then never spawn in one burst (keepalived's users see timed-out scripts from that).
   */
  spreadRuns?: boolean;
  scriptSecurity?: boolean;
  scriptUser?: { user: string; group?: string };
  /** Period of the track_file safety re-read (ms). */
  filePollMs?: number;
  /** Period of the /proc scan for track_process (ms). */
  procPollMs?: number;
  /** For tests: replaces the /proc scan. */
  readProc?: () => ProcessInfo[];
  lookup?: (user: string, group?: string) => Ids | undefined;
  /** For tests: our ids and whether we may switch (default: this process, /proc/self/status). */
  self?: SelfCredentials;
  /** Every finished script run (status and metrics). */
  onScriptResult?: (name: string, ok: boolean, durationMs: number) => void;
}

interface ScriptEntry {
  spec: ScriptTrackerSpec;
  argv: string[];
  rf: RiseFallState;
  running: boolean;
  runStartedAt: number;
  lastStatus: string | undefined;
  disabled: boolean;
  /** Set by startScript: the user, ids and the checked file to execute. */
  prepared: PreparedScript | undefined;
  timer: TimerHandle | undefined;
}

interface FileEntry {
  spec: FileTrackerSpec;
  value: number | undefined;
  watcher: fs.FSWatcher | undefined;
}

interface ProcEntry {
  spec: ProcessTrackerSpec;
  state: TrackState;
  pending: { to: TrackState; timer: TimerHandle } | undefined;
}

export function signalNumber(sig: string): number {
  return (os.constants.signals as Record<string, number>)[sig] ?? 0;
}

/** keepalived's wording for a script result that is not a success. */
export function scriptFailureText(name: string, o: ScriptOutcome): string {
  if (o.kind === 'timed_out') return `VRRP_Script(${name}) timed_out`;
  if (o.kind === 'signalled') return `VRRP_Script(${name}) failed (due to signal ${signalNumber(o.signal)})`;
  if (o.kind === 'exited') return `VRRP_Script(${name}) failed (exited with status ${o.status})`;
  return `VRRP_Script(${name}) failed (${o.message})`;
}

/** Scan /proc: pid, comm, argv of every process that is still there. */
export function readProcTable(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    try {
      const comm = fs.readFileSync(`/proc/${ent}/comm`, 'utf8').replace(/\n$/, '');
      const raw = fs.readFileSync(`/proc/${ent}/cmdline`, 'utf8');
      const argv = raw.length ? raw.replace(/\0$/, '').split('\0') : [];
      out.push({ pid: Number(ent), comm, argv });
    } catch {
      /* exited while we looked */
    }
  }
  return out;
}

export class Trackers {
  private readonly scripts = new Map<string, ScriptEntry>();
  private readonly files = new Map<string, FileEntry>();
  private readonly procs = new Map<string, ProcEntry>();
  private readonly runner: ScriptRunner;
  private fileTimer: TimerHandle | undefined;
  private procTimer: TimerHandle | undefined;
  private started = false;
  private spreadIndex = 0;
  private readonly policy: ScriptPolicy;
  constructor(private readonly opts: TrackersOptions) {
    this.runner = opts.runner ?? new ProcessScriptRunner();
    this.policy = policyForRunner(opts);
  }

  addScript(spec: ScriptTrackerSpec): void {
    const argv = typeof spec.script === 'string' ? splitCommand(spec.script) : [...spec.script];
    const rf = initRiseFall({ rise: spec.rise ?? 1, fall: spec.fall ?? 1, initFail: spec.initFail ?? false });
    const e: ScriptEntry = { spec, argv, rf, running: false, runStartedAt: 0, lastStatus: undefined, disabled: false, prepared: undefined, timer: undefined };
    this.scripts.set(spec.name, e);
    if (this.started) this.startScript(e);
  }

  addFile(spec: FileTrackerSpec): void {
    const e: FileEntry = { spec, value: undefined, watcher: undefined };
    this.files.set(spec.name, e);
    if (this.started) this.startFile(e);
  }

  addProcess(spec: ProcessTrackerSpec): void {
    this.procs.set(spec.name, { spec, state: 'init', pending: undefined });
    if (this.started) this.scanProcs();
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    for (const e of this.scripts.values()) this.startScript(e);
    for (const e of this.files.values()) this.startFile(e);
    if (this.files.size > 0) this.scheduleFilePoll();
    if (this.procs.size > 0) {
      this.scanProcs();
      this.scheduleProcPoll();
    }
  }

  /** Stop and forget one tracker (its running script, if any, finishes unobserved). */
  remove(kind: 'script' | 'file' | 'process', name: string): void {
    if (kind === 'script') {
      const e = this.scripts.get(name);
      e?.timer?.cancel();
      if (e) e.disabled = true; // a result still in flight is ignored
      this.scripts.delete(name);
    } else if (kind === 'file') {
      this.files.get(name)?.watcher?.close();
      this.files.delete(name);
    } else {
      this.procs.get(name)?.pending?.timer.cancel();
      this.procs.delete(name);
    }
  }

  /**
   * Reload: trackers whose spec is unchanged keep running with their state (keepalived's
   * "VRRP_Script(%s) considered successful on reload"); changed ones restart from scratch,
   * removed ones stop, new ones start. Returns the names restarted, added and removed.
   */
  reconfigure(next: { scripts: ScriptTrackerSpec[]; files: FileTrackerSpec[]; processes: ProcessTrackerSpec[] }): { kept: string[]; restarted: string[]; added: string[]; removed: string[] } {
    const out = { kept: [] as string[], restarted: [] as string[], added: [] as string[], removed: [] as string[] };
    const plan = <S extends { name: string }>(kind: 'script' | 'file' | 'process', current: Map<string, { spec: S }>, specs: S[], add: (s: S) => void): void => {
      const wanted = new Map(specs.map((x) => [x.name, x] as const));
      for (const name of [...current.keys()]) {
        if (!wanted.has(name)) {
          this.remove(kind, name);
          out.removed.push(name);
        }
      }
      for (const spec of specs) {
        const cur = current.get(spec.name);
        if (cur && JSON.stringify(cur.spec) === JSON.stringify(spec)) {
          out.kept.push(spec.name);
          if (kind === 'script') {
            const st = this.scripts.get(spec.name)?.rf.state;
            if (st === 'up' || st === 'down') this.opts.log.info(`VRRP_Script(${spec.name}) considered ${st === 'up' ? 'successful' : 'unsuccessful'} on reload`);
          }
          continue;
        }
        if (cur) {
          this.remove(kind, spec.name);
          out.restarted.push(spec.name);
        } else out.added.push(spec.name);
        add(spec);
      }
    };
    plan('script', this.scripts, next.scripts, (x) => this.addScript(x));
    plan('file', this.files, next.files, (x) => this.addFile(x));
    plan('process', this.procs, next.processes, (x) => this.addProcess(x));
    if (this.started && this.files.size > 0 && !this.fileTimer) this.scheduleFilePoll();
    if (this.started && this.procs.size > 0 && !this.procTimer) this.scheduleProcPoll();
    return out;
  }

  stop(): void {
    this.started = false;
    for (const e of this.scripts.values()) e.timer?.cancel();
    for (const e of this.files.values()) e.watcher?.close();
    for (const e of this.procs.values()) e.pending?.timer.cancel();
    this.fileTimer?.cancel();
    this.procTimer?.cancel();
  }

  scriptState(name: string): TrackState | undefined {
    return this.scripts.get(name)?.rf.state;
  }
  /** For keepalived's data dump: is the script running now, and its rise/fall state. */
  scriptInfo(name: string): { running: boolean; state: TrackState } | undefined {
    const e = this.scripts.get(name);
    return e ? { running: e.running, state: e.rf.state } : undefined;
  }
  scriptDisabled(name: string): boolean {
    return this.scripts.get(name)?.disabled ?? false;
  }
  fileValue(name: string): number | undefined {
    return this.files.get(name)?.value;
  }
  processState(name: string): TrackState | undefined {
    return this.procs.get(name)?.state;
  }

  /**
   * Fill in current states for an instance's references (script/file/process; interface
   * and bfd items are passed through unchanged — their state comes from elsewhere).
   */
  items(refs: ReadonlyArray<Omit<TrackedItem, 'state' | 'value'> & { state?: TrackState }>): TrackedItem[] {
    return refs.map((r) => {
      const kind: TrackedKind = r.kind;
      if (kind === 'script') return { ...r, state: this.scriptDisabled(r.name) ? 'init' : (this.scriptState(r.name) ?? 'init') };
      if (kind === 'process') return { ...r, state: this.processState(r.name) ?? 'init' };
      if (kind === 'file') {
        const v = this.fileValue(r.name);
        return v === undefined ? { ...r, state: 'init' } : { ...r, state: 'init', value: v };
      }
      return { ...r, state: r.state ?? 'init' };
    });
  }

  // ---- vrrp_script -------------------------------------------------------------------

  private startScript(e: ScriptEntry): void {
    // Checked once here (as keepalived does at start-up); every run then executes the file
    // that was checked, whatever happens to the path's symlinks afterwards.
    const who: { user?: string; group?: string } = {};
    if (e.spec.user !== undefined) who.user = e.spec.user;
    if (e.spec.group !== undefined) who.group = e.spec.group;
    e.prepared = this.policy.prepare(e.argv, who, { kind: 'vrrp_script', name: e.spec.name });
    if (!e.prepared) {
      e.disabled = true; // logged by the policy
      return;
    }
    const now = this.opts.clock.now();
    if (!this.opts.spreadRuns) return this.tick(e, now);
    // golden-ratio phases are evenly spread whatever the number of scripts
    const phase = e.spec.intervalMs * (1 - ((this.spreadIndex++ * 0.6180339887498949) % 1));
    this.launch(e);
    const first = now + phase;
    e.timer = this.opts.clock.at(first, () => this.tick(e, first));
  }

  private tick(e: ScriptEntry, due: number): void {
    if (!this.started) return;
    const next = due + e.spec.intervalMs;
    e.timer = this.opts.clock.at(next, () => this.tick(e, next));
    if (e.running) {
      const timeoutMs = e.spec.timeoutMs ?? e.spec.intervalMs;
      const what = this.opts.clock.now() - e.runStartedAt >= timeoutMs ? 'being timed out' : 'running';
      this.opts.log.info(`Track script ${e.spec.name} is ${what}, expect idle - skipping run`);
      return;
    }
    this.launch(e);
  }

  private launch(e: ScriptEntry): void {
    e.running = true;
    e.runStartedAt = this.opts.clock.now();
    // a check script's output is not used: no pipes to set up and drain for each run
    const runOpts = { ...(e.prepared ? runOptionsOf(e.prepared) : {}), timeoutMs: e.spec.timeoutMs ?? e.spec.intervalMs, discardOutput: true };
    this.runner.run(e.argv, runOpts).then(
      (r) => this.onResult(e, r.outcome),
      (err: Error) => this.onResult(e, { kind: 'spawn_error', message: err.message }),
    );
  }

  private onResult(e: ScriptEntry, o: ScriptOutcome): void {
    e.running = false;
    if (!this.started || this.scripts.get(e.spec.name) !== e) return; // stopped or replaced
    const name = e.spec.name;
    const success = o.kind === 'exited' && o.status === 0;
    const status = o.kind === 'exited' ? String(o.status) : o.kind;
    if (e.lastStatus !== undefined && status !== e.lastStatus) {
      this.opts.log.debug(`Script \`${name}\` now returning ${o.kind === 'exited' ? o.status : o.kind}`);
    }
    e.lastStatus = status;
    this.opts.onScriptResult?.(name, success, this.opts.clock.now() - e.runStartedAt);
    const rfParams = { rise: e.spec.rise ?? 1, fall: e.spec.fall ?? 1, initFail: e.spec.initFail ?? false };
    const step = applyResult(e.rf, rfParams, success);
    const flipped = step.state.state !== e.rf.state;
    e.rf = step.state;
    if (!flipped) return;
    this.opts.log.info(success ? `VRRP_Script(${name}) succeeded` : scriptFailureText(name, o));
    this.opts.onChange('script', name, e.rf.state);
  }

  // ---- track_file --------------------------------------------------------------------

  private startFile(e: FileEntry): void {
    const init = e.spec.initFile;
    if (init && (init.overwrite || !fs.existsSync(e.spec.path))) {
      try {
        writeFileReplacing(e.spec.path, `${init.value}\n`, PRIVATE_FILE_MODE);
      } catch (err) {
        this.opts.log.error(`track_file ${e.spec.name}: cannot create ${e.spec.path}: ${(err as Error).message}`);
      }
    }
    this.readFile(e);
    try {
      // Watch the directory: editors and `echo > f` via rename replace the inode.
      const base = path.basename(e.spec.path);
      e.watcher = fs.watch(path.dirname(e.spec.path), (_ev, f) => {
        if (f === null || f === base) this.readFile(e, true);
      });
      e.watcher.on('error', () => undefined);
    } catch {
      /* directory missing: the periodic re-read still works once it appears */
    }
  }

  /**
   * Read the value. On a watch event an empty file is not read as 0: `echo 7 > f` and
   * writeFile truncate before they write, and the truncation's own event would otherwise
   * report a transient 0 (priority 105 -> 100 -> 107, or FAULT for weight 0) between two
   * values. A file really left empty still reads as 0 at the next periodic re-read.
   */
  private readFile(e: FileEntry, fromWatch = false): void {
    if (!this.started) return;
    let value = 0;
    try {
      const text = fs.readFileSync(e.spec.path, 'utf8');
      if (fromWatch && text === '') return;
      value = parseTrackFileValue(text).value;
    } catch {
      value = 0; // a missing file reads as 0
    }
    if (value === e.value) return;
    e.value = value;
    this.opts.log.debug(`Tracked file ${e.spec.name} (${e.spec.path}) now has value ${value}`);
    this.opts.onChange('file', e.spec.name, value);
  }

  private scheduleFilePoll(): void {
    this.fileTimer = this.opts.clock.after(this.opts.filePollMs ?? 1000, () => {
      for (const e of this.files.values()) this.readFile(e);
      if (this.started) this.scheduleFilePoll();
    });
  }

  // ---- vrrp_track_process ------------------------------------------------------------

  private scheduleProcPoll(): void {
    this.procTimer = this.opts.clock.after(this.opts.procPollMs ?? 1000, () => {
      this.scanProcs();
      if (this.started) this.scheduleProcPoll();
    });
  }

  /** Evaluate every tracked process against one /proc snapshot. */
  scanProcs(): void {
    if (!this.started) return;
    const table = (this.opts.readProc ?? readProcTable)();
    for (const e of this.procs.values()) this.evaluateProc(e, quorumState(e.spec, countMatches(e.spec, table)));
  }

  private evaluateProc(e: ProcEntry, now: TrackState): void {
    if (e.pending) {
      if (e.pending.to === now) return; // already on its way
      e.pending.timer.cancel(); // flipped back within the delay
      e.pending = undefined;
    }
    if (now === e.state) return;
    const delay = now === 'up' ? (e.spec.forkDelayMs ?? e.spec.delayMs ?? 0) : (e.spec.terminateDelayMs ?? e.spec.delayMs ?? 0);
    if (e.state === 'init' || delay <= 0) {
      this.setProc(e, now);
      return;
    }
    e.pending = { to: now, timer: this.opts.clock.after(delay, () => {
      e.pending = undefined;
      this.setProc(e, now);
    }) };
  }

  private setProc(e: ProcEntry, to: TrackState): void {
    const wasInit = e.state === 'init';
    e.state = to;
    if (!wasInit || to === 'up') {
      this.opts.log.info(`Quorum ${to === 'up' ? 'gained' : 'lost'} for tracked process ${e.spec.name}`);
    }
    this.opts.onChange('process', e.spec.name, to);
  }
}

// ---- from the config model -----------------------------------------------------------

/**
 * Tracker specs for a model: only trackers some instance or sync group references are
 * returned (keepalived runs a vrrp_script only if something tracks it).
 */
export function trackerSpecsFromModel(model: Model): { scripts: ScriptTrackerSpec[]; files: FileTrackerSpec[]; processes: ProcessTrackerSpec[] } {
  const used = { script: new Set<string>(), file: new Set<string>(), process: new Set<string>() };
  for (const src of [...model.vrrpInstances, ...model.vrrpSyncGroups]) {
    for (const r of src.trackScript) used.script.add(r.name);
    for (const r of src.trackFile) used.file.add(r.name);
    for (const r of src.trackProcess) used.process.add(r.name);
  }
  const scripts = model.vrrpScripts
    .filter((s) => used.script.has(s.name))
    .map((s) => {
      const spec: ScriptTrackerSpec = {
        name: s.name,
        script: s.script.argv,
        intervalMs: s.intervalMs,
        timeoutMs: s.timeoutMs,
        rise: s.rise,
        fall: s.fall,
        initFail: s.initFail,
      };
      if (s.script.user !== undefined) spec.user = s.script.user;
      if (s.script.group !== undefined) spec.group = s.script.group;
      return spec;
    });
  const files = model.trackFiles
    .filter((f) => used.file.has(f.name))
    .map((f) => (f.initFile ? { name: f.name, path: f.file, initFile: { ...f.initFile } } : { name: f.name, path: f.file }));
  const processes = model.trackProcesses
    .filter((p) => used.process.has(p.name))
    .map((p) => {
      const spec: ProcessTrackerSpec = { name: p.name, process: [p.process, ...p.processArgs], fullCommand: p.fullCommand, quorum: p.quorum };
      if (p.paramMatch !== undefined) spec.paramMatch = p.paramMatch;
      if (p.quorumMax !== undefined) spec.quorumMax = p.quorumMax;
      if (p.delayMs !== undefined) spec.delayMs = p.delayMs;
      if (p.forkDelayMs !== undefined) spec.forkDelayMs = p.forkDelayMs;
      if (p.terminateDelayMs !== undefined) spec.terminateDelayMs = p.terminateDelayMs;
      return spec;
    });
  return { scripts, files, processes };
}
