/**
 * Start our daemon (dist/src/cli/main.js) inside a lab host with a given config, in the
 * foreground with console logging, and watch its output. Processes are owned by the Lab
 * and killed at teardown.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { Lab, OutputWatcher, type LabHost } from './netns';

export const MAIN = path.resolve(__dirname, '../../src/cli/main.js');

/** The V8 flags of main.js's shebang: run the daemon exactly as the installed `keepalived` runs. */
export const NODE_FLAGS: string[] = (() => {
  try {
    const first = fs.readFileSync(MAIN, 'utf8').split('\n', 1)[0] ?? '';
    return first.split(' ').filter((w) => w.startsWith('--'));
  } catch {
    return [];
  }
})();

export interface RunningDaemon {
  host: LabHost;
  cp: ChildProcess;
  out: OutputWatcher;
  dir: string;
  conf: string;
  exited: Promise<number | null>;
}

export function tmpDir(tag: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `tk-${tag}-`));
}

export function startDaemon(lab: Lab, host: LabHost, config: string, extraArgs: string[] = [], dir = tmpDir(host.name)): RunningDaemon {
  const conf = path.join(dir, 'keepalived.conf');
  fs.writeFileSync(conf, config);
  const cp = lab.spawn(host.ns, [
    process.execPath, ...NODE_FLAGS, MAIN, '-n', '-l', '-D', '-G', '-f', conf,
    '-p', path.join(dir, 'keepalived.pid'), '-r', path.join(dir, 'vrrp.pid'), '-c', path.join(dir, 'checkers.pid'),
    ...extraArgs,
  ]);
  const out = new OutputWatcher(cp);
  const exited = new Promise<number | null>((r) => cp.on('exit', (code) => r(code)));
  return { host, cp, out, dir, conf, exited };
}

/** A plain keepalived.conf vrrp_instance for tests. */
export function vrrpConfig(o: {
  name?: string;
  state?: 'MASTER' | 'BACKUP';
  priority: number;
  vrid?: number;
  vip?: string;
  advertInt?: number;
  version?: 2 | 3;
  extra?: string;
  global?: string;
  iface?: string;
}): string {
  return `global_defs {
  router_id test
  ${o.global ?? ''}
}
vrrp_instance ${o.name ?? 'VI_1'} {
  state ${o.state ?? 'BACKUP'}
  interface ${o.iface ?? 'eth0'}
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.priority}
  advert_int ${o.advertInt ?? 1}
  ${o.version ? `version ${o.version}` : ''}
  ${o.extra ?? ''}
  virtual_ipaddress {
    ${o.vip ?? '192.0.2.100/24'}
  }
}
`;
}

/** On failure, print the daemons' logs into the TAP stream (so CI output explains it). */
export function logsOnFailure(t: { teardown(fn: () => void): void; passing(): boolean; comment(...a: unknown[]): void }, ...ds: RunningDaemon[]): void {
  t.teardown(() => {
    if (t.passing()) return;
    for (const d of ds) t.comment(`${d.host.name} log:\n${d.out.text}`);
  });
}

/**
 * The daemon has met `addr` as master: either it started as backup and saw its adverts
 * ("master set to"), or it was master first and yielded to it (start-order race in tests).
 */
export function seesMaster(d: RunningDaemon, addr: string, timeoutMs: number): Promise<boolean | undefined> {
  const a = addr.replace(/[.:]/g, (c) => `\\${c}`);
  return d.out.waitFor(new RegExp(`(master set to|Master received advert from) ${a}\\b`), timeoutMs);
}
