/**
 * Gratuitous ARPs (sender IP == target IP, or a reply) read from a `tcpdump -n -tt -l -U arp`
 * process's stdout. The caller starts tcpdump (lab.spawn, so the lab kills it by pid).
 */
import type { ChildProcess } from 'node:child_process';
import { onLines } from './lines';
import type { Lab } from './netns';
import { WireCapture } from '../../scripts/bench/wire-capture';

export const GARP_TCPDUMP_ARGS = ['-n', '-tt', '-l', '-U', 'arp'];

export class GarpCapture {
  readonly garps: Array<{ t: number; ip: string }> = [];
  constructor(private cp: ChildProcess) {
    onLines(cp.stdout, (line) => {
      const m = /^(\d+\.\d+) ARP, (?:Request who-has (\S+)(?: \([^)]*\))? tell (\S+),|Reply (\S+) is-at)/.exec(line);
      if (m && (m[4] || m[2] === m[3])) this.garps.push({ t: Number(m[1]), ip: (m[4] ?? m[2]) as string });
    });
  }
  stop(): void {
    this.cp.kill('SIGTERM');
  }
}

/**
 * VRRP adverts (WireCapture) and gratuitous ARPs on the lab bridge, both stopped at teardown;
 * resolves once tcpdump is attached.
 */
export async function bridgeAdvertsAndGarps(t: { teardown(fn: () => void): void }, lab: Lab): Promise<{ cap: WireCapture; arp: GarpCapture }> {
  const cap = new WireCapture(lab.bridgeNs);
  const arp = new GarpCapture(lab.spawn(lab.bridgeNs, ['tcpdump', '-i', 'br0', ...GARP_TCPDUMP_ARGS], { stdio: ['ignore', 'pipe', 'ignore'] }));
  t.teardown(() => {
    cap.stop();
    arp.stop();
  });
  await cap.ready();
  return { cap, arp };
}
