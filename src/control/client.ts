/**
 * The client subcommands of the `keepalived` binary (ours), which never start a daemon:
 *
 *   keepalived status [INSTANCE|GROUP] [--json]
 *   keepalived standby INSTANCE|GROUP [--force]
 *   keepalived resume INSTANCE|GROUP
 *   keepalived reload
 *   keepalived dump
 *
 * each with --socket PATH (or -s NAME / -p PIDFILE to find the socket the daemon uses).
 * Exit status: 0 done, 1 refused by the daemon, 2 usage error, 3 no daemon reachable.
 */
import net from 'node:net';
import { encodeRequest, LineSplitter, parseResponse, type Command, type Response } from './protocol';
import { controlSocketPath } from './paths';
import type { StatusDoc } from '../observe/status';
import { formatStatus, stateText } from '../observe/status-text';

export const SUBCOMMANDS: readonly string[] = ['status', 'standby', 'resume', 'reload', 'dump'];

export interface ClientIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

export interface ClientArgs {
  cmd: Command;
  target?: string;
  json: boolean;
  force: boolean;
  socket: string;
  timeoutMs: number;
}

export const CLIENT_USAGE = `Usage: keepalived status [INSTANCE|GROUP] [--json] [--socket PATH]
       keepalived standby INSTANCE|GROUP [--force] [--socket PATH]
       keepalived resume INSTANCE|GROUP [--socket PATH]
       keepalived reload [--socket PATH]
       keepalived dump [--socket PATH]
  --socket PATH     control socket (default /run/keepalived/control.sock, or the one
                    -s NAME / -p PIDFILE imply, as for the daemon)
  --json            status as JSON (stable, documented in README.md)
  --force           standby even when no other router is seen
  --timeout SECS    how long to wait for the daemon (default 30)
`;

export function parseClientArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): { ok: true; args: ClientArgs } | { ok: false; message: string } {
  const cmd = argv[0] as Command;
  let target: string | undefined;
  let json = false;
  let force = false;
  let socket: string | undefined;
  let namespace: string | undefined;
  let pidFile: string | undefined;
  let timeoutMs = 30_000;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    const [flag, inline] = a.startsWith('--') && eq > 0 ? [a.slice(0, eq), a.slice(eq + 1)] : [a, undefined];
    const value = (): string | undefined => inline ?? argv[++i];
    if (flag === '--json') json = true;
    else if (flag === '--force' || flag === '-f') force = true;
    else if (flag === '--socket') socket = value();
    else if (flag === '-s' || flag === '--namespace') namespace = value();
    else if (flag === '-p' || flag === '--pid') pidFile = value();
    else if (flag === '--timeout') timeoutMs = Number(value()) * 1000;
    else if (flag === '-h' || flag === '--help') return { ok: false, message: '' };
    else if (a.startsWith('-')) return { ok: false, message: `Unknown option ${a}` };
    else if (target === undefined) target = a;
    else return { ok: false, message: `Unexpected argument ${a}` };
  }
  if (socket === '' || (argv.includes('--socket') && socket === undefined)) return { ok: false, message: '--socket needs a PATH' };
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) return { ok: false, message: '--timeout needs a number of seconds' };
  if ((cmd === 'standby' || cmd === 'resume') && target === undefined) return { ok: false, message: `${cmd} needs an instance or sync group name` };
  if ((cmd === 'reload' || cmd === 'dump') && target !== undefined) return { ok: false, message: `${cmd} takes no argument` };
  if (json && cmd !== 'status') return { ok: false, message: '--json only applies to status' };
  if (force && cmd !== 'standby') return { ok: false, message: '--force only applies to standby' };
  const path = socket ?? controlSocketPath({ env: env.TSKEEPALIVED_CONTROL_SOCKET, namespace, pidFile });
  const args: ClientArgs = { cmd, json, force, socket: path, timeoutMs };
  if (target !== undefined) args.target = target;
  return { ok: true, args };
}

export type Exchange = { ok: true; response: Response } | { ok: false; message: string };

/** One request, one response over the socket. */
export function exchange(socketPath: string, line: string, timeoutMs: number): Promise<Exchange> {
  return new Promise((resolve) => {
    const sock = net.connect(socketPath);
    const lines = new LineSplitter();
    let done = false;
    const finish = (r: Exchange): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, message: `no answer from the daemon on ${socketPath} within ${timeoutMs / 1000} s` }), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(line));
    sock.on('data', (chunk: string) => {
      const first = lines.push(chunk)[0];
      if (first === undefined) return;
      const r = parseResponse(first);
      finish(r ? { ok: true, response: r } : { ok: false, message: `the daemon sent something that is not a response: ${first.slice(0, 200)}` });
    });
    sock.on('end', () => finish({ ok: false, message: `the daemon closed ${socketPath} without answering` }));
    sock.on('error', (e: NodeJS.ErrnoException) => finish({ ok: false, message: connectError(e, socketPath) }));
  });
}

export function connectError(e: NodeJS.ErrnoException, p: string): string {
  switch (e.code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied on control socket ${p}: it is root-only, run this command as root`;
    case 'ENOENT':
      return `no control socket at ${p}: is keepalived running? (--socket PATH, -s NAME or -p PIDFILE to find another)`;
    case 'ECONNREFUSED':
      return `nothing listens on control socket ${p}: keepalived is not running (stale socket)`;
    default:
      return `cannot reach keepalived on ${p}: ${e.message}`;
  }
}

function printResult(a: ClientArgs, result: unknown, io: ClientIo): void {
  switch (a.cmd) {
    case 'status': {
      const doc = result as StatusDoc;
      io.out(a.json ? `${JSON.stringify(doc, null, 2)}\n` : formatStatus(doc, { detailed: a.target !== undefined }));
      return;
    }
    case 'standby':
    case 'resume': {
      const r = result as { instances: Array<{ name: string; state: string; standby: boolean }>; pending?: boolean };
      for (const i of r.instances) io.out(`${i.name}: ${stateText({ state: i.state, standby: i.standby } as never)}\n`);
      if (r.pending) io.out('the handover is still under way; see keepalived status\n');
      return;
    }
    case 'reload': {
      const r = result as { warnings: string[] };
      for (const w of r.warnings) io.err(`${w}\n`);
      io.out('configuration reloaded\n');
      return;
    }
    case 'dump': {
      const r = result as { files: Record<string, string> };
      for (const [k, f] of Object.entries(r.files)) io.out(`${k}: ${f}\n`);
      return;
    }
  }
}

export async function runClient(argv: readonly string[], io: ClientIo): Promise<number> {
  const parsed = parseClientArgs(argv);
  if (!parsed.ok) {
    if (parsed.message) io.err(`keepalived ${argv[0] ?? ''}: ${parsed.message}\n`);
    io.err(CLIENT_USAGE);
    return parsed.message ? 2 : 0;
  }
  const a = parsed.args;
  const req: Parameters<typeof encodeRequest>[0] = { id: 1, cmd: a.cmd };
  if (a.target !== undefined) req.target = a.target;
  if (a.force) req.force = true;
  const r = await exchange(a.socket, encodeRequest(req), a.timeoutMs);
  if (!r.ok) {
    io.err(`keepalived ${a.cmd}: ${r.message}\n`);
    return 3;
  }
  const resp = r.response;
  if (!resp.ok) {
    io.err(`keepalived ${a.cmd}: ${resp.error.message} [${resp.error.code}]\n`);
    if (Array.isArray(resp.error.details)) for (const d of resp.error.details) io.err(`  ${String(d)}\n`);
    return 1;
  }
  printResult(a, resp.result, io);
  return 0;
}
