/**
 * iproute2's id↔name files (rt_tables, rt_protos, rt_realms, rt_scopes), as `ip` reads them:
 * one `ID NAME` pair a line, `#` starts a comment, ids decimal or 0x-hex. The main file is read
 * first, then `<file>.d/*.conf` in name order; a later definition of a name wins (ip keeps the
 * last one it reads). Pure: the caller supplies the texts (runtime/iproute2-files.ts reads them).
 */

export interface IdNameTable {
  /** Number for a name, or for a decimal/hex numeral; undefined when neither. */
  id(nameOrNumber: string): number | undefined;
}

/** Built-in names `ip` knows without any file (iproute2 lib/rt_names.c defaults). */
export const BUILTIN_TABLES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
export const BUILTIN_PROTOS: Readonly<Record<string, number>> = {
  unspec: 0, redirect: 1, kernel: 2, boot: 3, static: 4, gated: 8, ra: 9, mrt: 10, zebra: 11, bird: 12, dnrouted: 13,
  xorp: 14, ntk: 15, dhcp: 16, keepalived: 18, babel: 42, openr: 99, bgp: 186, isis: 187, ospf: 188, rip: 189, eigrp: 192,
};
export const BUILTIN_REALMS: Readonly<Record<string, number>> = { unknown: 0 };

const NUMERAL = /^(0x[0-9a-fA-F]+|\d+)$/;

export function parseNumeral(s: string): number | undefined {
  if (!NUMERAL.test(s)) return undefined;
  const n = s.startsWith('0x') || s.startsWith('0X') ? parseInt(s.slice(2), 16) : Number(s);
  return Number.isSafeInteger(n) && n <= 0xffffffff ? n : undefined;
}

/** Parse one file's text into name → id (bad lines are skipped, as `ip` does). */
export function parseIdNameText(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = (raw.split('#')[0] as string).trim();
    if (!line) continue;
    const [idText, name] = line.split(/\s+/);
    const id = idText === undefined ? undefined : parseNumeral(idText);
    if (id === undefined || name === undefined) continue;
    out.set(name, id);
  }
  return out;
}

/** A table from built-ins plus file texts in reading order (later files override earlier ones). */
export function idNameTable(builtins: Readonly<Record<string, number>>, texts: readonly string[]): IdNameTable {
  const names = new Map<string, number>(Object.entries(builtins));
  for (const t of texts) for (const [k, v] of parseIdNameText(t)) names.set(k, v);
  return {
    id: (s) => names.get(s) ?? parseNumeral(s),
  };
}

/** The named tables a route/rule resolver needs. */
export interface Iproute2Names {
  tables: IdNameTable;
  protos: IdNameTable;
  realms: IdNameTable;
}

/** File texts for each kind, main file first then its .d/*.conf in name order. */
export interface Iproute2Texts {
  tables: readonly string[];
  protos: readonly string[];
  realms: readonly string[];
}

export function iproute2Names(texts: Iproute2Texts = { tables: [], protos: [], realms: [] }): Iproute2Names {
  return {
    tables: idNameTable(BUILTIN_TABLES, texts.tables),
    protos: idNameTable(BUILTIN_PROTOS, texts.protos),
    realms: idNameTable(BUILTIN_REALMS, texts.realms),
  };
}
