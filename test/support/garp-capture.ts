/**
 * Gratuitous ARPs (sender IP == target IP, or a reply) read from a `tcpdump -n -tt -l -U arp`
 * process's stdout. The caller starts tcpdump (lab.spawn, so the lab kills it by pid).
 */
import type { ChildProcess } from 'node:child_process';

export const GARP_TCPDUMP_ARGS = ['-n', '-tt', '-l', '-U', 'arp'];

export class GarpCapture {
  readonly garps: Array<{ t: number; ip: string }> = [];
  private buf = '';
  constructor(private cp: ChildProcess) {
    cp.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let i: number;
      while ((i = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, i);
        this.buf = this.buf.slice(i + 1);
        const m = /^(\d+\.\d+) ARP, (?:Request who-has (\S+)(?: \([^)]*\))? tell (\S+),|Reply (\S+) is-at)/.exec(line);
        if (m && (m[4] || m[2] === m[3])) this.garps.push({ t: Number(m[1]), ip: (m[4] ?? m[2]) as string });
      }
    });
  }
  stop(): void {
    this.cp.kill('SIGTERM');
  }
}
