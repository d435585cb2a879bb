/** Small helpers shared by the resolve-* modules (raw built JSON → Model). */
import { LOCS, type RawScript } from './build';
import type { ScriptCommand } from './model';

/** A built block: untyped JSON whose shape the schema has already checked. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Raw = Record<string, any>;

/** Whether the block itself had the keyword (a value may also come from the schema's default). */
export const written = (r: Raw, keyword: string): boolean => (r[LOCS] as Record<string, unknown> | undefined)?.[keyword] !== undefined;

export const sToMs = (s: number): number => Math.round(s * 1000);
export const optMs = (s: number | undefined): number | undefined => (s === undefined ? undefined : sToMs(s));

export function scriptOf(r: RawScript | undefined): ScriptCommand | undefined {
  if (!r) return undefined;
  const out: { -readonly [K in keyof ScriptCommand]: ScriptCommand[K] } = { command: r.command, argv: r.argv, loc: r.loc };
  if (r.user !== undefined) out.user = r.user;
  if (r.group !== undefined) out.group = r.group;
  return out;
}

/** Copies defined values only, so optional model fields stay absent rather than `undefined`. */
export function defined<T extends object>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k in o) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined) out[k] = v;
  }
  return out as T;
}
