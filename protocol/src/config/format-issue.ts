import type { core } from 'zod';

type Issue = core.$ZodIssue;
type PathKey = PropertyKey;

/** `['sites', 1, 'devices', 2, 'port']` → `sites[1].devices[2].port`. */
export function formatPath(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

const EXPECTED_NAMES: Record<string, string> = {
  number: 'a number',
  int: 'a whole number',
  string: 'text',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  bigint: 'a whole number',
  date: 'a date',
  null: 'null',
};

/** Longest piece of a wrong value quoted back: enough to recognise it, never a screenful. */
const MAX_QUOTED_CHARS = 60;

/** How a YAML value reads back to the person who wrote it. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null (empty value)';
  if (typeof value === 'string') {
    const chars = [...value];
    return chars.length > MAX_QUOTED_CHARS ? `${JSON.stringify(chars.slice(0, MAX_QUOTED_CHARS).join(''))}… (${chars.length} characters)` : JSON.stringify(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value;
}

function quoteList(values: readonly unknown[]): string {
  const quoted = values.map((v) => JSON.stringify(v));
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted[quoted.length - 1]}`;
}

function bound(issue: { inclusive?: boolean }, word: 'least' | 'most', strictWord: 'more' | 'less'): string {
  return issue.inclusive === false ? `${strictWord} than` : `at ${word}`;
}

/**
 * Turns one schema issue into the location and reason a technician can act on.
 * Unknown keys are reported at the key itself, so the path points at the typo.
 */
export function describeIssue(issue: Issue): { path: PathKey[]; reason: string } {
  const path = [...issue.path];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'invalid_type': {
      const expected = EXPECTED_NAMES[issue.expected] ?? issue.expected;
      if (input === undefined) return { path, reason: `required: expected ${expected}` };
      return { path, reason: `expected ${expected}, got ${describeValue(input)}` };
    }
    case 'invalid_value':
      return { path, reason: `expected ${quoteList(issue.values)}, got ${describeValue(input)}` };
    case 'unrecognized_keys': {
      const keys = issue.keys;
      const first = keys[0] ?? '';
      const rest = keys.length > 1 ? ` (and ${keys.slice(1).map((k) => JSON.stringify(k)).join(', ')})` : '';
      return { path: [...path, first], reason: `unknown option${rest} (check the spelling; see docs/configuration.md)` };
    }
    case 'invalid_union': {
      const u = issue as { discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined && Array.isArray(u.options)) {
        const got = input !== null && typeof input === 'object' ? (input as Record<string, unknown>)[u.discriminator] : input;
        const at = path[path.length - 1] === u.discriminator ? path : [...path, u.discriminator];
        if (got === undefined) return { path: at, reason: `required: expected ${quoteList(u.options)}` };
        return { path: at, reason: `expected ${quoteList(u.options)}, got ${describeValue(got)}` };
      }
      return { path, reason: issue.message };
    }
    case 'too_small': {
      if (issue.origin === 'array') return { path, reason: `needs at least ${String(issue.minimum)} entries, got ${Array.isArray(input) ? input.length : describeValue(input)}` };
      if (issue.origin === 'string') return { path, reason: `must not be empty` };
      return { path, reason: `must be ${bound(issue, 'least', 'more')} ${String(issue.minimum)}, got ${describeValue(input)}` };
    }
    case 'too_big': {
      if (issue.origin === 'array') return { path, reason: `allows at most ${String(issue.maximum)} entries, got ${Array.isArray(input) ? input.length : describeValue(input)}` };
      if (issue.origin === 'string') return { path, reason: `is longer than ${String(issue.maximum)} characters` };
      return { path, reason: `must be ${bound(issue, 'most', 'less')} ${String(issue.maximum)}, got ${describeValue(input)}` };
    }
    case 'not_multiple_of':
      return { path, reason: `must be a multiple of ${String(issue.divisor)}, got ${describeValue(input)}` };
    case 'invalid_format':
      return { path, reason: `${issue.message}, got ${describeValue(input)}` };
    default:
      return { path, reason: issue.message };
  }
}
