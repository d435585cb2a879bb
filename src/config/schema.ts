/**
 * The ajv JSON Schema of the built configuration, derived from the keyword tables so each
 * range, default and required keyword is written once (in config/keywords). Validation
 * applies defaults in place (useDefaults) and turns ajv errors into located diagnostics.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import type { Diagnostics } from './diagnostics';
import { LOCS, type Json } from './build';
import type { ConfigNode, Loc } from './ast';
import type { BlockTable, KwSpec } from './keywords/types';
import { topTable } from './keywords/top';
import { applyFallbacks, fallbackAction, fallbackNote, type Fallback, type PendingFallback } from './fallback';
import { schemaValid } from './schema-check';

type Schema = Record<string, unknown>;

const LINE: Schema = { type: 'object' };

function propSchema(kw: string, spec: KwSpec): Schema | undefined {
  const s: Schema = { 'x-kw': kw };
  switch (spec.kind) {
    case 'ignore':
      return undefined;
    case 'int':
    case 'num':
      s.type = spec.kind === 'int' ? 'integer' : 'number';
      if (spec.min !== undefined) s.minimum = spec.min;
      if (spec.max !== undefined) s.maximum = spec.max;
      if (spec.bareValue !== undefined) s.type = [s.type as string];
      break;
    case 'str':
      s.type = 'string';
      if (spec.enum) s.enum = [...spec.enum];
      break;
    case 'bool':
    case 'flag':
      s.type = 'boolean';
      break;
    case 'words':
      s.type = 'array';
      s.items = { type: 'string' };
      break;
    case 'script':
      s.type = 'object';
      s.required = ['command', 'argv'];
      break;
    case 'lines':
      if (spec.keepArgs) Object.assign(s, { type: 'object', required: ['args', 'lines'], properties: { lines: { type: 'array', items: LINE } } });
      else Object.assign(s, { type: 'array', items: LINE });
      break;
    case 'block':
      Object.assign(s, tableSchema(spec.block as BlockTable));
      break;
  }
  if (spec.default !== undefined) s.default = spec.default;
  if (spec.fallback !== undefined) s['x-fallback'] = spec.fallback;
  if (spec.repeat && !(spec.kind === 'lines' && !spec.keepArgs)) return { type: 'array', items: s, 'x-kw': kw };
  return s;
}

/** Object schema of one block table; repeatable tagged blocks (checkers) are dispatched on the tag. */
export function tableSchema(tbl: BlockTable): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  const tagged: Schema[] = [];
  for (const [kw, spec] of Object.entries(tbl.keywords)) {
    const prop = spec.to as string;
    if (spec.tag) {
      tagged.push({ if: { properties: { [spec.tag.prop]: { const: spec.tag.value } } }, then: tableSchema(spec.block as BlockTable) });
      continue;
    }
    const ps = propSchema(kw, spec);
    if (!ps) continue;
    ps['x-in'] = tbl.name;
    // Aliases (lb_algo → lvsSched) share a property; the current keyword names it.
    if (!properties[prop] || !spec.deprecated) properties[prop] = { ...properties[prop], ...ps, 'x-kw': properties[prop] && spec.deprecated ? properties[prop]['x-kw'] : kw };
    if (spec.required) required.push(prop);
  }
  if (tagged.length) {
    const first = Object.entries(tbl.keywords).find(([, s]) => s.tag)?.[1] as KwSpec;
    properties[first.to as string] = { type: 'array', items: { type: 'object', allOf: tagged } };
  }
  const out: Schema = { type: 'object', properties, 'x-block': tbl.name };
  if (required.length) out.required = required;
  return out;
}

export const configSchema: Schema = (() => {
  const s = tableSchema(topTable);
  (s.properties as Record<string, Schema>).globalDefs!.default = {};
  return s;
})();

/** The ajv options of the validator, shared with the build-time generator (scripts/gen-validator.ts). */
export const AJV_OPTIONS = { allErrors: true, useDefaults: true, strict: false, verbose: true } as const;

/** FNV-1a of the schema text: the build-time validator is used only for the schema it was made from. */
export function schemaHash(): string {
  const text = JSON.stringify(configSchema);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `${h.toString(16)}-${text.length}`;
}

let compiled: ValidateFunction | undefined;

/**
 * The validator generated at build time (ajv standalone code, dist/src/config/schema-validator.js)
 * when it matches this schema: compiling the schema with ajv at start-up cost ~700 ms of CPU and
 * GC on this machine (most of the daemon's start-up). Falls back to compiling (tests run from
 * source, a stale build).
 */
function prebuilt(): ValidateFunction | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const m = require('./schema-validator') as { hash?: string; validate?: ValidateFunction };
    return m.hash === schemaHash() ? m.validate : undefined;
  } catch {
    return undefined;
  }
}

function validator(): ValidateFunction {
  if (compiled) return compiled;
  compiled = prebuilt();
  if (compiled) return compiled;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const Ajv = (require('ajv') as { default: new (o: object) => { compile(s: object): ValidateFunction } }).default;
  compiled = new Ajv(AJV_OPTIONS).compile(configSchema);
  return compiled;
}

/**
 * Validates `root` against the schema, filling defaults in place; reports problems with locations.
 * A valid configuration (the daemon's usual start) is decided and defaulted by the schema
 * interpreter (config/schema-check) without loading the ajv validator; only an invalid one
 * goes through ajv (same defaults, assigned where still undefined) for its diagnostics.
 */
export function validateSchema(root: Json, diags: Diagnostics): void {
  if (schemaValid(configSchema, root)) return;
  validateWithAjv(root, diags);
}

/** ajv alone (the prebuilt validator or a compiled one): every problem, worded. */
export function validateWithAjv(root: Json, diags: Diagnostics): boolean {
  const validate = validator();
  if (validate(root)) return true;
  const pending: PendingFallback[] = [];
  for (const e of validate.errors ?? []) report(e, root, diags, pending);
  // A value that failed validation is never used: keepalived's fallback replaces it (config/fallback).
  applyFallbacks(root, pending);
  return false;
}

/** The keyword line that set the value at `ptr` (or the block that holds it). */
export function locOf(ptr: string, root: Json): Loc | undefined {
  let cur: unknown = root;
  let loc: Loc | undefined;
  for (const seg of ptr.split('/').slice(1)) {
    if (cur === null || typeof cur !== 'object') break;
    const obj = cur as Record<string, unknown>;
    const locs = obj[LOCS] as Record<string, ConfigNode> | undefined;
    if (locs?.[seg]) loc = locs[seg].loc;
    else if (obj.loc) loc = obj.loc as Loc;
    cur = obj[seg];
  }
  if (cur && typeof cur === 'object' && (cur as Json).loc && !Array.isArray(cur)) return (cur as Json).loc as Loc;
  return loc;
}

/** `vrrp_instance VI_1`: the block that holds the value at `ptr`, for "… is not used". */
/** The first word after the keyword of the block at `ptr` (its name). */
function blockArg(ptr: string, root: Json): string | undefined {
  let cur: unknown = root;
  for (const s of ptr.split('/').slice(1)) cur = cur !== null && typeof cur === 'object' ? (cur as Record<string, unknown>)[s] : undefined;
  const args = (cur as { args?: unknown } | undefined)?.args;
  return Array.isArray(args) && typeof args[0] === 'string' ? args[0] : undefined;
}

function ownerName(ptr: string, root: Json, blockName: string): string {
  const segs = ptr.split('/').slice(1, -1);
  let cur: unknown = root;
  let name: string | undefined;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') break;
    cur = (cur as Record<string, unknown>)[s];
    const args = (cur as { args?: unknown } | undefined)?.args;
    if (Array.isArray(args) && typeof args[0] === 'string') name = args[0];
  }
  return name === undefined ? blockName : `${blockName} ${name}`;
}

function report(e: ErrorObject, root: Json, diags: Diagnostics, pending: PendingFallback[]): void {
  const ps = (e.parentSchema ?? {}) as Schema;
  const loc = locOf(e.instancePath, root);
  const kw = (ps['x-kw'] as string | undefined) ?? e.instancePath.split('/').pop();
  switch (e.keyword) {
    case 'minimum':
    case 'maximum': {
      const lo = ps.minimum ?? '-inf';
      const hi = ps.maximum ?? 'inf';
      const action = fallbackAction(ps['x-fallback'] as Fallback | undefined, ps.default);
      const note = fallbackNote(action, ownerName(e.instancePath, root, String(ps['x-in'] ?? 'block')));
      diags.error('ERR_CONFIG_OUT_OF_RANGE', `'${kw}' value ${String(e.data)} is outside range [${lo}, ${hi}]${note}`, loc);
      pending.push({ ptr: e.instancePath, action });
      return;
    }
    case 'required': {
      const missing = (e.params as { missingProperty: string }).missingProperty;
      const props = (ps.properties ?? {}) as Record<string, Schema>;
      const mkw = (props[missing]?.['x-kw'] as string | undefined) ?? missing;
      const block = String(ps['x-block'] ?? 'block');
      // keepalived 2.2.7 drops a vrrp_script without a `script` line (a config error; config/load
      // drops it too, so its trackers are "not found") and runs on.
      if (block === 'vrrp_script' && mkw === 'script') diags.error('ERR_CONFIG_MISSING_KEYWORD', `No script set for vrrp_script ${blockArg(e.instancePath, root) ?? ''} - removing`, loc);
      else diags.error('ERR_CONFIG_MISSING_KEYWORD', `${block} is missing required keyword '${mkw}'`, loc);
      return;
    }
    case 'if':
      return; // the failing branch reported its own error
    default:
      diags.error('ERR_CONFIG_BAD_VALUE', `'${kw}' ${e.message ?? 'is invalid'}`, loc);
  }
}
