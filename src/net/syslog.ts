/**
 * Log lines to syslog through libc (openlog/syslog via the addon), so they land exactly where
 * keepalived's do: `Keepalived_vrrp[PID]: (VI_1) Entering MASTER STATE`. Used by
 * src/observe/log.ts unless -G. Never throws: a logger must not take the daemon down.
 */
import { loadNative, type NativeAddon } from './native';

let addon: NativeAddon | undefined;
let openIdent: string | undefined;
let unavailable = false;

/** For tests: use a specific addon (or a fake with the same shape). */
export function setSyslogAddon(a: NativeAddon | undefined): void {
  addon = a;
  openIdent = undefined;
  unavailable = false;
}

/**
 * priority = facility * 8 + severity (syslog(3) accepts the facility in the priority). The
 * connection is (re)opened with LOG_PID when the ident changes.
 */
export function syslog(priority: number, ident: string, text: string): void {
  if (unavailable) return;
  try {
    addon ??= loadNative();
    if (openIdent !== ident) {
      addon.openlog(ident, addon.constants.LOG_PID | addon.constants.LOG_NDELAY, addon.constants.LOG_DAEMON);
      openIdent = ident;
    }
    addon.syslog(priority, text);
  } catch {
    unavailable = true; // no addon: console/file logging still works
  }
}

export function closeSyslog(): void {
  if (addon && openIdent !== undefined) addon.closelog();
  openIdent = undefined;
}
