/**
 * Coverage-guided fuzzing of every decoder of untrusted input (test/fuzz/targets.ts) with
 * libFuzzer as the engine (LLVM compiler-rt, Debian's libclang-rt-14-dev), through the driver in
 * tools/libfuzzer/ (built by tools/libfuzzer/build.sh). libFuzzer picks and mutates the inputs and
 * keeps those that take a new path; the path is V8's block coverage of the project's own scripts,
 * taken after each input and written into libFuzzer's inline 8-bit counters (fillCounters).
 * Jazzer.js would do the same with its own instrumentation, but its Linux build needs glibc 2.38
 * (Debian 12 has 2.36) and its older releases download a patched LLVM at install time.
 *
 *   node --expose-gc dist/scripts/fuzz.js [--seconds 60] [--max-ms 1000] [--max-heap-mb 200]
 *        [--hang-s 10] [--keep-corpus DIR] [target ...]
 *
 * Each target runs in its own process (libFuzzer exits the process when it is done). The seeds
 * are test/fixtures/fuzz/<target>/ (read only); the inputs libFuzzer adds go to a temporary
 * directory, removed afterwards (--keep-corpus DIR keeps them, one directory per target: a long
 * run's corpus, to minimise with libFuzzer's -merge and commit as seeds). A finding is an input on
 * which the target throws, takes more than --max-ms of CPU, or grows the heap (JS objects and
 * Buffers) by more than --max-heap-mb; libFuzzer saves it as test/fixtures/fuzz/<target>/crash-<sha1>,
 * which test/unit/fuzz-corpus.test.ts replays once committed. An input that does not return within
 * --hang-s seconds of wall time is saved as timeout-<sha1>; a process over 2 GB RSS as oom-<sha1>.
 * Ends with "N passed, N failed" (one per target). test/integration/fuzz-engine.test.ts checks the
 * engine itself on canary targets.
 */
import * as child from 'node:child_process';
import * as fs from 'node:fs';
import * as inspector from 'node:inspector';
import * as os from 'node:os';
import * as path from 'node:path';
import * as v8 from 'node:v8';
type Target = (data: Buffer) => void;

const root = path.resolve(__dirname, '..', '..');
export const CORPUS_DIR = path.join(root, 'test', 'fixtures', 'fuzz');
export const DRIVER = path.join(root, 'tools', 'libfuzzer', 'build', 'driver.node');

interface Opts {
  seconds: number;
  maxMs: number;
  maxHeapMb: number;
  hangS: number;
  /** Where each target's seeds are read and its findings written: <corpusDir>/<target>/. */
  corpusDir: string;
  /** A module exporting TARGETS other than test/fuzz/targets (the engine's own test). */
  targetsModule?: string;
  keepCorpus?: string;
  child?: string;
  targets: string[];
}

function loadTargets(module?: string): Record<string, Target> {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require(module ?? '../test/fuzz/targets') as { TARGETS: Record<string, Target> }).TARGETS;
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = { seconds: 60, maxMs: 1000, maxHeapMb: 200, hangS: 10, corpusDir: CORPUS_DIR, targets: [] };
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): string => argv[++i] ?? '';
    if (a === '--seconds') o.seconds = Number(next());
    else if (a === '--max-ms') o.maxMs = Number(next());
    else if (a === '--max-heap-mb') o.maxHeapMb = Number(next());
    else if (a === '--hang-s') o.hangS = Number(next());
    else if (a === '--corpus-dir') o.corpusDir = path.resolve(next());
    else if (a === '--targets-module') o.targetsModule = path.resolve(next());
    else if (a === '--keep-corpus') o.keepCorpus = path.resolve(next());
    else if (a === '--child') o.child = next();
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}`);
    else names.push(a);
  }
  const targets = loadTargets(o.targetsModule);
  for (const n of names) if (!targets[n]) throw new Error(`unknown target ${n} (targets: ${Object.keys(targets).join(', ')})`);
  o.targets = names.length ? names : Object.keys(targets);
  return o;
}

/** The seeds of a target: every file of test/fixtures/fuzz/<target>/ (crash-* rows included). */
export function corpus(target: string, dir = CORPUS_DIR): Buffer[] {
  const d = path.join(dir, target);
  if (!fs.existsSync(d)) return [];
  return fs
    .readdirSync(d)
    .sort()
    .map((f) => fs.readFileSync(path.join(d, f)));
}

/**
 * One input through a target, with the time limit as part of the check. The limit is on CPU
 * time (user + system of this process), so a busy machine does not turn a fast input into a
 * finding; the decoders are synchronous, so their CPU time is their cost.
 */
export function checkOne(target: Target, input: Buffer, maxMs: number): void {
  const c0 = process.cpuUsage();
  target(input);
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  if (ms > maxMs) throw new Error(`took ${ms.toFixed(0)} ms of CPU (limit ${maxMs} ms)`);
}

/** Scripts whose blocks count as coverage: the project's compiled sources and the targets. */
export function coveredScript(url: string, extra?: string): boolean {
  const p = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  return p.startsWith(path.join(root, 'dist', 'src') + path.sep) || p.startsWith(path.join(root, 'dist', 'test', 'fuzz') + path.sep) || p === extra;
}

interface Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  scriptId: string;
  url: string;
  functions: { ranges: Range[] }[];
}

/** FNV-1a of a script's URL: a block's counter is this mixed with its offsets. */
function urlHash(url: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < url.length; i++) h = Math.imul(h ^ url.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * Writes one input's block coverage into the counters. V8 reports, per function run, the
 * function's range with its call count, then each nested block whose count differs from the
 * range around it: a block not run is a range with count 0 (and the code after a `return` that
 * was taken is one too). So the reported ranges, with their counts, are the path: every range is
 * a counter, set to its count (capped at 255), and a range reported with count 0 is a counter of
 * its own, set to 1. Ranges of other scripts are ignored.
 */
export function fillCounters(scripts: readonly ScriptCoverage[], counters: Uint8Array, hashes: Map<string, number | null>, extra?: string): number {
  let ranges = 0;
  for (const s of scripts) {
    let base = hashes.get(s.scriptId);
    if (base === undefined) {
      base = coveredScript(s.url, extra) ? urlHash(s.url) : null;
      hashes.set(s.scriptId, base);
    }
    if (base === null) continue;
    for (const f of s.functions) {
      for (const r of f.ranges) {
        const salt = r.count === 0 ? 0x5bd1e995 : 0;
        const i = (Math.imul(base ^ salt ^ r.startOffset, 0x9e3779b1) ^ Math.imul(r.endOffset, 0x85ebca6b)) >>> 16;
        const c = r.count === 0 ? 1 : r.count > 255 ? 255 : r.count;
        if (counters[i]! < c) counters[i] = c;
        ranges++;
      }
    }
  }
  return ranges;
}

/**
 * V8's block coverage, started before the targets are loaded so that every function of theirs is
 * compiled with block counters. takePreciseCoverage() returns the counts since the last call.
 */
function startCoverage(): <T>(method: string, params?: object) => T {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params?: object): T => {
    let res: T | undefined;
    let err: Error | null = null;
    session.post(method, params, (e, r) => {
      err = e;
      res = r as T;
    });
    if (err) throw err;
    return res as T;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  return post;
}

function runChild(o: Opts, post: <T>(method: string, params?: object) => T): void {
  const name = o.child!;
  const target = loadTargets(o.targetsModule)[name];
  if (!target) throw new Error(`unknown target ${name}`);
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const driver = require(DRIVER) as { run(argv: string[], one: (b: Buffer) => number): never; counters(): ArrayBuffer };
  const counters = new Uint8Array(driver.counters());
  const hashes = new Map<string, number | null>();
  const limit = o.maxHeapMb * 2 ** 20;
  const heapUsed = (): number => {
    const h = v8.getHeapStatistics();
    return h.used_heap_size + h.external_memory; // JS objects and the memory of Buffers
  };
  const finding = (why: string): number => {
    fs.writeSync(2, `\nFINDING in ${name}: ${why}\n`);
    return 1;
  };
  const one = (input: Buffer): number => {
    post('Profiler.takePreciseCoverage'); // the runner's own work since the last input is not the target's
    const heap0 = heapUsed();
    try {
      checkOne(target, input, o.maxMs);
    } catch (e) {
      return finding(e instanceof Error ? (e.stack ?? e.message) : String(e));
    }
    if (heapUsed() - heap0 > limit) {
      global.gc?.();
      const grown = heapUsed() - heap0;
      if (grown > limit) return finding(`heap grew by ${(grown / 2 ** 20).toFixed(0)} MB (limit ${o.maxHeapMb} MB)`);
    }
    fillCounters(post<{ result: ScriptCoverage[] }>('Profiler.takePreciseCoverage').result, counters, hashes, o.targetsModule);
    return 0;
  };
  const seeds = path.join(o.corpusDir, name);
  const work = o.keepCorpus ?? fs.mkdtempSync(path.join(os.tmpdir(), `fuzz-${name}-`));
  fs.mkdirSync(work, { recursive: true });
  fs.mkdirSync(seeds, { recursive: true });
  driver.run(
    [
      `fuzz-${name}`,
      `-max_total_time=${o.seconds}`,
      `-timeout=${o.hangS}`,
      '-rss_limit_mb=2048',
      '-max_len=4096',
      '-print_final_stats=1',
      `-artifact_prefix=${seeds}${path.sep}`,
      work,
      seeds,
    ],
    one,
  );
}

interface Result {
  ok: boolean;
  line: string;
}

function runTarget(name: string, o: Opts): Result {
  const work = o.keepCorpus ? path.join(o.keepCorpus, name) : fs.mkdtempSync(path.join(os.tmpdir(), `fuzz-${name}-`));
  const args = [
    '--expose-gc',
    __filename,
    '--child',
    name,
    '--seconds',
    String(o.seconds),
    '--max-ms',
    String(o.maxMs),
    '--max-heap-mb',
    String(o.maxHeapMb),
    '--hang-s',
    String(o.hangS),
    '--keep-corpus',
    work,
    '--corpus-dir',
    o.corpusDir,
    ...(o.targetsModule ? ['--targets-module', o.targetsModule] : []),
  ];
  const t0 = Date.now();
  // Without the caller's NODE_OPTIONS: a preloaded module (a test runner's) must not run inside the fuzzed process.
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = child.spawnSync(process.execPath, args, { encoding: 'utf8', env, maxBuffer: 64 * 2 ** 20, timeout: (o.seconds + o.hangS + 60) * 1000 });
  if (!o.keepCorpus) fs.rmSync(work, { recursive: true, force: true });
  const s = ((Date.now() - t0) / 1000).toFixed(1);
  const err = r.stderr ?? '';
  const stat = (k: string): string => err.match(new RegExp(`stat::${k}:\\s*(\\d+)`))?.[1] ?? '?';
  const cov = [...err.matchAll(/cov: (\d+) ft: (\d+) corp: (\d+)/g)].pop();
  const summary = `${stat('number_of_executed_units')} inputs in ${s} s, ${stat('new_units_added')} added to the corpus${cov ? ` (cov ${cov[1]}, ft ${cov[2]}, corp ${cov[3]})` : ''}`;
  if (r.status === 0) return { ok: true, line: `ok ${name}: ${summary}, no finding` };
  const artifact = err.match(/Test unit written to (\S+)/)?.[1];
  const why = err.match(/FINDING in [^:]+: ([^\n]*)/)?.[1] ?? err.match(/ERROR: libFuzzer: ([^\n]*)/)?.[1] ?? `exit ${r.status ?? r.signal}`;
  return {
    ok: false,
    line: `not ok ${name}: ${why}; ${summary}${artifact ? `; input saved as ${path.relative(root, artifact)}` : ''}\n${err.split('\n').slice(-40).join('\n')}`,
  };
}

function main(): void {
  const argv = process.argv.slice(2);
  const post = argv.includes('--child') ? startCoverage() : undefined;
  const o = parseArgs(argv);
  if (o.child) return runChild(o, post!);
  if (!fs.existsSync(DRIVER)) {
    console.log(`fuzz: ${path.relative(root, DRIVER)} is missing: run tools/libfuzzer/build.sh (needs libclang-rt-14-dev)`);
    console.log(`0 passed, ${o.targets.length} failed`);
    process.exitCode = 1;
    return;
  }
  console.log(`fuzz (libFuzzer, coverage-guided): ${o.targets.length} targets × ${o.seconds} s, limits ${o.maxMs} ms CPU and ${o.maxHeapMb} MB heap per input, ${o.hangS} s wall for a hang`);
  let pass = 0;
  let fail = 0;
  for (const name of o.targets) {
    const r = runTarget(name, o);
    if (r.ok) pass++;
    else fail++;
    console.log(r.line);
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exitCode = fail ? 1 : 0;
}

if (require.main === module) main();
