/**
 * Fuzzing of every decoder of untrusted input (test/fuzz/targets.ts) with fast-check as the
 * engine: inputs are random bytes, and mutations (bit flips, byte sets, inserts, deletes,
 * truncation, splices of two seeds, "interesting" integers) of the seed corpus kept in
 * test/fixtures/fuzz/<target>/. A target fails when it throws, when one input takes more than
 * --max-ms of CPU (default 1,000 ms) or when the heap grows by more than --max-heap-mb (default 200 MB)
 * over a run; fast-check then shrinks the input and the smallest one is written next to the
 * corpus as crash-<sha1> (a regression row for test/unit/fuzz-corpus.test.ts once committed).
 *
 *   node dist/scripts/fuzz.js [--seconds 60] [--seed N] [target ...]
 *
 * Ends with "N passed, N failed" (one per target). Not coverage-guided: Jazzer.js's only Linux
 * build needs glibc 2.38 (Debian 12 has 2.36) and its older releases build from sources that
 * this machine's registries do not carry; see README "Reliability and security".
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { TARGETS } from '../test/fuzz/targets';

const root = path.resolve(__dirname, '..', '..');
export const CORPUS_DIR = path.join(root, 'test', 'fixtures', 'fuzz');

interface Opts {
  seconds: number;
  seed: number;
  maxMs: number;
  maxHeapMb: number;
  targets: string[];
}

function parseArgs(argv: string[]): Opts {
  const o: Opts = { seconds: 60, seed: Date.now() & 0x7fffffff, maxMs: 1000, maxHeapMb: 200, targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (): number => Number(argv[++i]);
    if (a === '--seconds') o.seconds = next();
    else if (a === '--seed') o.seed = next();
    else if (a === '--max-ms') o.maxMs = next();
    else if (a === '--max-heap-mb') o.maxHeapMb = next();
    else if (TARGETS[a]) o.targets.push(a);
    else throw new Error(`unknown argument ${a} (targets: ${Object.keys(TARGETS).join(', ')})`);
  }
  if (!o.targets.length) o.targets = Object.keys(TARGETS);
  return o;
}

export function corpus(target: string): Buffer[] {
  const dir = path.join(CORPUS_DIR, target);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .sort()
    .map((f) => fs.readFileSync(path.join(dir, f)));
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x7fffffff, 0xffffffff];

type Mutation = (b: Buffer) => Buffer;

function mutation(seeds: readonly Buffer[]): fc.Arbitrary<Mutation> {
  const pos = fc.nat();
  return fc.oneof(
    fc.tuple(pos, fc.integer({ min: 0, max: 7 })).map(([p, bit]): Mutation => (b) => {
      if (!b.length) return b;
      const c = Buffer.from(b);
      c[p % c.length]! ^= 1 << bit;
      return c;
    }),
    fc.tuple(pos, fc.integer({ min: 0, max: 255 })).map(([p, v]): Mutation => (b) => {
      if (!b.length) return Buffer.from([v]);
      const c = Buffer.from(b);
      c[p % c.length] = v;
      return c;
    }),
    fc.tuple(pos, fc.uint8Array({ maxLength: 16 })).map(([p, ins]): Mutation => (b) => {
      const at = p % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), Buffer.from(ins), b.subarray(at)]);
    }),
    fc.tuple(pos, fc.integer({ min: 1, max: 16 })).map(([p, n]): Mutation => (b) => {
      const at = p % (b.length + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(at + n)]);
    }),
    pos.map((p): Mutation => (b) => b.subarray(0, p % (b.length + 1))),
    fc.tuple(pos, fc.constantFrom(...INTERESTING), fc.constantFrom(1, 2, 4), fc.boolean()).map(([p, v, w, le]): Mutation => (b) => {
      if (b.length < w) return b;
      const c = Buffer.from(b);
      const at = p % (c.length - w + 1);
      const val = v % 2 ** (8 * w);
      if (w === 1) c.writeUInt8(val, at);
      else if (w === 2) (le ? c.writeUInt16LE(val, at) : c.writeUInt16BE(val, at));
      else le ? c.writeUInt32LE(val, at) : c.writeUInt32BE(val, at);
      return c;
    }),
    ...(seeds.length
      ? [
          fc.tuple(fc.nat(), pos, pos).map(([s, a, z]): Mutation => (b) => {
            const other = seeds[s % seeds.length]!;
            return Buffer.concat([b.subarray(0, a % (b.length + 1)), other.subarray(z % (other.length + 1))]);
          }),
        ]
      : []),
  );
}

/** Random bytes, or a seed with 1..8 mutations applied. */
export function inputs(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  const random = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));
  if (!seeds.length) return random;
  const mutated = fc
    .tuple(fc.constantFrom(...seeds), fc.array(mutation(seeds), { minLength: 1, maxLength: 8 }))
    .map(([s, ms]) => ms.reduce<Buffer>((b, m) => m(b), Buffer.from(s)));
  return fc.oneof({ arbitrary: mutated, weight: 4 }, { arbitrary: random, weight: 1 });
}

/**
 * One input through a target, with the time limit as part of the property. The limit is on CPU
 * time (user + system of this process), so a busy machine does not turn a fast input into a
 * finding; the decoders are synchronous, so their CPU time is their cost.
 */
export function checkOne(target: (b: Buffer) => void, input: Buffer, maxMs: number): void {
  const c0 = process.cpuUsage();
  target(input);
  const c = process.cpuUsage(c0);
  const ms = (c.user + c.system) / 1000;
  if (ms > maxMs) throw new Error(`took ${ms.toFixed(0)} ms of CPU (limit ${maxMs} ms)`);
}

function runTarget(name: string, o: Opts): { ok: boolean; runs: number; message?: string } {
  const target = TARGETS[name]!;
  const seeds = corpus(name);
  const heap0 = process.memoryUsage().heapUsed;
  let runs = 0;
  const r = fc.check(
    fc.property(inputs(seeds), (b) => {
      runs++;
      checkOne(target, b, o.maxMs);
      if ((runs & 1023) === 0) {
        const grown = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
        if (grown > o.maxHeapMb) {
          global.gc?.();
          const after = (process.memoryUsage().heapUsed - heap0) / 2 ** 20;
          if (after > o.maxHeapMb) throw new Error(`heap grew by ${after.toFixed(0)} MB (limit ${o.maxHeapMb} MB)`);
        }
      }
    }),
    { seed: o.seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: o.seconds * 1000, markInterruptAsFailure: false },
  );
  if (!r.failed) return { ok: true, runs };
  const input = r.counterexample?.[0] as Buffer | undefined;
  let saved = '';
  if (input) {
    const dir = path.join(CORPUS_DIR, name);
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `crash-${crypto.createHash('sha1').update(input).digest('hex')}`);
    fs.writeFileSync(file, input);
    saved = ` input saved as ${path.relative(root, file)} (${input.length} bytes, hex ${input.subarray(0, 64).toString('hex')}${input.length > 64 ? '…' : ''})`;
  }
  const err = r.errorInstance instanceof Error ? r.errorInstance.stack ?? r.errorInstance.message : String(r.errorInstance);
  return { ok: false, runs, message: `seed ${o.seed}, path ${r.counterexamplePath}:${saved}\n${err}` };
}

function main(): void {
  const o = parseArgs(process.argv.slice(2));
  let pass = 0;
  let fail = 0;
  console.log(`fuzz: ${o.targets.length} targets × ${o.seconds} s, seed ${o.seed}, limits ${o.maxMs} ms and ${o.maxHeapMb} MB per input`);
  for (const name of o.targets) {
    const t0 = Date.now();
    const r = runTarget(name, o);
    const s = ((Date.now() - t0) / 1000).toFixed(1);
    if (r.ok) {
      pass++;
      console.log(`ok ${name}: ${r.runs} inputs in ${s} s (${corpus(name).length} seeds), no finding`);
    } else {
      fail++;
      console.log(`not ok ${name}: finding after ${r.runs} inputs in ${s} s: ${r.message}`);
    }
  }
  console.log(`${pass} passed, ${fail} failed`);
  process.exitCode = fail ? 1 : 0;
}

if (require.main === module) main();
