/**
 * Helpers for hostile-traffic labs: run test/support/flood in a namespace (bounded, killed by
 * pid at teardown), and capture frames on the lab bridge with tcpdump (timestamps in seconds).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Lab, LabHost } from './netns';
import { tmpDir } from './daemon';
import { onLines, tcpdumpTime } from './lines';

export interface FloodResult {
  sent: number;
  failed: number;
  seconds: number;
  pps: number;
}

const FLOOD = path.resolve(__dirname, 'flood.js');

/** Send `frames` in turn from `host` at `pps` for `seconds`; resolves with the achieved rate. */
export async function runFlood(lab: Lab, host: LabHost, frames: Buffer[], pps: number, seconds: number): Promise<FloodResult> {
  const dir = tmpDir(`flood-${host.name}`);
  lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
  const spec = path.join(dir, 'spec.json');
  fs.writeFileSync(spec, JSON.stringify({ ifname: host.ifname, pps, seconds, frames: frames.map((f) => f.toString('hex')) }));
  const cp = lab.spawn(host.ns, [process.execPath, FLOOD, spec]);
  let out = '';
  let err = '';
  cp.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  cp.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const kill = setTimeout(() => cp.kill('SIGKILL'), (seconds + 30) * 1000);
    cp.on('exit', (c) => {
      clearTimeout(kill);
      resolve(c);
    });
  });
  const line = out.trim().split('\n').pop() ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`flood failed (${code}): ${err.trim()} ${out.trim()}`);
  return JSON.parse(line) as FloodResult;
}

export interface Capture {
  /** Matching lines so far: capture time (s) and the text. */
  lines: Array<{ t: number; text: string }>;
  stop(): void;
}

/** tcpdump on the lab bridge with a BPF filter; `-tt` timestamps, link-level headers with `-e`. */
export function captureBridge(lab: Lab, filter: string, extra: string[] = []): Capture {
  const cp = lab.spawn(lab.bridgeNs, ['tcpdump', '-i', 'br0', '-n', '-tt', '-l', '-U', ...extra, filter]);
  const lines: Capture['lines'] = [];
  onLines(cp.stdout, (text) => {
    const t = tcpdumpTime(text);
    if (t !== undefined) lines.push({ t, text });
  });
  return { lines, stop: () => cp.kill('SIGTERM') };
}

/** The MAC of a lab host's eth0. */
export async function macOf(lab: Lab, host: LabHost): Promise<string> {
  const r = await lab.exec(host.ns, ['cat', `/sys/class/net/${host.ifname}/address`]);
  return r.stdout.trim();
}
