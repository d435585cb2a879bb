/**
 * keepalived 2.2 command-line flags (keepalived(8) and `keepalived --help`), getopt_long style:
 * bundled short flags (`-nlD`), `-fFILE`/`-f FILE`, `--use-file=FILE`/`--use-file FILE`,
 * optional arguments only attached (`-tFILE`, `--config-test=FILE`), unique prefixes of long
 * names (`--dont-f`). `-T/--genhash` hands every later argument to genhash. Pure: the host
 * name (default config id) is passed in.
 */

export interface CliOptions {
  configFile: string;
  vrrpOnly: boolean;
  checkOnly: boolean;
  noBfd: boolean;
  all: boolean;
  logConsole: boolean;
  logDetail: boolean;
  logFacility: string;
  logFile?: string;
  flushLogFile: boolean;
  noSyslog: boolean;
  releaseVips: boolean;
  dontReleaseVrrp: boolean;
  dontReleaseIpvs: boolean;
  dontRespawn: boolean;
  dontFork: boolean;
  dumpConf: boolean;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
  bfdPidFile: string;
  addressMonitoring: boolean;
  namespace?: string;
  allConfig: boolean;
  configId: string;
  snmp: boolean;
  snmpAgentSocket?: string;
  umask?: number;
  coreDump: boolean;
  coreDumpPattern?: string;
  configTest: boolean;
  /** -t=FILE: diagnostics go to FILE instead of stderr. */
  configTestFile?: string;
  signum?: string;
  genhash: boolean;
  /** Everything after -T/--genhash, for the genhash option parser. */
  genhashArgs: string[];
  version: boolean;
  help: boolean;
  perf?: string;
  debug?: string;
  noMemCheck: boolean;
  ignoreSigint: boolean;
  /** Ours: print the validated model as JSON and exit. */
  dumpConfig: boolean;
  /** Ours: pino JSON logs on the console. */
  logJson: boolean;
  /** Which of -p/-r/-c/-b were given (by long name), so a namespace moves only the defaults. */
  explicitPidFiles: string[];
}

export type ArgsResult = { ok: true; options: CliOptions } | { ok: false; message: string };

type ArgKind = 'none' | 'required' | 'optional';

interface OptSpec {
  long: string;
  short?: string;
  arg: ArgKind;
  /** Applies the option; returns an error message when the value is invalid. */
  set: (o: CliOptions, value: string | undefined) => string | void;
}

type BoolKey = { [K in keyof CliOptions]-?: CliOptions[K] extends boolean ? K : never }[keyof CliOptions];

const flag =
  (key: BoolKey) =>
  (o: CliOptions): void => {
    o[key] = true;
  };

const FACILITY_RE = /^([0-7]|local[0-7]|user|daemon)$/;

export const OPTIONS: readonly OptSpec[] = [
  { long: 'use-file', short: 'f', arg: 'required', set: (o, v) => void (o.configFile = v as string) },
  { long: 'vrrp', short: 'P', arg: 'none', set: flag('vrrpOnly') },
  { long: 'check', short: 'C', arg: 'none', set: flag('checkOnly') },
  { long: 'no_bfd', short: 'B', arg: 'none', set: flag('noBfd') },
  { long: 'all', arg: 'none', set: flag('all') },
  { long: 'log-console', short: 'l', arg: 'none', set: flag('logConsole') },
  { long: 'log-detail', short: 'D', arg: 'none', set: flag('logDetail') },
  {
    long: 'log-facility',
    short: 'S',
    arg: 'required',
    set: (o, v) => {
      if (!FACILITY_RE.test(v as string)) return `Invalid log facility '${v}'`;
      o.logFacility = v as string;
    },
  },
  { long: 'log-file', short: 'g', arg: 'optional', set: (o, v) => void (o.logFile = v ?? '/tmp/keepalived.log') },
  { long: 'flush-log-file', arg: 'none', set: flag('flushLogFile') },
  { long: 'no-syslog', short: 'G', arg: 'none', set: flag('noSyslog') },
  { long: 'release-vips', short: 'X', arg: 'none', set: flag('releaseVips') },
  { long: 'dont-release-vrrp', short: 'V', arg: 'none', set: flag('dontReleaseVrrp') },
  { long: 'dont-release-ipvs', short: 'I', arg: 'none', set: flag('dontReleaseIpvs') },
  { long: 'dont-respawn', short: 'R', arg: 'none', set: flag('dontRespawn') },
  { long: 'dont-fork', short: 'n', arg: 'none', set: flag('dontFork') },
  { long: 'dump-conf', short: 'd', arg: 'none', set: flag('dumpConf') },
  { long: 'pid', short: 'p', arg: 'required', set: (o, v) => void (o.pidFile = v as string) },
  { long: 'vrrp_pid', short: 'r', arg: 'required', set: (o, v) => void (o.vrrpPidFile = v as string) },
  { long: 'checkers_pid', short: 'c', arg: 'required', set: (o, v) => void (o.checkersPidFile = v as string) },
  { long: 'bfd_pid', short: 'b', arg: 'required', set: (o, v) => void (o.bfdPidFile = v as string) },
  { long: 'address-monitoring', short: 'a', arg: 'none', set: flag('addressMonitoring') },
  { long: 'namespace', short: 's', arg: 'required', set: (o, v) => void (o.namespace = v as string) },
  { long: 'all-config', short: 'e', arg: 'none', set: flag('allConfig') },
  { long: 'config-id', short: 'i', arg: 'required', set: (o, v) => void (o.configId = v as string) },
  { long: 'snmp', short: 'x', arg: 'none', set: flag('snmp') },
  { long: 'snmp-agent-socket', short: 'A', arg: 'required', set: (o, v) => void (o.snmpAgentSocket = v as string) },
  {
    long: 'umask',
    short: 'u',
    arg: 'required',
    set: (o, v) => {
      const n = parseCNumber(v as string);
      if (n === undefined || n < 0 || n > 0o777) return `Invalid umask '${v}'`;
      o.umask = n;
    },
  },
  { long: 'core-dump', short: 'm', arg: 'none', set: flag('coreDump') },
  { long: 'core-dump-pattern', short: 'M', arg: 'optional', set: (o, v) => void ((o.coreDump = true), (o.coreDumpPattern = v ?? 'core')) },
  {
    long: 'config-test',
    short: 't',
    arg: 'optional',
    set: (o, v) => {
      o.configTest = true;
      if (v !== undefined) o.configTestFile = v;
    },
  },
  { long: 'signum', arg: 'required', set: (o, v) => void (o.signum = v as string) },
  { long: 'genhash', short: 'T', arg: 'none', set: flag('genhash') },
  { long: 'version', short: 'v', arg: 'none', set: flag('version') },
  { long: 'help', short: 'h', arg: 'none', set: flag('help') },
  { long: 'perf', arg: 'optional', set: (o, v) => void (o.perf = v ?? 'run') },
  { long: 'debug', arg: 'optional', set: (o, v) => void (o.debug = v ?? '') },
  { long: 'no-mem-check', arg: 'none', set: flag('noMemCheck') },
  { long: 'ignore-sigint', arg: 'none', set: flag('ignoreSigint') },
  { long: 'dump-config', arg: 'none', set: flag('dumpConfig') },
  { long: 'log-json', arg: 'none', set: flag('logJson') },
];

/** strtol(s, 0): 0x… hex, leading 0 octal, else decimal. */
export function parseCNumber(s: string): number | undefined {
  if (/^0[xX][0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^0[0-7]*$/.test(s)) return parseInt(s, 8);
  if (/^[1-9][0-9]*$/.test(s)) return parseInt(s, 10);
  return undefined;
}

export function defaultOptions(hostname: string): CliOptions {
  return {
    configFile: '/etc/keepalived/keepalived.conf',
    vrrpOnly: false,
    checkOnly: false,
    noBfd: false,
    all: false,
    logConsole: false,
    logDetail: false,
    logFacility: 'daemon',
    flushLogFile: false,
    noSyslog: false,
    releaseVips: false,
    dontReleaseVrrp: false,
    dontReleaseIpvs: false,
    dontRespawn: false,
    dontFork: false,
    dumpConf: false,
    pidFile: '/run/keepalived.pid',
    vrrpPidFile: '/run/keepalived_vrrp.pid',
    checkersPidFile: '/run/keepalived_checkers.pid',
    bfdPidFile: '/run/keepalived_bfd.pid',
    addressMonitoring: false,
    allConfig: false,
    configId: hostname.split('.')[0] || hostname,
    snmp: false,
    coreDump: false,
    configTest: false,
    genhash: false,
    genhashArgs: [],
    version: false,
    help: false,
    noMemCheck: false,
    ignoreSigint: false,
    dumpConfig: false,
    logJson: false,
    explicitPidFiles: [],
  };
}

function findLong(name: string): OptSpec | string {
  const exact = OPTIONS.find((o) => o.long === name);
  if (exact) return exact;
  const prefixed = OPTIONS.filter((o) => o.long.startsWith(name));
  if (prefixed.length === 1) return prefixed[0] as OptSpec;
  if (prefixed.length > 1) return `Option '--${name}' is ambiguous`;
  return `Unknown option --${name}`;
}

/** Parses argv (without node and script). Never throws. */
export function parseArgs(argv: readonly string[], hostname: string): ArgsResult {
  const o = defaultOptions(hostname);
  const explicit = new Set<string>();
  let i = 0;
  const apply = (spec: OptSpec, value: string | undefined): string | undefined => {
    explicit.add(spec.long);
    return spec.set(o, value) ?? undefined;
  };
  while (i < argv.length) {
    const a = argv[i++] as string;
    if (a === '--') {
      if (i < argv.length) return { ok: false, message: `Unknown argument ${argv[i]}` };
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = findLong(name);
      if (typeof spec === 'string') return { ok: false, message: spec };
      let value: string | undefined = eq >= 0 ? a.slice(eq + 1) : undefined;
      if (spec.arg === 'none' && value !== undefined) return { ok: false, message: `Option --${spec.long} does not take a parameter` };
      if (spec.arg === 'required' && value === undefined) {
        if (i >= argv.length) return { ok: false, message: `Missing parameter for option --${spec.long}` };
        value = argv[i++];
      }
      const err = apply(spec, value);
      if (err) return { ok: false, message: err };
      if (spec.long === 'genhash') {
        o.genhashArgs = argv.slice(i);
        break;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let k = 1;
      let stop = false;
      while (k < a.length) {
        const ch = a[k++] as string;
        const spec = OPTIONS.find((s) => s.short === ch);
        if (!spec) return { ok: false, message: `Unknown option -${ch}` };
        let value: string | undefined;
        if (spec.arg !== 'none' && k < a.length) {
          value = a.slice(k); // rest of the bundle is the argument
          k = a.length;
        } else if (spec.arg === 'required') {
          if (i >= argv.length) return { ok: false, message: `Missing parameter for option -${ch}` };
          value = argv[i++];
        }
        const err = apply(spec, value);
        if (err) return { ok: false, message: err };
        if (spec.long === 'genhash') {
          o.genhashArgs = [...(k < a.length ? [`-${a.slice(k)}`] : []), ...argv.slice(i)];
          stop = true;
          break;
        }
      }
      if (stop) break;
      continue;
    }
    return { ok: false, message: `Unknown argument ${a}` };
  }
  o.explicitPidFiles = PID_FLAGS.filter((f) => explicit.has(f));
  return { ok: true, options: o.namespace === undefined ? o : withNamespace(o, o.namespace) };
}

const PID_FLAGS = ['pid', 'vrrp_pid', 'checkers_pid', 'bfd_pid'];

/** The directory of a namespace's default pid files (keepalived 2.2.7, observed: /run/keepalived/NAME). */
export const namespacePidDir = (ns: string): string => `/run/keepalived/${ns}`;

/**
 * Options for running in network namespace `ns` (-s NAME, or net_namespace NAME in the config):
 * the pid files not given explicitly move to /run/keepalived/NAME/, named as keepalived 2.2.7
 * names them there (observed: keepalived.pid, vrrp.pid; keepalived(8) says keepalived_NAME, but
 * 2.2.7 bind-mounts /run/keepalived/NAME on /run/keepalived in its own mount namespace).
 */
export function withNamespace(o: CliOptions, ns: string): CliOptions {
  const dir = namespacePidDir(ns);
  const given = (f: string): boolean => o.explicitPidFiles.includes(f);
  return {
    ...o,
    namespace: ns,
    pidFile: given('pid') ? o.pidFile : `${dir}/keepalived.pid`,
    vrrpPidFile: given('vrrp_pid') ? o.vrrpPidFile : `${dir}/vrrp.pid`,
    checkersPidFile: given('checkers_pid') ? o.checkersPidFile : `${dir}/checkers.pid`,
    bfdPidFile: given('bfd_pid') ? o.bfdPidFile : `${dir}/bfd.pid`,
  };
}

export const USAGE = `Usage: keepalived [OPTION...]
  -f, --use-file=FILE          Use the specified configuration file
                                default '/etc/keepalived/keepalived.conf'
  -P, --vrrp                   Only run with VRRP subsystem
  -C, --check                  Only run with Health-checker subsystem
  -B, --no_bfd                 Don't run BFD subsystem
      --all                    Force all child processes to run, even if have no configuration
  -l, --log-console            Log messages to local console
  -D, --log-detail             Detailed log messages
  -S, --log-facility=([0-7]|local[0-7]|user|daemon)
                               Set syslog facility to LOG_LOCAL[0-7], user or daemon (default)
  -g, --log-file=FILE          Also log to FILE (default /tmp/keepalived.log)
      --flush-log-file         Flush log file on write
  -G, --no-syslog              Don't log via syslog
  -u, --umask=MASK             umask for file creation (in numeric form)
  -X, --release-vips           Drop VIP on transition from signal.
  -V, --dont-release-vrrp      Don't remove VRRP VIPs and VROUTEs on daemon stop
  -I, --dont-release-ipvs      Don't remove IPVS topology on daemon stop
  -R, --dont-respawn           Don't respawn child processes
  -n, --dont-fork              Don't fork the daemon process
  -d, --dump-conf              Dump the configuration data
  -p, --pid=FILE               Use specified pidfile for parent process
  -r, --vrrp_pid=FILE          Use specified pidfile for VRRP child process
  -T, --genhash                Enter into genhash utility mode (this should be the first option used).
  -c, --checkers_pid=FILE      Use specified pidfile for checkers child process
  -a, --address-monitoring     Report all address additions/deletions notified via netlink
  -b, --bfd_pid=FILE           Use specified pidfile for BFD child process
  -x, --snmp                   Enable SNMP subsystem (not supported by tskeepalived)
  -A, --snmp-agent-socket=FILE Use the specified socket for master agent
  -s, --namespace=NAME         Run in network namespace NAME (overrides config)
  -m, --core-dump              Produce core dump if terminate abnormally
  -M, --core-dump-pattern=PATN Also set /proc/sys/kernel/core_pattern to PATN (default 'core')
  -e, --all-config             Error if any configuration file missing (same as includea)
  -i, --config-id id           Skip any configuration lines beginning '@' that don't match id
                                or any lines beginning @^ that do match.
                                The config-id defaults to the node name if option not used
      --signum=SIGFUNC         Return signal number for STOP, RELOAD, DATA, STATS, STATS_CLEAR, JSON
  -t, --config-test[=LOG_FILE] Check the configuration for obvious errors, output to
                                stderr by default
      --dump-config            Check the configuration and print the validated model as JSON
      --log-json               Log to the console as JSON (pino)
  -v, --version                Display the version number
  -h, --help                   Display this help message
`;
