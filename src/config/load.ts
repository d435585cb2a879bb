/**
 * keepalived.conf → validated Model. Pipeline: parser (A1: preprocess + tree) → build (keyword
 * tables → JSON) → schema (ajv: types, ranges, defaults) → resolve (units, inheritance) →
 * validate (cross references, semantic warnings). Never throws on user input; the model is
 * returned unless a fatal diagnostic was reported (errors leave a fixed-up model, as keepalived
 * runs after fixing up).
 */
import { configuredNetNamespace } from './net-namespace';
import type { ConfigNode } from './ast';
import { Diagnostics, type Diagnostic } from './diagnostics';
import { buildFromTable, type Json, type RawLine } from './build';
import { topTable } from './keywords/top';
import type { Model, VrrpInstance, VrrpSyncGroup } from './model';
import { nearest } from './suggest';
import { parseConfigFile, parseConfigText, type ParseOptions } from './parser';
import type { Raw } from './resolve-common';
import { resolveGlobal, resolveScript, resolveTrackFile, resolveTrackProcess } from './resolve-global';
import { parseRoute, parseRule, parseVip } from './resolve-lines';
import { assignRulePreferences } from './rule-preference';
import { parseUpDownDelay, resolveGarpGroup } from './resolve-delays';
import { resolveBfdInstance } from './resolve-bfd';
import { resolveVirtualServer, resolveVsg } from './resolve-lvs';
import { resolveInstance, resolveSyncGroup } from './resolve-vrrp';
import { validateSchema } from './schema';
import { checkInterfaces, type InterfaceLookup } from './interfaces';
import { scriptsInUse, validateModel } from './validate';

export interface LoadOptions extends ParseOptions {
  /**
   * Whether a script's executable exists. keepalived drops scripts whose file is missing, so only
   * existing ones count for the enable_script_security check (and -t exit 6). The CLI passes an
   * fs-based check; without it every configured script counts (the config core does no I/O).
   */
  scriptExists?: (path: string) => boolean;
  /**
   * Whether an interface exists (and is not a loopback): with it, every interface the config
   * names is checked as keepalived does (config/interfaces). The CLI's -t and the daemon pass
   * the host's; without it nothing is checked.
   */
  interfaceExists?: InterfaceLookup;
}

export interface LoadResult {
  model?: Model;
  diagnostics: Diagnostic[];
  /** Every file read (main file first). */
  files: string[];
  /** The parsed tree, for what reads keywords the model does not hold (runtime/dump-paths). */
  nodes: readonly ConfigNode[];
}

export function loadConfig(path: string, opts: LoadOptions): LoadResult {
  const parsed = parseConfigFile(path, opts);
  return finish(parsed.nodes, parsed.diagnostics, parsed.files, opts);
}

export function loadConfigText(text: string, fileName: string, opts: LoadOptions): LoadResult {
  const parsed = parseConfigText(text, fileName, opts);
  return finish(parsed.nodes, parsed.diagnostics, parsed.files, opts);
}

function finish(nodes: ConfigNode[], parseDiags: Diagnostic[], files: string[], opts: LoadOptions): LoadResult {
  const diags = new Diagnostics();
  diags.items.push(...parseDiags);
  const model = modelFromNodes(nodes, diags, opts.scriptExists);
  if (opts.interfaceExists && !diags.hasFatal()) checkInterfaces(model, diags, opts.interfaceExists);
  return { model: diags.hasFatal() ? undefined : model, diagnostics: inFileOrder(diags.items, files), files, nodes };
}

/**
 * The interface check of loadConfig, on a result loaded without one (the reload parses on a
 * worker thread; interfaces are looked up on the main thread): same diagnostics, same order.
 */
export function withInterfaceCheck(r: LoadResult, lookup: InterfaceLookup): LoadResult {
  if (!r.model) return r;
  const diags = new Diagnostics();
  diags.items.push(...r.diagnostics);
  checkInterfaces(r.model, diags, lookup);
  return { model: diags.hasFatal() ? undefined : r.model, diagnostics: inFileOrder(diags.items, r.files), files: r.files, nodes: r.nodes };
}

/** Stable sort by (file as read, line, col) so `-t` output reads top to bottom; unlocated last. */
function inFileOrder(items: Diagnostic[], files: string[]): Diagnostic[] {
  const rank = (d: Diagnostic): [number, number, number] => {
    if (!d.loc) return [Infinity, 0, 0];
    const f = files.indexOf(d.loc.file);
    return [f < 0 ? files.length : f, d.loc.line, d.loc.col];
  };
  return items
    .map((d, i) => ({ d, i, k: rank(d) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || a.k[2] - b.k[2] || a.i - b.i)
    .map((x) => x.d);
}

const list = <T>(v: unknown, f: (r: Raw) => T | undefined): T[] => ((v ?? []) as Raw[]).map(f).filter((x): x is T => x !== undefined);

/** keepalived 2.2.7 keeps the first top-level net_namespace: "Duplicate net_namespace definition NAME - ignoring". */
function firstNetNamespace(root: Json, nodes: readonly ConfigNode[], diags: Diagnostics): void {
  const all = nodes.filter((n) => n.keyword === 'net_namespace' && n.block === undefined && n.args[0] !== undefined);
  for (const n of all.slice(1)) diags.warn('ERR_CONFIG_DUPLICATE_NETNS', `Duplicate net_namespace definition ${n.args[0] as string} - ignoring`, n.loc);
  const first = configuredNetNamespace(nodes);
  if (first !== undefined) root.netNamespace = first;
}

/** Builds, schema-checks, resolves and validates a parsed tree; diagnostics go to `diags`. */
export function modelFromNodes(nodes: readonly ConfigNode[], diags: Diagnostics, scriptExists?: (path: string) => boolean): Model {
  const root = buildFromTable(nodes, topTable, diags);
  root.globalDefs ??= {};
  firstNetNamespace(root, nodes, diags);
  validateSchema(root, diags);
  return resolveModel(root, diags, filesInReadOrder(nodes), scriptExists);
}

/** The files the nodes came from, in the order they were read (the main file first). */
function filesInReadOrder(nodes: readonly ConfigNode[]): string[] {
  const seen = new Set<string>();
  const walk = (ns: readonly ConfigNode[]): void => {
    for (const n of ns) {
      seen.add(n.loc.file);
      if (n.block) walk(n.block);
    }
  };
  walk(nodes);
  return [...seen];
}

function resolveModel(root: Json, diags: Diagnostics, fileOrder: readonly string[], scriptExists?: (path: string) => boolean): Model {
  const globalDefs = resolveGlobal(root.globalDefs as Raw, diags);
  // net_namespace is a top-level keyword (keepalived's install_keyword_root); the model keeps it with the globals.
  if (root.netNamespace !== undefined) (globalDefs as { netNamespace?: string }).netNamespace = root.netNamespace as string;
  const ssl = root.ssl as Raw | undefined;
  // Resolved in file order of the usual layout, so diagnostics come out roughly top to bottom.
  const staticAddresses = ((root.staticIpaddress ?? []) as RawLine[]).map((l) => parseVip(l, diags)).filter((x) => x !== undefined);
  const staticRoutes = ((root.staticRoutes ?? []) as RawLine[]).map((l) => parseRoute(l, diags)).filter((x) => x !== undefined);
  const staticRules = ((root.staticRules ?? []) as RawLine[]).map((l) => parseRule(l, diags)).filter((x) => x !== undefined);
  const garpGroups = list(root.garpGroups, (r) => resolveGarpGroup(r));
  const staticTrackGroups = list(root.staticTrackGroups, (r) => ({ name: r.args[0] as string, loc: r.loc, members: ((r.group ?? []) as RawLine[]).flatMap((l) => l.args) }));
  const interfaceUpDownDelays = ((root.interfaceUpDownDelays ?? []) as RawLine[]).map((l) => parseUpDownDelay(l, diags)).filter((x) => x !== undefined);
  // An instance without virtual_router_id was reported by the schema; keepalived drops it.
  const instances = list(root.vrrpInstances, (r) => (r.vrid === undefined ? undefined : resolveInstance(r, globalDefs, diags)));
  const vsgs = list(root.virtualServerGroups, (r) => resolveVsg(r, diags));
  const syncGroups = knownMembers(list(root.vrrpSyncGroups, (r) => resolveSyncGroup(r, diags)), instances, diags);
  assignRulePreferences([...staticRules, ...instances.flatMap((vi) => vi.virtualRules)], fileOrder, diags);
  const partial: Omit<Model, 'hasScripts'> = {
    globalDefs,
    // A vrrp_script without a script line is dropped, as keepalived 2.2.7 does (config/schema says so).
    vrrpScripts: list(root.vrrpScripts, (r) => (r.script === undefined ? undefined : resolveScript(r, diags))),
    trackFiles: list(root.trackFiles, (r) => resolveTrackFile(r, diags)),
    trackProcesses: list(root.trackProcesses, (r) => resolveTrackProcess(r, diags)),
    bfdInstances: list(root.bfdInstances, (r) => resolveBfdInstance(r, diags)),
    vrrpInstances: withSyncGroups(instances, syncGroups),
    vrrpSyncGroups: syncGroups,
    staticAddresses,
    staticRoutes,
    staticRules,
    ...(interfaceUpDownDelays.length ? { interfaceUpDownDelays } : {}),
    ...(garpGroups.length ? { garpGroups } : {}),
    ...(staticTrackGroups.length ? { staticTrackGroups } : {}),
    virtualServerGroups: vsgs,
    virtualServers: list(root.virtualServers, (r) => resolveVirtualServer(r, diags, vsgs)),
    ...(ssl ? { sslConfig: { password: ssl.password, ca: ssl.ca, certificate: ssl.certificate, key: ssl.key, loc: ssl.loc } } : {}),
  };
  const scripts = scriptsInUse(partial).filter((s) => !scriptExists || (s.argv[0] !== undefined && scriptExists(s.argv[0])));
  const model: Model = { ...partial, hasScripts: scripts.length > 0 };
  validateModel(model, diags);
  return model;
}

/**
 * Sync groups as keepalived 2.2.7 keeps them (observed with -t, each a config error): an unknown
 * member is dropped ("Virtual router VI_X specified in sync group G1 doesn't exist - ignoring"), a
 * group left with one member is kept with a warning, one with none is removed.
 */
function knownMembers(groups: VrrpSyncGroup[], instances: readonly VrrpInstance[], diags: Diagnostics): VrrpSyncGroup[] {
  const names = new Set(instances.map((vi) => vi.name));
  const out: VrrpSyncGroup[] = [];
  for (const g of groups) {
    for (const m of g.members) {
      if (!names.has(m)) diags.error('ERR_CONFIG_UNKNOWN_INSTANCE', `Virtual router ${m} specified in sync group ${g.name} doesn't exist - ignoring`, g.loc, nearest(m, [...names]));
    }
    const members = g.members.filter((m) => names.has(m));
    if (members.length === 0) {
      diags.error('ERR_CONFIG_SYNC_GROUP_SIZE', `Sync group ${g.name} has no virtual router(s). removing`, g.loc);
      continue;
    }
    if (members.length === 1) diags.advise('ERR_CONFIG_SYNC_GROUP_SIZE', `Sync group ${g.name} has only 1 virtual router(s) - this probably isn't what you want`, g.loc);
    out.push(members.length === g.members.length ? g : { ...g, members });
  }
  return out;
}

function withSyncGroups(instances: VrrpInstance[], groups: readonly { name: string; members: readonly string[] }[]): VrrpInstance[] {
  const of = new Map<string, string>();
  for (const g of groups) for (const m of g.members) if (!of.has(m)) of.set(m, g.name);
  return instances.map((vi) => (of.has(vi.name) ? { ...vi, syncGroup: of.get(vi.name) } : vi));
}
