/**
 * For the tests that run INSIDE the IPVS VM (test/ipvs, `npm run test:ipvs`): the kernel table
 * as ipvsadm prints it, bounded polling, TCP listeners standing in for real servers, and our
 * daemon started directly (there is no lab there) with its output kept and shown on failure.
 */
import net from 'node:net';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';

/** `ipvsadm ARGS` (default -Ln), its output. */
export const ipvsadm = (...a: string[]): string => execFileSync('ipvsadm', a.length ? a : ['-Ln'], { encoding: 'utf8' });

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` every 100 ms for at most `ms`; its last answer. */
export async function until(fn: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (fn()) return true;
    await sleep(100);
  }
  return fn();
}

/** A TCP server on host:port that accepts and closes (a real server a TCP_CHECK finds up). */
export function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer((c) => c.end());
    s.once('error', reject);
    s.listen(port, host, () => resolve(s));
  });
}

export const close = (s: net.Server): Promise<void> => new Promise<void>((r) => s.close(() => r()));

/** Run a command, ignoring its failure (cleanup of what may already be gone). */
export function quiet(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
}

export interface VmProc {
  cp: ChildProcess;
  /** stdout and stderr so far. */
  out: () => string;
  exited: Promise<number | null>;
}

/** Start `argv`; at teardown it is SIGKILLed if still running, and its output printed if the test failed. */
export function startProc(t: { teardown(fn: () => void): void; passing(): boolean; comment(...a: unknown[]): void }, argv: string[]): VmProc {
  const cp = spawn(argv[0] as string, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  cp.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  cp.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => cp.on('exit', (c) => r(c)));
  t.teardown(() => {
    if (cp.exitCode === null && cp.signalCode === null) cp.kill('SIGKILL');
    if (!t.passing()) t.comment(out);
  });
  return { cp, out: () => out, exited };
}

/**
 * The two tests' real-server lab: lo up, a fresh veth pair `name`/`peer` up, 192.0.2.1, .11 and
 * .12 on `name`, and TCP listeners on .11:8080 and .12:8080; removed (listeners closed, veth
 * deleted) at teardown.
 */
export function realServerLab(t: { before(fn: () => Promise<void>): void; teardown(fn: () => Promise<void>): void }, name: string, peer: string): void {
  const servers: net.Server[] = [];
  t.before(async () => {
    execFileSync('ip', ['link', 'set', 'lo', 'up']);
    quiet('ip', ['link', 'del', name]);
    execFileSync('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', peer]);
    for (const a of ['192.0.2.1/24', '192.0.2.11/24', '192.0.2.12/24']) execFileSync('ip', ['addr', 'add', a, 'dev', name]);
    execFileSync('ip', ['link', 'set', name, 'up']);
    execFileSync('ip', ['link', 'set', peer, 'up']);
    servers.push(await listen('192.0.2.11', 8080), await listen('192.0.2.12', 8080));
  });
  t.teardown(async () => {
    for (const s of servers) await close(s);
    quiet('ip', ['link', 'del', name]);
  });
}
