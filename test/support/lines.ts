/**
 * Text read line by line: a process's output as whole lines as they arrive (tcpdump, `ip -ts
 * monitor`), with the capture timestamps those print, and a file's non-empty lines.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { Lab } from './netns';

/** Call `fn` with each whole line `stream` produces (a piece without its newline waits for it). */
export function onLines(stream: Readable | null | undefined, fn: (line: string) => void): void {
  let buf = '';
  stream?.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      fn(line);
    }
  });
}

/** A process's stdout as (timestamp, line) rows; a line `parse` finds no time in is dropped. */
export class Lines {
  readonly rows: Array<{ t: number; line: string }> = [];
  constructor(readonly cp: ChildProcess, parse: (line: string) => number | undefined) {
    onLines(cp.stdout, (line) => {
      const t = parse(line);
      if (t !== undefined) this.rows.push({ t, line });
    });
  }
  stop(): void {
    this.cp.kill('SIGTERM');
  }
}

/** `1700000000.123456 IP ...` (tcpdump -tt): the capture time in seconds. */
export function tcpdumpTime(line: string): number | undefined {
  const m = /^(\d+\.\d+) /.exec(line);
  return m ? Number(m[1]) : undefined;
}

/** `[2026-12-02T18:59:01.123456] 3: eth0 inet 192.0.2.100/24 ...` (`ip -ts monitor`, TZ=UTC): seconds. */
export function ipTsTime(line: string): number | undefined {
  const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]/.exec(line);
  return m ? Date.parse(`${m[1]}Z`) / 1000 + Number(m[2]) / 1e6 : undefined;
}

/** tcpdump -tt on `iface` in namespace `ns` with a BPF filter (the lab kills it by pid). */
export function tcpdumpLines(lab: Lab, ns: string, iface: string, filter: string): Lines {
  return new Lines(lab.spawn(ns, ['tcpdump', '-i', iface, '-n', '-tt', '-l', '-U', filter], { stdio: ['ignore', 'pipe', 'ignore'] }), tcpdumpTime);
}

/** `ip -ts monitor address dev DEV` in namespace `ns`, timestamps in UTC (the lab kills it by pid). */
export function addressMonitor(lab: Lab, ns: string, dev = 'eth0'): Lines {
  return new Lines(lab.spawn(ns, ['ip', '-ts', 'monitor', 'address', 'dev', dev], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TZ: 'UTC' } }), ipTsTime);
}

/** The non-empty lines of `file`; none when it does not exist (yet). */
export function fileLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

/** A notify FIFO script in `dir` (reader.sh) that appends every line of the FIFO to dir/fifo.out. */
export function fifoCatScript(dir: string): { script: string; out: string } {
  const script = path.join(dir, 'reader.sh');
  const out = path.join(dir, 'fifo.out');
  fs.writeFileSync(script, `#!/bin/sh\nexec cat "$1" >> ${out}\n`, { mode: 0o755 });
  return { script, out };
}
