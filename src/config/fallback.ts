/**
 * What replaces a value that failed validation. Rule: a value that failed is never used. The
 * daemon uses what keepalived 2.2.7 uses for that keyword instead, and the diagnostic says so:
 *  - no `fallback` declared: the value is dropped, so the keyword's default applies (spec
 *    `default`, or the inherited global/per-family default resolved later) — keepalived's
 *    "… not valid … Using default 100" / "- ignoring";
 *  - `fallback: {value}`: that value (keepalived: "garp_master_repeat must be greater than 0,
 *    setting to 1");
 *  - `fallback: {refuse: true}`: the enclosing block is not used at all (keepalived: a
 *    vrrp_instance with an invalid virtual_router_id is not started).
 * Measured with `keepalived -t -l -D` (Debian 2.2.7); the table of cases is
 * test/unit/config-fallback.test.ts. Pure: works on the built JSON, no I/O.
 */
import type { Json } from './build';

export type Fallback = { readonly value: number | string | boolean } | { readonly refuse: true };

/** What to do with the value at one JSON pointer. */
export type FallbackAction =
  | { kind: 'set'; value: unknown; isDefault: boolean }
  | { kind: 'drop' }
  | { kind: 'refuse' };

/** The schema annotations carried per property (config/schema): `x-fallback` and `default`. */
export function fallbackAction(fallback: Fallback | undefined, dflt: unknown): FallbackAction {
  if (fallback && 'refuse' in fallback) return { kind: 'refuse' };
  if (fallback) return { kind: 'set', value: fallback.value, isDefault: false };
  if (dflt !== undefined) return { kind: 'set', value: dflt, isDefault: true };
  return { kind: 'drop' };
}

/** The words appended to the diagnostic: which value is used instead. */
export function fallbackNote(action: FallbackAction, blockName: string): string {
  switch (action.kind) {
    case 'set': {
      const v = typeof action.value === 'string' ? action.value : JSON.stringify(action.value);
      return action.isDefault ? `; using the default ${v}` : `; using ${v} instead`;
    }
    case 'drop':
      return '; ignored (the default applies)';
    case 'refuse':
      return `; ${blockName} is not used`;
  }
}

/** One pending replacement: the pointer of the bad value and the action. */
export interface PendingFallback {
  readonly ptr: string;
  readonly action: FallbackAction;
}

function segments(ptr: string): string[] {
  return ptr.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(root: Json, segs: readonly string[]): unknown {
  let cur: unknown = root;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[s];
  }
  return cur;
}

/** The nearest enclosing object that is an element of an array (a repeated block), with its place. */
function enclosingElement(root: Json, segs: readonly string[]): { list: unknown[]; index: number } | undefined {
  for (let i = segs.length - 2; i >= 1; i--) {
    const holder = at(root, segs.slice(0, i));
    const idx = Number(segs[i]);
    if (Array.isArray(holder) && Number.isInteger(idx)) return { list: holder, index: idx };
  }
  return undefined;
}

/**
 * Applies the replacements. Elements of arrays are removed last, once each and from the highest
 * index down, so the other pointers stay valid while they are applied.
 */
export function applyFallbacks(root: Json, pending: readonly PendingFallback[]): void {
  const removals = new Map<unknown[], Set<number>>();
  const remove = (list: unknown[], index: number): void => {
    let s = removals.get(list);
    if (!s) removals.set(list, (s = new Set()));
    s.add(index);
  };
  for (const p of pending) {
    const segs = segments(p.ptr);
    const key = segs[segs.length - 1];
    const holder = at(root, segs.slice(0, -1));
    if (key === undefined || holder === null || typeof holder !== 'object') continue;
    const obj = holder as Record<string, unknown>;
    if (p.action.kind === 'refuse') {
      const el = enclosingElement(root, segs);
      if (el) remove(el.list, el.index);
      else delete obj[key];
    } else if (p.action.kind === 'set') obj[key] = p.action.value;
    else if (Array.isArray(holder)) remove(holder, Number(key));
    else delete obj[key];
  }
  for (const [list, idx] of removals) for (const i of [...idx].sort((a, b) => b - a)) list.splice(i, 1);
}
