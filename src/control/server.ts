/**
 * The control socket (ours): a unix stream socket, mode 0600 (root only), speaking the
 * line-delimited JSON of ./protocol.ts. Opened before the daemon starts VRRP, so a second
 * daemon on the same path refuses to start (a live socket answers a connect; a stale one is
 * removed). Every request and its outcome is logged; a malformed request gets an error reply
 * and the connection stays usable.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../observe/log';
import { errorResponse, LineSplitter, MAX_REQUEST_BYTES, okResponse, parseRequest, type ControlError, type ErrorCode, type Request } from './protocol';

export class ControlFailure extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export type ControlHandler = (req: Request) => Promise<unknown>;

export interface ControlServer {
  readonly path: string;
  setHandler(h: ControlHandler): void;
  close(): Promise<void>;
}

export type OpenResult = { ok: true; server: ControlServer } | { ok: false; message: string };

const IDLE_MS = 60_000;

function socketAnswers(p: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(p);
    const done = (v: boolean): void => {
      c.destroy();
      resolve(v);
    };
    c.once('connect', () => done(true));
    c.once('error', () => done(false));
    c.setTimeout(1000, () => done(true)); // something holds it but does not answer: treat as in use
  });
}

function describe(req: Request): string {
  return `${req.cmd}${req.target !== undefined ? ` ${req.target}` : ''}${req.force ? ' --force' : ''}`;
}

/** Opens the socket at `p`; refuses when another daemon already answers there. */
export async function openControlServer(p: string, log: Logger): Promise<OpenResult> {
  try {
    fs.mkdirSync(path.dirname(p), { recursive: true, mode: 0o755 });
  } catch (e) {
    return { ok: false, message: `Unable to create the directory of control socket ${p}: ${(e as Error).message}` };
  }
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(p);
  } catch {
    st = undefined;
  }
  if (st) {
    if (!st.isSocket()) return { ok: false, message: `Control socket path ${p} exists and is not a socket - not starting` };
    if (await socketAnswers(p)) return { ok: false, message: `Control socket ${p} is in use by another keepalived - not starting` };
    fs.rmSync(p, { force: true }); // stale: its daemon is gone
  }
  let handler: ControlHandler | undefined;
  const conns = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    conns.add(sock);
    sock.on('close', () => conns.delete(sock));
    serveConnection(sock, () => handler, log);
  });
  const oldMask = process.umask(0o177); // the socket is born 0600: no window where others may connect
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(p, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (e) {
    return { ok: false, message: `Unable to open control socket ${p}: ${(e as Error).message}` };
  } finally {
    process.umask(oldMask);
  }
  fs.chmodSync(p, 0o600);
  log.debug(`Control socket listening on ${p}`); // ours: -D only, as every line keepalived does not log
  return {
    ok: true,
    server: {
      path: p,
      setHandler: (h) => void (handler = h),
      close: () =>
        new Promise<void>((resolve) => {
          for (const c of conns) c.destroy();
          server.close(() => {
            fs.rmSync(p, { force: true });
            resolve();
          });
        }),
    },
  };
}

function serveConnection(sock: net.Socket, handler: () => ControlHandler | undefined, log: Logger): void {
  sock.setEncoding('utf8');
  sock.setTimeout(IDLE_MS, () => sock.destroy());
  sock.on('error', () => undefined);
  const lines = new LineSplitter();
  let queue = Promise.resolve();
  const reply = (text: string): void => {
    if (!sock.destroyed) sock.write(text);
  };
  let refused = false;
  sock.on('data', (chunk: string) => {
    if (refused) return; // after a too-long line: one reply, then the connection ends
    for (const line of lines.push(chunk)) queue = queue.then(() => answer(line, handler(), log, reply));
    if (lines.overflow) {
      refused = true;
      log.warn(`Control request refused: longer than ${MAX_REQUEST_BYTES} bytes`);
      queue = queue.then(() => {
        reply(errorResponse(undefined, { code: 'ERR_CONTROL_TOO_LONG', message: `request longer than ${MAX_REQUEST_BYTES} bytes` }));
        sock.end();
      });
    }
  });
}

async function answer(line: string, h: ControlHandler | undefined, log: Logger, reply: (s: string) => void): Promise<void> {
  const parsed = parseRequest(line);
  if (!parsed.ok) {
    log.warn(`Control request refused: ${parsed.error.code} ${parsed.error.message}`);
    reply(errorResponse(parsed.id, parsed.error));
    return;
  }
  const req = parsed.request;
  log.info(`Control request: ${describe(req)}`);
  if (!h) {
    log.warn(`Control request ${describe(req)} failed: daemon still starting`);
    reply(errorResponse(req.id, { code: 'ERR_CONTROL_NOT_RUNNING', message: 'the daemon is still starting' }));
    return;
  }
  try {
    const result = await h(req);
    log.info(`Control request ${describe(req)}: ok`);
    reply(okResponse(req.id, result));
  } catch (e) {
    const err: ControlError =
      e instanceof ControlFailure
        ? { code: e.code, message: e.message, ...(e.details !== undefined ? { details: e.details } : {}) }
        : { code: 'ERR_CONTROL_INTERNAL', message: (e as Error).message ?? String(e) };
    log.warn(`Control request ${describe(req)} failed: ${err.code} ${err.message}`);
    reply(errorResponse(req.id, err));
  }
}
