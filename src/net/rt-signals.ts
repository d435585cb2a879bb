/**
 * Real-time signal handlers. keepalived's control signals include SIGRTMIN+2 (36 on Linux with
 * glibc: JSON dump) and SIGRTMAX-1 (63: clear statistics). Node's process.on() rejects
 * real-time signals, so these go through the addon's libuv uv_signal_t watcher. The watcher is
 * unref'd: listening for a signal never keeps the process alive. Callbacks run on the event
 * loop, never inside the signal handler, so they may do anything.
 */
import { loadNative, type NativeAddon } from './native';

/** glibc reserves 32 and 33 for its threads; these are the numbers a shell's `kill -RTMIN+2` uses. */
export const SIGRTMIN = 34;
export const SIGRTMAX = 64;
/** keepalived: JSON state dump (`kill -s RTMIN+2`). */
export const SIG_JSON_DUMP = SIGRTMIN + 2;
/** keepalived: clear VRRP statistics (`kill -s RTMAX-1`). */
export const SIG_STATS_CLEAR = SIGRTMAX - 1;

/**
 * Call cb on each delivery of signal `signum` (any number, real-time or not, 1..64).
 * Returns the function that stops watching (idempotent). Throws the addon's error (EINVAL)
 * for a number the kernel does not have.
 */
export function onRealtimeSignal(signum: number, cb: () => void, addon: NativeAddon = loadNative()): () => void {
  const handle = addon.watchSignal(signum, () => cb());
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    addon.unwatchSignal(handle);
  };
}
