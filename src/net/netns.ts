/**
 * Entering a named network namespace (`net_namespace NAME`, `-s NAME`), as `ip netns add NAME`
 * makes them: a bind mount at /run/netns/NAME. setns() moves only the calling thread (Node's JS
 * thread), so this must run before any socket, netlink channel or libuv pool thread exists:
 * threads created afterwards (the pool, which also vforks the daemon's scripts) and children
 * inherit the namespace; threads created earlier (V8's platform workers) never open sockets.
 */
import fs from 'node:fs';
import { loadNative, type NativeAddon } from './native';

/** Where `ip netns` keeps named namespaces (keepalived opens the same path). */
export const NETNS_RUN_DIR = '/run/netns';

export type EnterResult =
  /** fd: the namespace, left open for children spawned from threads older than the setns. */
  | { ok: true; path: string; fd: number }
  | { ok: false; path: string; stage: 'open' | 'setns'; code: string; message: string };

export interface NetnsIo {
  open(path: string): number;
  close(fd: number): void;
  setns(fd: number): void;
}

export const realNetnsIo = (addon: () => NativeAddon = loadNative): NetnsIo => ({
  open: (p) => fs.openSync(p, 'r'), // libuv opens with O_CLOEXEC
  close: (fd) => fs.closeSync(fd),
  setns: (fd) => addon().setNetns(fd),
});

const failure = (path: string, stage: 'open' | 'setns', e: unknown): EnterResult => ({
  ok: false,
  path,
  stage,
  code: (e as { code?: string }).code ?? 'EIO',
  message: (e as Error).message,
});

/** Moves the calling thread into network namespace `name`; never throws. */
export function enterNetNamespace(name: string, io: NetnsIo = realNetnsIo()): EnterResult {
  const path = `${NETNS_RUN_DIR}/${name}`;
  // A name is one path component, as ip-netns(8) requires: never a way out of /run/netns.
  if (name === '' || name === '.' || name === '..' || name.includes('/')) {
    return { ok: false, path, stage: 'open', code: 'EINVAL', message: 'invalid namespace name' };
  }
  let fd: number;
  try {
    fd = io.open(path);
  } catch (e) {
    return failure(path, 'open', e);
  }
  try {
    io.setns(fd);
    return { ok: true, path, fd };
  } catch (e) {
    io.close(fd);
    return failure(path, 'setns', e);
  }
}
