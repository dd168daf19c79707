import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { describeIssue, formatPath } from './format-issue.js';

/** A value that replaces one option before validation, e.g. from an environment variable. */
export interface ConfigOverride {
  /** Where it goes in the file's structure, e.g. `['http', 'port']`. */
  path: readonly (string | number)[];
  value: unknown;
  /** Named in errors instead of the file, e.g. `environment variable PORT`. */
  source: string;
}

/** Aliases a file may expand: plenty for hand-written YAML, too few for an alias bomb. */
const MAX_ALIAS_COUNT = 100;

export interface LoadedConfig<T> {
  value: T;
  /** The file as named by the caller. */
  file: string;
  /** Absolute folder of the file: relative paths inside it are relative to this. */
  dir: string;
}

export interface LoadOptions {
  overrides?: readonly ConfigOverride[];
}

/**
 * Reads a YAML file and validates it against a strict schema. Every problem is
 * collected and thrown at once as a `ConfigError` naming file, path, reason and
 * line, so a technician fixes the file in one pass.
 */
export function loadConfigFile<S extends z.ZodType>(file: string, schema: S, options: LoadOptions = {}): LoadedConfig<z.output<S>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'file not found' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'is a folder, expected a YAML file' : `cannot read: ${(err as Error).message}`;
    throw new ConfigError([{ file, path: '', reason }]);
  }
  return { value: parseConfigText(text, file, schema, options), file, dir: path.dirname(path.resolve(file)) };
}

/** The same as `loadConfigFile` for text already in memory; `file` is used in messages. */
export function parseConfigText<S extends z.ZodType>(text: string, file: string, schema: S, options: LoadOptions = {}): z.output<S> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        return { file, path: '', reason: `not valid YAML: ${firstLine(e.message)}`, ...position(lineCounter, e.pos[0]) };
      }),
    );
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    // yaml refuses an alias bomb (aliases multiplying into millions of nodes) with a ReferenceError.
    throw new ConfigError([{ file, path: '', reason: `not valid YAML: ${firstLine((err as Error).message)} (too many aliases; write the values out)` }]);
  }
  const overrides = options.overrides ?? [];
  const input = applyOverrides(raw, overrides);
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;

  const problems: ConfigProblem[] = result.error.issues.map((issue) => {
    const { path: issuePath, reason } = describeIssue(issue);
    const override = overrides.find((o) => startsWith(issuePath, o.path));
    if (override) return { file: override.source, path: '', reason };
    return { file, path: formatPath(issuePath), reason, ...locate(doc, lineCounter, issuePath, issue.code === 'unrecognized_keys') };
  });
  throw new ConfigError(problems);
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function startsWith(full: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= full.length && prefix.every((k, i) => k === full[i]);
}

/**
 * Line and column of the deepest node on the path that exists in the file:
 * the value for a wrong value, the key itself for an unknown key, the parent
 * for a missing one.
 */
function locate(doc: Document, lineCounter: LineCounter, issuePath: readonly PropertyKey[], atKey: boolean): { line?: number; column?: number } {
  if (atKey && issuePath.length > 0) {
    const parent = doc.getIn(issuePath.slice(0, -1), true);
    const last = issuePath[issuePath.length - 1];
    if (isMap(parent)) {
      const pair = parent.items.find((p) => isScalar(p.key) && p.key.value === last);
      if (isNode(pair?.key) && pair.key.range) return position(lineCounter, pair.key.range[0]);
    }
  }
  for (let n = issuePath.length; n >= 0; n--) {
    const node = doc.getIn(issuePath.slice(0, n), true);
    if (isNode(node) && node.range) return position(lineCounter, node.range[0]);
  }
  return {};
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function applyOverrides(raw: unknown, overrides: readonly ConfigOverride[]): unknown {
  if (overrides.length === 0) return raw;
  const root: Record<string, unknown> = isPlainObject(raw) ? structuredClone(raw) : {};
  for (const o of overrides) {
    let cursor: Record<string | number, unknown> = root;
    o.path.forEach((key, i) => {
      if (i === o.path.length - 1) {
        cursor[key] = o.value;
        return;
      }
      const next = cursor[key];
      if (!isPlainObject(next)) cursor[key] = {};
      cursor = cursor[key] as Record<string | number, unknown>;
    });
  }
  return root;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}
