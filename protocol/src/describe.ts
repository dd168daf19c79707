/** Wording helpers for rejection reasons (internal: not re-exported). */

const MAX_QUOTED_LENGTH = 64;

/** A string in double quotes, JSON-escaped, shortened past 64 characters. */
export function quote(s: string): string {
  return JSON.stringify(s.length > MAX_QUOTED_LENGTH ? `${s.slice(0, MAX_QUOTED_LENGTH)}…` : s);
}

/** What a value is, for "expected X, got Y": `NaN`, `null`, `string "NaN"`, `number 1.5`, `array`. */
export function describeValue(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return 'array';
  switch (typeof x) {
    case 'number':
      return Number.isFinite(x) ? `number ${x}` : String(x);
    case 'string':
      return `string ${quote(x)}`;
    case 'boolean':
      return `boolean ${x}`;
    case 'undefined':
      return 'nothing';
    default:
      return typeof x;
  }
}

/** `path.key`, or just `key` at the top level. */
export function child(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

/** Where an unknown field was found: `at readings[2]`, or `at top level`. */
export function at(path: string): string {
  return path === '' ? 'at top level' : `at ${path}`;
}

/** `path[i]` */
export function item(path: string, i: number): string {
  return `${path}[${i}]`;
}

/** `path["key"]` for an entry of a map-like object. */
export function entry(path: string, key: string): string {
  return `${path}[${quote(key)}]`;
}
