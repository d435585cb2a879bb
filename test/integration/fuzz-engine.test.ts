/**
 * The fuzzing engine (scripts/fuzz.ts: libFuzzer through tools/libfuzzer/, fed with V8 block
 * coverage) on canary targets (test/fuzz/engine-canary.ts), so that `npm run fuzz` and CI's
 * minute per decoder are known to search, not just to run:
 * - coverage guidance: `magic` fails only for inputs starting "FUZZ" (four nested byte tests);
 *   blind random inputs would need ~2^32 tries, guided search reaches it in tens of thousands;
 * - a hang (`spin`) is stopped by the wall-time limit and saved as timeout-*;
 * - an input that keeps 256 MB (`hog`) is a finding (limit 200 MB);
 * - a target without a bug passes, grows its corpus, and ends with the summary line.
 * Each case runs in a temporary corpus directory; the driver is built (and libFuzzer installed,
 * as root) by tools/libfuzzer/build.sh when missing.
 */
import * as child from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { DRIVER, fillCounters } from '../../scripts/fuzz';

const root = path.resolve(__dirname, '..', '..', '..');
const runner = path.join(root, 'dist', 'scripts', 'fuzz.js');
const canary = path.join(root, 'dist', 'test', 'fuzz', 'engine-canary.js');

function build(): string | undefined {
  if (fs.existsSync(DRIVER)) return undefined;
  const r = child.spawnSync('bash', [path.join(root, 'tools', 'libfuzzer', 'build.sh')], { encoding: 'utf8', timeout: 300_000 });
  return r.status === 0 ? undefined : `tools/libfuzzer/build.sh failed: ${r.stderr}`;
}

interface Run {
  status: number | null;
  out: string;
  dir: string;
  files: string[];
}

/** timeoutS must exceed the runner's own limit for its child (seconds + hang-s + 60), or a killed runner leaves the child behind. */
function fuzz(target: string, args: string[], timeoutS: number): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fuzz-engine-'));
  const r = child.spawnSync(process.execPath, [runner, '--corpus-dir', dir, '--targets-module', canary, ...args, target], {
    encoding: 'utf8',
    timeout: timeoutS * 1000,
    maxBuffer: 64 * 2 ** 20,
  });
  const d = path.join(dir, target);
  return { status: r.status, out: r.stdout, dir, files: fs.existsSync(d) ? fs.readdirSync(d) : [] };
}

const built = build();

t.test('libFuzzer driver builds', async (t) => {
  t.equal(built, undefined, 'tools/libfuzzer/build.sh');
  t.ok(fs.existsSync(DRIVER), DRIVER);
});

t.test('coverage guidance reaches a four-byte magic prefix', { skip: built }, async (t) => {
  const r = fuzz('magic', ['--seconds', '240'], 330);
  t.equal(r.status, 1, 'the runner exits 1');
  t.match(r.out, /not ok magic: Error: canary: input starts with FUZZ/, 'the finding is reported');
  const crash = r.files.find((f) => f.startsWith('crash-'));
  t.ok(crash, `saved as crash-* (${r.files.join(', ')})`);
  if (crash) t.equal(fs.readFileSync(path.join(r.dir, 'magic', crash)).subarray(0, 4).toString('latin1'), 'FUZZ', 'the saved input starts with FUZZ');
  const inputs = Number(/magic: Error[^;]*; (\d+) inputs/.exec(r.out)?.[1]);
  t.ok(inputs > 0 && inputs < 2_000_000, `found after ${inputs} inputs (blind search: ~4.3e9)`);
  t.match(r.out, /^0 passed, 1 failed$/m, 'summary line');
  t.comment(r.out.split('\n')[1] ?? '');
  fs.rmSync(r.dir, { recursive: true, force: true });
});

t.test('a hang is stopped by the wall-time limit and saved as timeout-*', { skip: built }, async (t) => {
  const r = fuzz('spin', ['--seconds', '60', '--hang-s', '1'], 150);
  t.equal(r.status, 1, 'the runner exits 1');
  t.match(r.out, /not ok spin: timeout/, 'reported as a timeout');
  const hang = r.files.find((f) => f.startsWith('timeout-'));
  t.ok(hang, `saved as timeout-* (${r.files.join(', ')})`);
  if (hang) t.equal(fs.readFileSync(path.join(r.dir, 'spin', hang))[0], 0x48, 'the saved input starts with H');
  fs.rmSync(r.dir, { recursive: true, force: true });
});

t.test('an input that keeps 256 MB is a finding', { skip: built }, async (t) => {
  const r = fuzz('hog', ['--seconds', '60', '--max-ms', '20000'], 150); // the CPU limit must not fire first
  t.equal(r.status, 1, 'the runner exits 1');
  t.match(r.out, /not ok hog: heap grew by \d+ MB \(limit 200 MB\)/, 'reported with the limit');
  t.ok(r.files.some((f) => f.startsWith('crash-')), `saved as crash-* (${r.files.join(', ')})`);
  fs.rmSync(r.dir, { recursive: true, force: true });
});

t.test('a target without a bug passes and its corpus grows', { skip: built }, async (t) => {
  const r = fuzz('quiet', ['--seconds', '5'], 60);
  t.equal(r.status, 0, 'the runner exits 0');
  const m = /ok quiet: (\d+) inputs in [\d.]+ s, (\d+) added to the corpus/.exec(r.out);
  t.ok(m && Number(m[1]) > 1000, `inputs run: ${m?.[1]}`);
  t.ok(m && Number(m[2]) > 0, `inputs added for new coverage: ${m?.[2]}`);
  t.match(r.out, /^1 passed, 0 failed$/m, 'summary line');
  t.same(r.files, [], 'nothing written to the seed directory');
  fs.rmSync(r.dir, { recursive: true, force: true });
});

t.test('block coverage to counters', async (t) => {
  const counters = new Uint8Array(1 << 16);
  const url = `file://${path.join(root, 'dist', 'src', 'x.js')}`;
  const run = (ranges: [number, number, number][], u = url): number[] => {
    counters.fill(0);
    fillCounters([{ scriptId: u, url: u, functions: [{ ranges: ranges.map(([s, e, c]) => ({ startOffset: s, endOffset: e, count: c })) }] }], counters, new Map());
    return [...counters.keys()].filter((i) => counters[i]! > 0).map((i) => i * 1000 + counters[i]!);
  };
  const a = run([[0, 100, 1], [10, 20, 0]]);
  const b = run([[0, 100, 1], [30, 40, 0]]);
  t.equal(a.length, 2, 'a function range and a block not run: two counters');
  t.not(a.join(), b.join(), 'a different block not run is a different counter');
  const c3 = run([[0, 100, 3]]);
  const c1 = run([[0, 100, 1]]);
  t.equal(c3[0]! % 1000, 3, 'the counter holds the count');
  t.equal(Math.floor(c3[0]! / 1000), Math.floor(c1[0]! / 1000), 'same range, same counter');
  t.equal(run([[0, 100, 300]])[0]! % 1000, 255, 'capped at 255');
  t.not(run([[0, 100, 0]]).join(), c1.join(), 'count 0 is its own counter');
  t.same(run([[0, 100, 1]], 'node:internal/buffer'), [], 'other scripts are ignored');
});
