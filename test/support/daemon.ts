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

/** A tmpDir of mode 0755 (scripts run as another user reach what is in it), removed when the lab is destroyed. */
export function labDir(lab: Lab, tag: string): string {
  const dir = tmpDir(tag);
  fs.chmodSync(dir, 0o755);
  lab.onDestroy(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
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

export interface InstanceOpts {
  name?: string;
  state?: 'MASTER' | 'BACKUP';
  priority: number;
  vrid?: number;
  /** The virtual_ipaddress block's lines (default 192.0.2.100/24); `vips` gives them as a list. */
  vip?: string;
  vips?: string[];
  advertInt?: number;
  version?: 2 | 3;
  /** Keyword lines inside the instance, before virtual_ipaddress. */
  extra?: string;
  iface?: string;
}

/** One vrrp_instance block (VI_1, BACKUP, eth0, VRID 51, advert_int 1 unless given). */
export function vrrpInstance(o: InstanceOpts): string {
  return `vrrp_instance ${o.name ?? 'VI_1'} {
  state ${o.state ?? 'BACKUP'}
  interface ${o.iface ?? 'eth0'}
  virtual_router_id ${o.vrid ?? 51}
  priority ${o.priority}
  advert_int ${o.advertInt ?? 1}
  ${o.version ? `version ${o.version}` : ''}
  ${o.extra ?? ''}
  virtual_ipaddress {
    ${o.vips ? o.vips.join('\n    ') : (o.vip ?? '192.0.2.100/24')}
  }
}
`;
}

/**
 * A plain keepalived.conf for tests: global_defs (router_id `routerId`, default test, plus the
 * `global` lines), then the top-level `blocks` (vrrp_script, track_file, static_* ...), then one
 * vrrp_instance (vrrpInstance).
 */
export function vrrpConfig(o: InstanceOpts & { global?: string; routerId?: string; blocks?: string }): string {
  return `global_defs {
  router_id ${o.routerId ?? 'test'}
  ${o.global ?? ''}
}
${o.blocks ?? ''}${vrrpInstance(o)}`;
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

/**
 * What a SIGTERM during reloads must not do, read from the daemon's output (the text from the
 * signal on): no reload may start after "Stopping" ("Reloading ..."), and a reload may complete
 * after it only if it was already applying the new configuration ("Reloading") when the signal
 * came (it finishes, then the cleanup removes what it set). Returns the problems found.
 */
export function reloadAfterStopProblems(text: string): string[] {
  const at = text.indexOf('Stopping');
  if (at < 0) return ['no "Stopping" line'];
  const before = text.slice(0, at);
  const after = text.slice(at);
  const problems: string[] = [];
  if (after.includes('Reloading ...')) problems.push('a reload started after "Stopping"');
  const applying = before.lastIndexOf('Reloading\n') > before.lastIndexOf('Reload complete');
  if (!applying && /Reload complete|setting VIPs/.test(after)) problems.push('a reload that was not yet applying was applied after "Stopping"');
  return problems;
}
