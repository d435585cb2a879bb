/**
 * `keepalived -t` exit status, as Debian's keepalived 2.2.7 binary returns it (measured; the
 * man page's table differs, and wrappers such as Ansible `validate:` test the binary's):
 *
 * | status | when |
 * |---|---|
 * | 0 | no errors (warnings only); also a missing `include` without -e, and even a missing main configuration file without -e |
 * | 4 | the main configuration file is missing, with -e/--all-config; an interface_up_down_delays line naming a missing interface |
 * | 5 | configuration errors (an out-of-range value, an unknown keyword, a missing `}`, an instance without virtual_router_id, ...), or an interface that does not exist |
 * | 6 | scripts configured without `enable_script_security` (this outranks configuration errors, but not a missing interface); a missing `include` with -e |
 *
 * test/interop/config-test-codes.test.ts runs a table of broken configurations through both
 * binaries and compares.
 */
import type { Diagnostic } from '../config/diagnostics';

export const EXIT_OK = 0;
export const EXIT_MISSING_CONFIG = 4;
export const EXIT_CONFIG = 5;
export const EXIT_SECURITY = 6;

const MAIN_FILE = 'ERR_CONFIG_FILE_NOT_FOUND';
const NO_INTERFACE = 'ERR_CONFIG_NO_INTERFACE';
const DELAY_NO_INTERFACE = 'ERR_CONFIG_DELAY_NO_INTERFACE';
const SECURITY = 'ERR_CONFIG_SCRIPT_SECURITY';
const INCLUDE_CODES = new Set(['ERR_CONFIG_INCLUDE_NOT_FOUND', 'ERR_CONFIG_INCLUDE_UNREADABLE']);

const isError = (d: Diagnostic): boolean => d.severity === 'error' || d.severity === 'fatal';

export function configTestStatus(diags: readonly Diagnostic[], opts: { allConfig?: boolean } = {}): number {
  if (diags.some((d) => d.code === MAIN_FILE)) return opts.allConfig ? EXIT_MISSING_CONFIG : EXIT_OK;
  if (diags.some((d) => d.code === NO_INTERFACE && isError(d))) return EXIT_CONFIG;
  if (diags.some((d) => d.code === DELAY_NO_INTERFACE)) return EXIT_MISSING_CONFIG;
  if (diags.some((d) => d.code === SECURITY)) return EXIT_SECURITY;
  // A missing include is an error only under -e (or includet); keepalived then exits 6.
  if (diags.some((d) => INCLUDE_CODES.has(d.code) && isError(d))) return EXIT_SECURITY;
  if (diags.some(isError)) return EXIT_CONFIG;
  return EXIT_OK;
}

/**
 * The daemon's exit status when it refuses its configuration at start-up, as Debian's keepalived
 * 2.2.7 daemon exits (observed with `keepalived -n -l -f`, not -t): 6 when the main file is
 * missing ("Config files missing"), 2 when an interface does not exist ("Non-existent interface
 * specified in configuration", then "exited with permanent error CONFIG"). keepalived starts
 * despite other errors (it uses its fallbacks, and so do we); what only we refuse (a config that
 * expands past our limits) exits 1.
 */
export const DAEMON_EXIT_FATAL = 1;
export const DAEMON_EXIT_CONFIG = 2;
export const DAEMON_EXIT_MISSING_CONFIG = 6;

export function daemonRefusalStatus(diags: readonly Diagnostic[]): number {
  if (diags.some((d) => d.code === MAIN_FILE)) return DAEMON_EXIT_MISSING_CONFIG;
  if (diags.some((d) => d.code === NO_INTERFACE && isError(d))) return DAEMON_EXIT_CONFIG;
  return DAEMON_EXIT_FATAL;
}
