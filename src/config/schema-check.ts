/**
 * The start-up path of schema validation: a small interpreter of the JSON Schema subset that
 * config/schema.ts derives from the keyword tables (type, properties, required, items, enum,
 * const, minimum, maximum, allOf, if/then, default), with ajv's semantics for valid data:
 * defaults are assigned (useDefaults) where a property is `undefined`, before the object's
 * other keywords, in `properties` (not in `if`), deep-copied each time.
 *
 * It answers only "valid or not" (and fills the defaults); an invalid configuration is then run
 * through the ajv validator, which words every diagnostic. Why: the generated ajv validator is
 * one 525 KB function; loading and compiling it for a valid configuration cost ~60 ms of the
 * daemon's start-up on this machine (and ~2 MB of heap), walking the schema costs <1 ms.
 * Pure; test/unit/config-schema-check.test.ts checks it against ajv (validity and defaults).
 */
type Schema = Readonly<Record<string, unknown>>;
type Obj = Record<string, unknown>;

const isObject = (d: unknown): d is Obj => d !== null && typeof d === 'object' && !Array.isArray(d);

function typeOk(t: string, d: unknown): boolean {
  switch (t) {
    case 'object':
      return isObject(d);
    case 'array':
      return Array.isArray(d);
    case 'string':
      return typeof d === 'string';
    case 'boolean':
      return typeof d === 'boolean';
    case 'integer':
      return typeof d === 'number' && Number.isFinite(d) && d % 1 === 0;
    case 'number':
      return typeof d === 'number' && Number.isFinite(d);
    case 'null':
      return d === null;
    default:
      return false;
  }
}

function equal(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

const copy = (v: unknown): unknown => (v !== null && typeof v === 'object' ? JSON.parse(JSON.stringify(v)) : v);

/**
 * Whether `data` satisfies `schema`; assigns defaults in place unless `composite` (ajv applies
 * none inside `if`). Every branch is evaluated (as ajv's allErrors), so the defaults land in the
 * same places whatever fails.
 */
export function schemaValid(schema: Schema, data: unknown, composite = false): boolean {
  let ok = true;
  const type = schema.type as string | string[] | undefined;
  if (type !== undefined && !(Array.isArray(type) ? type.some((t) => typeOk(t, data)) : typeOk(type, data))) ok = false;
  if (schema.enum !== undefined && !(schema.enum as unknown[]).some((e) => equal(e, data))) ok = false;
  if ('const' in schema && !equal(schema.const, data)) ok = false;
  if (typeof data === 'number') {
    if (schema.minimum !== undefined && !(data >= (schema.minimum as number))) ok = false;
    if (schema.maximum !== undefined && !(data <= (schema.maximum as number))) ok = false;
  }
  if (isObject(data)) {
    const props = schema.properties as Record<string, Schema> | undefined;
    if (props) {
      if (!composite) {
        for (const k in props) {
          const dflt = props[k]!.default;
          if (dflt !== undefined && data[k] === undefined) data[k] = copy(dflt);
        }
      }
      for (const k in props) if (data[k] !== undefined && !schemaValid(props[k]!, data[k], composite)) ok = false;
    }
    for (const k of (schema.required as string[] | undefined) ?? []) if (data[k] === undefined) ok = false;
  }
  if (Array.isArray(data) && schema.items !== undefined) {
    for (const x of data) if (!schemaValid(schema.items as Schema, x, composite)) ok = false;
  }
  for (const sub of (schema.allOf as Schema[] | undefined) ?? []) if (!schemaValid(sub, data, composite)) ok = false;
  if (schema.if !== undefined) {
    const branch = schemaValid(schema.if as Schema, data, true) ? schema.then : schema.else;
    if (branch !== undefined && !schemaValid(branch as Schema, data, composite)) ok = false;
  }
  return ok;
}
