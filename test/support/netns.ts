/**
 * Network-namespace lab for integration tests: one bridge namespace and N host namespaces,
 * each host with a veth named eth0 plugged into the bridge. Everything carries a prefix
 * unique to this process, and teardown (registered with the test, and on process exit)
 * kills spawned processes by pid and deletes every namespace, even when the test fails.
 */
import { execFile, execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface LabHost {
  name: string; // h1, h2, ...
  ns: string;
  ifname: string; // always eth0 inside the namespace
  ipv4: string; // 192.0.2.N
  ipv6: string; // 2001:db8::N
  index: number; // 1-based
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface TeardownHost {
  teardown(fn: () => unknown): void;
}

let counter = 0;
const live = new Set<Lab>();

function sh(cmd: string, args: string[], timeoutMs = 20_000): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

async function must(cmd: string, args: string[]): Promise<string> {
  const r = await sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Remove namespaces left by earlier test processes that died before their teardown ran. */
export function sweepStaleNamespaces(): void {
  let out = '';
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return;
  }
  for (const line of out.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^tk(\d+)x/.exec(name);
    if (m && !pidAlive(Number(m[1]))) {
      try {
        execFileSync('ip', ['netns', 'del', name]);
      } catch {
        /* already gone */
      }
    }
  }
}

export class Lab {
  readonly prefix: string;
  readonly bridgeNs: string;
  readonly hosts: LabHost[] = [];
  private readonly procs = new Set<ChildProcess>();
  private readonly namespaces: string[] = [];
  private destroyed = false;

  private constructor(prefix: string) {
    this.prefix = prefix;
    this.bridgeNs = `${prefix}br`;
  }

  /** Build the lab; `t` (a tap test) gets a teardown so cleanup happens even on failure. */
  static async create(t: TeardownHost | null, opts: { hosts: number }): Promise<Lab> {
    sweepStaleNamespaces();
    const lab = new Lab(`tk${process.pid}x${counter++}`);
    live.add(lab);
    if (t) t.teardown(() => lab.destroy());
    try {
      await lab.addNs(lab.bridgeNs);
      await must('ip', ['-n', lab.bridgeNs, 'link', 'add', 'br0', 'type', 'bridge']);
      await must('ip', ['-n', lab.bridgeNs, 'link', 'set', 'br0', 'up']);
      for (let i = 1; i <= opts.hosts; i++) await lab.addHost();
    } catch (e) {
      await lab.destroy();
      throw e;
    }
    return lab;
  }

  private async addNs(ns: string): Promise<void> {
    await must('ip', ['netns', 'add', ns]);
    this.namespaces.push(ns);
    await must('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    // No DAD: lab addresses must be usable at once, and no one else is on these links.
    await sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
  }

  async addHost(): Promise<LabHost> {
    const index = this.hosts.length + 1;
    const ns = `${this.prefix}h${index}`;
    await this.addNs(ns);
    await must('ip', ['-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `p${index}`, 'netns', this.bridgeNs]);
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', `p${index}`, 'master', 'br0', 'up']);
    const host: LabHost = { name: `h${index}`, ns, ifname: 'eth0', ipv4: `192.0.2.${index}`, ipv6: `2001:db8::${index}`, index };
    await must('ip', ['-n', ns, 'addr', 'add', `${host.ipv4}/24`, 'dev', 'eth0']);
    await must('ip', ['-n', ns, 'addr', 'add', `${host.ipv6}/64`, 'dev', 'eth0', 'nodad']);
    await must('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    this.hosts.push(host);
    return host;
  }

  host(i: number): LabHost {
    const h = this.hosts[i - 1];
    if (!h) throw new Error(`no host ${i}`);
    return h;
  }

  /** Run a command inside a namespace and wait for it (bounded). */
  exec(ns: string, argv: string[], timeoutMs = 20_000): Promise<ExecResult> {
    return sh('ip', ['netns', 'exec', ns, ...argv], timeoutMs);
  }

  /** Start a long-running process inside a namespace; it is killed at teardown by pid. */
  spawn(ns: string, argv: string[], opts: SpawnOptions = {}): ChildProcess {
    const cp = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.procs.add(cp);
    cp.on('exit', () => this.procs.delete(cp));
    return cp;
  }

  /** Bring the host's side of its link down (the cable is pulled) or up. */
  async setLink(host: LabHost, up: boolean): Promise<void> {
    await must('ip', ['-n', this.bridgeNs, 'link', 'set', `p${host.index}`, up ? 'up' : 'down']);
  }

  async setHostIf(host: LabHost, up: boolean): Promise<void> {
    await must('ip', ['-n', host.ns, 'link', 'set', host.ifname, up ? 'up' : 'down']);
  }

  /** Addresses on eth0 of a host, as CIDR strings. */
  async addresses(host: LabHost, ifname = host.ifname): Promise<string[]> {
    const r = await this.exec(host.ns, ['ip', '-j', 'addr', 'show', 'dev', ifname]);
    if (r.code !== 0) return [];
    const parsed = JSON.parse(r.stdout) as Array<{ addr_info?: Array<{ local: string; prefixlen: number }> }>;
    return parsed.flatMap((l) => (l.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`));
  }

  async hasAddress(host: LabHost, ip: string, ifname = host.ifname): Promise<boolean> {
    return (await this.addresses(host, ifname)).some((a) => a.split('/')[0] === ip);
  }

  private readonly cleanups: Array<() => void> = [];
  /** Run `fn` at teardown, after the lab's processes are gone (e.g. remove their files). */
  onDestroy(fn: () => void): void {
    this.cleanups.push(fn);
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    await killAll([...this.procs]);
    // Anything still running inside the lab (a daemon's forked child whose parent is gone,
    // a script it started) is killed by namespace, and no pipe of ours keeps this test alive.
    for (const ns of this.namespaces) {
      const r = await sh('ip', ['netns', 'pids', ns]);
      for (const pid of r.stdout.split('\n').map(Number).filter((n) => n > 1)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    }
    for (const cp of this.procs) {
      cp.stdout?.destroy();
      cp.stderr?.destroy();
    }
    for (const ns of this.namespaces.reverse()) await sh('ip', ['netns', 'del', ns]);
    for (const fn of this.cleanups) {
      try {
        fn();
      } catch {
        /* best effort */
      }
    }
  }

  /** Synchronous variant for process 'exit'. */
  destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const cp of this.procs) if (cp.pid) killTree(cp.pid, 'SIGKILL');
    for (const ns of this.namespaces.reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns]);
      } catch {
        /* gone */
      }
    }
  }
}

/** `ip netns exec` execs the target, so the pid is the program's; still, kill its children too. */
function killTree(pid: number, sig: NodeJS.Signals): void {
  try {
    const kids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).split('\n').filter(Boolean);
    for (const k of kids) killTree(Number(k), sig);
  } catch {
    /* no children */
  }
  try {
    process.kill(pid, sig);
  } catch {
    /* already exited */
  }
}

export async function killAll(procs: ChildProcess[], graceMs = 1500): Promise<void> {
  const running = procs.filter((p) => p.exitCode === null && p.signalCode === null && p.pid);
  for (const p of running) killTree(p.pid as number, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (running.some((p) => p.exitCode === null && p.signalCode === null) && Date.now() < deadline) {
    await sleep(50);
  }
  for (const p of running) if (p.exitCode === null && p.signalCode === null) killTree(p.pid as number, 'SIGKILL');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `fn` until it returns a truthy value or the deadline passes; returns the value or undefined. */
export async function waitFor<T>(fn: () => Promise<T> | T, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Collect a process's output so tests can wait for log lines. */
export class OutputWatcher {
  text = '';
  constructor(cp: ChildProcess) {
    cp.stdout?.on('data', (d: Buffer) => (this.text += d.toString()));
    cp.stderr?.on('data', (d: Buffer) => (this.text += d.toString()));
  }
  has(re: RegExp | string): boolean {
    return typeof re === 'string' ? this.text.includes(re) : re.test(this.text);
  }
  count(re: RegExp): number {
    return (this.text.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')) ?? []).length;
  }
  waitFor(re: RegExp | string, timeoutMs: number): Promise<boolean | undefined> {
    return waitFor(() => this.has(re), timeoutMs);
  }
}

process.on('exit', () => {
  for (const lab of live) lab.destroySync();
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    for (const lab of live) lab.destroySync();
    process.exit(130);
  });
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}
