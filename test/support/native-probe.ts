/**
 * A tiny program the native-* integration tests run inside lab namespaces to exercise the
 * addon through the real adapters. Every mode prints JSON lines on stdout and exits by itself
 * (exit 0) once its work is done and its sockets are closed, so a leaked uv handle shows up
 * as a probe that never exits.
 *
 *   recv FAMILY IFNAME GROUP|- MS           print {"packet":...} lines until SIGUSR2 or MS ms, then close
 *   send FAMILY IFNAME DST SRC HEX COUNT GROUP|- LISTEN_MS
 *                                           send COUNT times; keep reading LISTEN_MS (loopback check)
 *   sendsoon FAMILY IFNAME DST SRC HEX COUNT
 *                                           COUNT sendSoon() in one run, the last payload byte numbering them
 *   garp IFNAME IP MAC                      one gratuitous ARP
 *   na IFNAME IP MAC ROUTER(0|1)            one unsolicited NA
 *   syslog IDENT PRIORITY TEXT              one syslog line
 */
import { NativeVrrpSocketFactory } from '../../src/net/vrrp-socket';
import { PacketAnnouncer } from '../../src/net/announce';
import { syslog, closeSyslog } from '../../src/net/syslog';
import type { Family, ReceivedPacket } from '../../src/net/ports';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Lab } from './netns';

/** Local poll helper: importing netns.ts here would install its signal handlers in the probe. */
async function waitFor<T>(fn: () => T, timeoutMs: number, intervalMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** This file compiled (dist/test/support/native-probe.js). */
const PROBE_JS = join(__dirname, 'native-probe.js');

function out(obj: unknown): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function packetJson(p: ReceivedPacket): Record<string, unknown> {
  return { ...p, data: p.data.toString('hex') };
}

function family(s: string | undefined): Family {
  if (s !== 'inet' && s !== 'inet6') throw new Error(`family must be inet or inet6, not ${s}`);
  return s;
}

function recv(args: string[]): void {
  const [fam, ifname, group, ms] = args;
  const sock = new NativeVrrpSocketFactory().open({ family: family(fam), ifname: ifname ?? '', group: group === '-' ? undefined : group });
  sock.onPacket((p) => out({ packet: packetJson(p) }));
  sock.onError((e) => out({ error: e.message }));
  out({ ready: true, ifindex: sock.ifindex });
  // Close after MS at the latest, or as soon as the test sends SIGUSR2 (ProbeRun.stop). Once the
  // socket is closed nothing else holds the loop, so the process must exit on its own.
  const stop = (): void => {
    clearTimeout(timer);
    process.removeListener('SIGUSR2', stop);
    out({ stats: sock.stats() });
    sock.close();
  };
  const timer = setTimeout(stop, Number(ms ?? 5000));
  process.on('SIGUSR2', stop);
}

function send(args: string[]): void {
  const [fam, ifname, dst, src, hex, count, group, listenMs] = args;
  const sock = new NativeVrrpSocketFactory().open({ family: family(fam), ifname: ifname ?? '', group: group === '-' ? undefined : group });
  let received = 0;
  sock.onPacket((p) => {
    received++;
    out({ ownPacket: packetJson(p) });
  });
  sock.onError((e) => out({ error: e.message, code: (e as { code?: string }).code }));
  const payload = Buffer.from(hex ?? '', 'hex');
  for (let i = 0; i < Number(count ?? 1); i++) sock.send(payload, dst ?? '', src ?? '');
  setTimeout(() => {
    out({ sent: sock.stats().sent, sendErrors: sock.stats().sendErrors, received });
    sock.close();
  }, Number(listenMs ?? 0));
}

function sendSoon(args: string[]): void {
  const [fam, ifname, dst, src, hex, count] = args;
  const sock = new NativeVrrpSocketFactory().open({ family: family(fam), ifname: ifname ?? '' });
  sock.onError((e) => out({ error: e.message, code: (e as { code?: string }).code }));
  for (let i = 0; i < Number(count ?? 1); i++) {
    const payload = Buffer.from(hex ?? '', 'hex');
    payload[payload.length - 1] = i & 0xff;
    sock.sendSoon(payload, dst ?? '', src ?? '');
  }
  out({ queuedSent: sock.stats().sent });
  setImmediate(() => {
    out({ sent: sock.stats().sent, sendErrors: sock.stats().sendErrors });
    sock.close();
  });
}

function main(): void {
  const [mode, ...args] = process.argv.slice(2);
  switch (mode) {
    case 'recv':
      return recv(args);
    case 'send':
      return send(args);
    case 'sendsoon':
      return sendSoon(args);
    case 'garp': {
      const a = new PacketAnnouncer();
      a.gratuitousArp(args[0] ?? '', args[1] ?? '', args[2] ?? '');
      a.close();
      return out({ done: true });
    }
    case 'na': {
      const a = new PacketAnnouncer();
      a.unsolicitedNa(args[0] ?? '', args[1] ?? '', args[2] ?? '', args[3] === '1');
      a.close();
      return out({ done: true });
    }
    case 'syslog':
      syslog(Number(args[1]), args[0] ?? 'probe', args[2] ?? '');
      closeSyslog();
      return out({ done: true });
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

if (require.main === module) {
  try {
    main();
  } catch (e) {
    const err = e as { message?: string; code?: string; errno?: number; syscall?: string };
    out({ thrown: err.message, code: err.code, errno: err.errno, syscall: err.syscall });
    process.exitCode = 2;
  }
}

/** Test side: a probe running in a namespace, its JSON lines, and bounded waits on them. */
export class ProbeRun {
  readonly lines: Array<Record<string, unknown>> = [];
  stderr = '';
  private partial = '';
  exitCode: number | null = null;
  private readonly exited: Promise<number | null>;

  constructor(readonly cp: ChildProcess) {
    cp.stdout?.on('data', (d: Buffer) => {
      this.partial += d.toString();
      const parts = this.partial.split('\n');
      this.partial = parts.pop() ?? '';
      for (const l of parts) if (l.trim()) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    });
    cp.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => {
      cp.on('exit', (code) => {
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  /** Start `native-probe.js ARGS` inside ns (killed at lab teardown if it hangs). */
  static start(lab: Lab, ns: string, args: string[]): ProbeRun {
    return new ProbeRun(lab.spawn(ns, [process.execPath, PROBE_JS, ...args]));
  }

  find(key: string): Array<Record<string, unknown>> {
    return this.lines.filter((l) => key in l).map((l) => l[key] as Record<string, unknown>);
  }

  async waitLine(key: string, timeoutMs: number): Promise<Record<string, unknown> | undefined> {
    return waitFor(() => this.find(key)[0], timeoutMs, 20);
  }

  /** Ask a `recv` probe to close its socket now (it then exits by itself). */
  stop(): void {
    if (this.exitCode === null && this.cp.pid) process.kill(this.cp.pid, 'SIGUSR2');
  }

  /** Exit code, or 'timeout' if the process is still running after timeoutMs. */
  async waitExit(timeoutMs: number): Promise<number | null | 'timeout'> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const r = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    return r;
  }
}

/** Run a probe to completion (bounded) and return its lines. */
export async function runProbe(lab: Lab, ns: string, args: string[], timeoutMs = 10_000): Promise<ProbeRun> {
  const p = ProbeRun.start(lab, ns, args);
  await p.waitExit(timeoutMs);
  return p;
}
