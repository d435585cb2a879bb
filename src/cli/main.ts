#!/usr/bin/env -S node --max-semi-space-size=2 --optimize-for-size
/**
 * The `keepalived` command: keepalived 2.2's flags, then one of the modes: --version, --help,
 * --signum, --genhash, --config-test / --dump-config, or the daemon. Messages go to stderr as
 * keepalived's do. The daemon and the config loader are required lazily so that each mode
 * works on its own (and `-t` starts fast).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { spawn as SpawnFn } from 'node:child_process';
import { namespacePidDir, parseArgs, USAGE, withNamespace, type CliOptions } from './args';
import { signum } from './signum';
import { removePidfile, writePidfile } from './pidfile';
import { formatDiagnostic, type Diagnostic } from '../config/diagnostics';
import type { InterfaceLookup } from '../config/interfaces';
import { configTestStatus } from './exit-status';

/** Subcommands that talk to a running daemon over its control socket (never start one). */
const CLIENT_COMMANDS: readonly string[] = ['status', 'standby', 'resume', 'reload', 'dump'];
const DEFAULT_CONFIG = '/etc/keepalived/keepalived.conf';
const LEGACY_CONFIG = '/etc/keepalived.conf';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
}

const processIo: Io = {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
};

function packageVersion(): string {
  try {
    // dist/src/cli/main.js → package.json three levels up; src/cli/main.ts (ts-node) two.
    for (const rel of ['../../../package.json', '../../package.json']) {
      const p = path.join(__dirname, rel);
      if (fs.existsSync(p)) return (JSON.parse(fs.readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.1.0';
    }
  } catch {
    // fall through
  }
  return '0.1.0';
}

export function versionText(): string {
  return [
    `Keepalived v2.2.7 (tskeepalived ${packageVersion()})`,
    '',
    'tskeepalived: keepalived (VRRP + LVS) reimplemented in TypeScript',
    `Running on ${os.type()} ${os.release()} (Node.js ${process.version})`,
    '',
  ].join('\n');
}

type LoadFn = (p: string, o: { configId: string; allConfig?: boolean; interfaceExists?: InterfaceLookup }) => { model?: unknown; diagnostics: Diagnostic[] };

/** Loaded lazily so that -v/-h/--signum never pay for the configuration language. */
function loader(): { load: LoadFn; hostInterface: InterfaceLookup } {
  const m = require('../runtime/config-files') as { loadConfigFile: LoadFn; hostInterface: InterfaceLookup };
  return { load: m.loadConfigFile, hostInterface: m.hostInterface };
}

/** What main() asks the host, replaceable in tests. */
export interface Deps {
  /** Whether an interface exists (default: the host's, asked through the addon). */
  interfaceExists?: InterfaceLookup;
  /** Enters a network namespace (default: setns through the addon, net/netns). */
  enterNamespace?: EnterFn;
}

export { configTestStatus } from './exit-status';

/** -f default with keepalived's deprecated fallback to /etc/keepalived.conf. */
function configPath(o: CliOptions): string {
  if (o.configFile === DEFAULT_CONFIG && !fs.existsSync(DEFAULT_CONFIG) && fs.existsSync(LEGACY_CONFIG)) return LEGACY_CONFIG;
  return o.configFile;
}

/**
 * Moves this (JS) thread into the run's network namespace before any socket or pool thread
 * exists. Failure: keepalived 2.2.7's two lines, and the caller stops with status 0 as it does.
 */
function enterRunNamespace(ns: string, say: (line: string) => void, enter = defaultEnter): boolean {
  const r = enter(ns);
  if (r.ok) return true;
  const lines = require('../observe/daemon-lines') as typeof import('../observe/daemon-lines');
  say(r.stage === 'open' ? lines.namespaceOpenFailed(r.path) : lines.namespaceSetFailed(ns, r.message));
  say(lines.namespaceExiting(ns));
  return false;
}

type EnterFn = (ns: string) => { ok: true } | { ok: false; stage: 'open' | 'setns'; path: string; message: string };
const defaultEnter: EnterFn = (ns) => (require('../net/netns') as typeof import('../net/netns')).enterNetNamespace(ns);

function runConfigTest(given: CliOptions, io: Io, deps: Deps): number {
  const o = resolveNamespace(given);
  // -t checks the interfaces where the daemon would run (keepalived -t enters the namespace too).
  if (o.namespace !== undefined && !enterRunNamespace(o.namespace, (l) => io.err(`${l}\n`), deps.enterNamespace)) return 0;
  const { load, hostInterface } = loader();
  const result = load(configPath(o), { configId: o.configId, allConfig: o.allConfig, interfaceExists: deps.interfaceExists ?? hostInterface });
  const text = result.diagnostics.map((d) => `${formatDiagnostic(d)}\n`).join('');
  if (o.configTestFile !== undefined) {
    try {
      fs.writeFileSync(o.configTestFile, text);
    } catch (e) {
      io.err(`Unable to open config test log file ${o.configTestFile}: ${(e as Error).message}\n`);
      io.err(text);
    }
  } else io.err(text);
  const status = configTestStatus(result.diagnostics, { allConfig: o.allConfig });
  if (o.dumpConfig && result.model !== undefined) io.out(`${JSON.stringify(result.model, null, 2)}\n`);
  return status;
}

/** node:child_process is loaded only by the modes that spawn (a foreground daemon never does here). */
const spawn = ((...a: Parameters<typeof SpawnFn>) => (require('node:child_process') as { spawn: typeof SpawnFn }).spawn(...a)) as typeof SpawnFn;

/** Without -n keepalived detaches; we re-run ourselves detached with --dont-fork and return. */
function daemonize(argv: readonly string[]): number {
  const child = spawn(process.execPath, [...process.execArgv, __filename, ...argv, '--dont-fork'], {
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
  return 0;
}

/** The configuration's top-level `net_namespace NAME`, read before the full load (parse only). */
function configuredNamespace(o: CliOptions): string | undefined {
  const { withDisk } = require('../runtime/config-files') as typeof import('../runtime/config-files');
  const { parseConfigFile } = require('../config/parser') as typeof import('../config/parser');
  const { configuredNetNamespace } = require('../config/net-namespace') as typeof import('../config/net-namespace');
  return configuredNetNamespace(parseConfigFile(configPath(o), withDisk({ configId: o.configId, allConfig: o.allConfig })).nodes);
}

/** -s NAME wins over the configuration's net_namespace (keepalived(8): "overrides config"). */
function resolveNamespace(o: CliOptions): CliOptions {
  if (o.namespace !== undefined) return o;
  const ns = configuredNamespace(o);
  return ns === undefined ? o : withNamespace(o, ns);
}

async function runDaemonMode(given: CliOptions, argv: readonly string[], io: Io): Promise<number> {
  if (!given.dontFork) return daemonize(argv);
  const o = resolveNamespace(given);
  const pid = writePidfile(o.pidFile);
  if (!pid.ok) {
    io.err(`${pid.message}\n`);
    return 1;
  }
  try {
    (require('../runtime/eager-compile') as typeof import('../runtime/eager-compile')).loadTakeoverPathEagerly();
    const { runDaemon } = require('../runtime/daemon') as { runDaemon: (opts: CliOptions) => Promise<number> };
    const code = await runDaemon({ ...o, configFile: configPath(o) });
    // The daemon is done; a handle it left open (log socket, netlink) must not keep us alive.
    setTimeout(() => process.exit(code), 500).unref();
    return code;
  } finally {
    removePidfile(o.pidFile);
    // keepalived 2.2.7 removes its namespace's pid directory at stop (only ever when empty here).
    if (o.namespace !== undefined) removeEmptyDir(namespacePidDir(o.namespace));
  }
}

function removeEmptyDir(dir: string): void {
  try {
    fs.rmdirSync(dir);
  } catch {
    /* not empty (another file, another daemon's) or already gone */
  }
}

/** Flags keepalived has for its C internals; accepted for compatibility, said to do nothing. */
export function unsupportedNotes(o: CliOptions): string[] {
  const notes: string[] = [];
  const say = (flag: string): number => notes.push(`${flag} is not supported by tskeepalived; ignored`);
  if (o.coreDumpPattern !== undefined) say('-M/--core-dump-pattern');
  else if (o.coreDump) say('-m/--core-dump');
  if (o.perf !== undefined) say('--perf');
  if (o.debug !== undefined) say('--debug');
  if (o.noMemCheck) say('--no-mem-check');
  if (o.snmpAgentSocket !== undefined) say('-A/--snmp-agent-socket');
  return notes;
}

/** The keyword summary of --help, generated from the keyword tables (loaded only for -h). */
function helpKeywordText(): string {
  return `\n${(require('../docs/reference') as typeof import('../docs/reference')).helpKeywordSummary()}`;
}

/** Runs the command; resolves to the exit status. */
export async function main(argv: readonly string[], io: Io = processIo, hostname: string = os.hostname(), deps: Deps = {}): Promise<number> {
  // Ours: `keepalived status|standby|resume|reload|dump` talk to the running daemon (src/control/client.ts).
  if (argv[0] !== undefined && CLIENT_COMMANDS.includes(argv[0])) {
    return (require('../control/client') as typeof import('../control/client')).runClient(argv, io);
  }
  const parsed = parseArgs(argv, hostname);
  if (!parsed.ok) {
    io.err(`${parsed.message}\n`);
    io.err(USAGE);
    return 1;
  }
  const o = parsed.options;
  // genhash (crypto, tls, net) is required only for --genhash.
  if (o.genhash) return (require('./genhash') as typeof import('./genhash')).runGenhash(o.genhashArgs, io.out, io.err);
  if (o.help) {
    io.err(USAGE);
    io.err(helpKeywordText());
    return 0;
  }
  if (o.version) {
    io.err(versionText());
    return 0;
  }
  if (o.signum !== undefined) {
    const n = signum(o.signum);
    if (n === undefined) {
      io.err(`Unknown sigfunc ${o.signum}\n`);
      return 1;
    }
    io.out(`${n}\n`);
    return 0;
  }
  if (o.snmp) io.err('SNMP is not supported by tskeepalived; continuing without it\n');
  for (const note of unsupportedNotes(o)) io.err(`${note}\n`);
  if (o.umask !== undefined) process.umask(o.umask);
  if (o.configTest || o.dumpConfig) return runConfigTest(o, io, deps);
  return runDaemonMode(o, argv, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`keepalived: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
