/**
 * Targets for the fuzzing engine's own test (test/integration/fuzz-engine.test.ts), never run
 * against the product. `magic` throws only for inputs starting "FUZZ": four nested byte tests,
 * each a new block, so coverage guidance reaches it in thousands of inputs where blind random
 * inputs would need about 2^32. `spin` never returns for inputs starting "H"; `hog` keeps 256 MB for inputs starting "M";
 * `quiet` never fails.
 */
export function magic(d: Buffer): void {
  if (d.length < 4 || d[0] !== 0x46) return;
  if (d[1] !== 0x55) return;
  if (d[2] !== 0x5a) return;
  if (d[3] !== 0x5a) return;
  throw new Error('canary: input starts with FUZZ');
}

export function spin(d: Buffer): void {
  if (d[0] === 0x48) for (;;);
}

const kept: number[][] = [];
export function hog(d: Buffer): void {
  if (d[0] === 0x4d) for (let i = 0; i < 32; i++) kept.push(new Array<number>(2 ** 20).fill(i)); // 8 MB each
}

export function quiet(d: Buffer): void {
  let n = 0;
  for (const b of d) if (b & 1) n++;
  if (n > d.length) throw new Error('unreachable');
}

export const TARGETS: Record<string, (d: Buffer) => void> = { magic, spin, hog, quiet };
