/**
 * FRR's bfdd (Debian `frr` 8.4) as a BFD peer in the namespace lab: started by hand with its
 * own pid file, vty and control sockets in a temporary directory (nothing in /run/frr),
 * configured from a file; its view is read with `vtysh -c 'show bfd peers [counters] json'`.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Lab, OutputWatcher, type LabHost } from './netns';
import { tmpDir } from './daemon';

export const BFDD = '/usr/lib/frr/bfdd';

export interface BfddPeerConf {
  peer: string;
  local: string;
  /** receive-interval / transmit-interval (ms). */
  intervalMs: number;
  multiplier?: number;
  /** A multihop peer (RFC 5883) and the minimum TTL it accepts. */
  multihop?: boolean;
  minimumTtl?: number;
}

export interface BfddPeer {
  peer: string;
  status: string;
  diagnostic?: string;
  'remote-diagnostic'?: string;
  [k: string]: unknown;
}

export interface Bfdd {
  cp: ChildProcess;
  out: OutputWatcher;
  dir: string;
  peers(): Promise<BfddPeer[]>;
  counters(): Promise<Array<Record<string, unknown>>>;
}

export function bfddConfig(peers: BfddPeerConf[]): string {
  const out = ['bfd'];
  for (const p of peers) {
    out.push(` peer ${p.peer}${p.multihop ? ' multihop' : ''} local-address ${p.local}`);
    out.push(`  receive-interval ${p.intervalMs}`, `  transmit-interval ${p.intervalMs}`, `  detect-multiplier ${p.multiplier ?? 3}`);
    if (p.minimumTtl !== undefined) out.push(`  minimum-ttl ${p.minimumTtl}`);
    out.push('  no shutdown', ' !');
  }
  out.push('!', '');
  return out.join('\n');
}

export function startBfdd(lab: Lab, host: LabHost, peers: BfddPeerConf[]): Bfdd {
  const dir = tmpDir(`bfdd-${host.name}`);
  fs.chmodSync(dir, 0o777); // bfdd drops to the frr user
  const conf = path.join(dir, 'bfdd.conf');
  fs.writeFileSync(conf, bfddConfig(peers));
  fs.chmodSync(conf, 0o644);
  const cp = lab.spawn(host.ns, [
    BFDD, '-f', conf, '-i', path.join(dir, 'bfdd.pid'), '--vty_socket', dir, '--bfdctl', path.join(dir, 'bfdd.sock'),
    '-z', path.join(dir, 'zserv.api'), '-u', 'frr', '-g', 'frr', '-A', '127.0.0.1', '-P', '0', '--log', 'stdout',
  ]);
  lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
  const vtysh = async (cmd: string): Promise<Array<Record<string, unknown>>> => {
    const r = await lab.exec(host.ns, ['vtysh', '--vty_socket', dir, '-c', cmd], 10_000);
    try {
      return JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    } catch {
      return [];
    }
  };
  return {
    cp,
    out: new OutputWatcher(cp),
    dir,
    peers: async () => (await vtysh('show bfd peers json')) as BfddPeer[],
    counters: () => vtysh('show bfd peers counters json'),
  };
}
