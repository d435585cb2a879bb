/**
 * A probe's deadline that lets I/O already waiting be handled first. libuv runs due timers
 * before it polls for I/O, so after a busy stretch of the event loop (thousands of checks
 * starting at once) a connect or reply that completed in time would lose to its own timeout.
 * The verdict therefore waits one more poll phase (setImmediate runs right after it); a
 * result that arrived meanwhile settles the probe first and clear() drops the expiry.
 */
export interface Deadline {
  clear(): void;
}

export function deadline(ms: number, onExpiry: () => void): Deadline {
  let immediate: NodeJS.Immediate | undefined;
  const timer = setTimeout(() => {
    immediate = setImmediate(onExpiry);
  }, ms);
  return {
    clear: () => {
      clearTimeout(timer);
      if (immediate) clearImmediate(immediate);
    },
  };
}
