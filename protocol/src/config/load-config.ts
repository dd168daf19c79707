import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isNode, isScalar, type Document } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from './config-error.js';
import { describeIssue, formatPath } from './format-issue.js';
import { findJsonError, hasDuplicateKeys, JsonPaths, LineIndex } from './json-text.js';

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
 * Reads a YAML (or JSON) file and validates it against a strict schema. Every problem is
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

/**
 * The same as `loadConfigFile` for text already in memory; `file` is used in messages.
 *
 * JSON text (large generated park files are written as JSON) is read with
 * `JSON.parse`: the YAML parser keeps a node with source ranges for every
 * value, about 13 KB per tag, so a park of 50,000 tags cost 650 MB of heap
 * and 7 s to parse, `JSON.parse` 0.1 s and the model itself. The lines of
 * problems in JSON are found by walking the text (json-text.ts), in YAML by
 * the document, so messages name file, path and line either way.
 */
export function parseConfigText<S extends z.ZodType>(text: string, file: string, schema: S, options: LoadOptions = {}): z.output<S> {
  const overrides = options.overrides ?? [];
  const parsed = parseText(text, file);
  const input = applyOverrides(parsed.value, overrides);
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;

  const issues = result.error.issues.map((issue) => {
    const { path: issuePath, reason } = describeIssue(issue);
    return { issuePath, reason, atKey: issue.code === 'unrecognized_keys', override: overrides.find((o) => startsWith(issuePath, o.path)) };
  });
  const locator = parsed.json ? new JsonLocator(text, issues.filter((i) => !i.override).map((i) => i.issuePath)) : new YamlLocator(text);
  const problems: ConfigProblem[] = issues.map(({ issuePath, reason, atKey, override }) => {
    if (override) return { file: override.source, path: '', reason };
    return { file, path: formatPath(issuePath), reason, ...locator.locate(issuePath, atKey) };
  });
  throw new ConfigError(problems);
}

/** `.json` files are held to JSON: a syntax error is reported as JSON's, not as the YAML it might also be. */
function isJsonFile(file: string): boolean {
  return /\.json$/i.test(file);
}

/**
 * The file's content as plain data, and whether it was read as JSON. JSON
 * text takes the fast path; anything else, and JSON with a key twice
 * (`JSON.parse` would silently keep the last), goes through the YAML parser,
 * which reports it with its line.
 */
function parseText(text: string, file: string): { value: unknown; json: boolean } {
  const json = isJsonFile(file);
  // JSON.parse refuses a byte order mark; YAML skips it.
  const bom = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const body = bom ? text.slice(bom) : text;
  if (json || startsLikeJson(body)) {
    let value: unknown = NOT_JSON;
    try {
      value = JSON.parse(body);
    } catch (err) {
      if (json) {
        const at = findJsonError(body);
        throw new ConfigError([{ file, path: '', reason: `not valid JSON: ${at?.reason ?? firstLine((err as Error).message)}`, ...(at ? new LineIndex(text).position(at.offset + bom) : {}) }]);
      }
      // Not JSON after all, e.g. a YAML flow mapping `{ name: x }`.
    }
    if (value !== NOT_JSON && !hasDuplicateKeys(body, value)) return { value: value ?? {}, json: true };
  }
  return { value: parseYaml(text, file, json ? 'JSON' : 'YAML'), json: false };
}

const NOT_JSON = Symbol('not JSON');

function startsLikeJson(text: string): boolean {
  return /^[ \t\r\n]*[{[]/.test(text.length > 256 ? text.slice(0, 256) : text);
}

function parseYaml(text: string, file: string, language: 'JSON' | 'YAML'): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        return { file, path: '', reason: `not valid ${language}: ${firstLine(e.message)}`, ...position(lineCounter, e.pos[0]) };
      }),
    );
  }
  try {
    // The document is dropped on return: validation then allocates into the heap it held.
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) ?? {};
  } catch (err) {
    // yaml refuses an alias bomb (aliases multiplying into millions of nodes) with a ReferenceError.
    throw new ConfigError([{ file, path: '', reason: `not valid YAML: ${firstLine((err as Error).message)} (too many aliases; write the values out)` }]);
  }
}

function firstLine(s: string): string {
  return s.split('\n')[0] ?? s;
}

function startsWith(full: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= full.length && prefix.every((k, i) => k === full[i]);
}

/**
 * Where a problem is: the deepest node on the path that exists in the file,
 * i.e. the value for a wrong value, the key itself for an unknown key
 * (`atKey`), the parent for a missing one.
 */
interface Locator {
  locate(issuePath: readonly PropertyKey[], atKey: boolean): { line?: number; column?: number };
}

/**
 * For YAML: the text is parsed into a document again, with source ranges,
 * only when the first problem is located (the one parsed for the value was
 * dropped so that validation could reuse its memory).
 */
class YamlLocator implements Locator {
  private parsed: { doc: Document; lineCounter: LineCounter } | undefined;
  constructor(private readonly text: string) {}

  locate(issuePath: readonly PropertyKey[], atKey: boolean): { line?: number; column?: number } {
    this.parsed ??= this.parse();
    const { doc, lineCounter } = this.parsed;
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

  private parse(): { doc: Document; lineCounter: LineCounter } {
    const lineCounter = new LineCounter();
    return { doc: parseDocument(this.text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
  }
}

/**
 * For text read as JSON: one walk over the text finds every problem's path,
 * the same places the YAML document would give, without building it (for a
 * park of 50,000 tags that would be 650 MB and 7 s again).
 */
class JsonLocator implements Locator {
  private readonly paths: JsonPaths;
  private readonly lines: LineIndex;

  constructor(text: string, issuePaths: readonly (readonly PropertyKey[])[]) {
    this.paths = new JsonPaths(text);
    this.lines = new LineIndex(text);
    for (const p of issuePaths) this.paths.add(p);
  }

  locate(issuePath: readonly PropertyKey[], atKey: boolean): { line?: number; column?: number } {
    if (atKey && issuePath.length > 0 && this.paths.isObjectAt(issuePath.slice(0, -1))) {
      const key = this.paths.keyAt(issuePath);
      if (key !== undefined) return this.lines.position(key);
    }
    for (let n = issuePath.length; n >= 0; n--) {
      const at = this.paths.valueAt(issuePath.slice(0, n));
      if (at !== undefined) return this.lines.position(at);
    }
    return {};
  }
}

function position(lineCounter: LineCounter, offset: number): { line: number; column: number } {
  const pos = lineCounter.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function applyOverrides(raw: unknown, overrides: readonly ConfigOverride[]): unknown {
  if (overrides.length === 0) return raw;
  // `raw` was just parsed for this call: changed in place, not copied.
  const root: Record<string, unknown> = isPlainObject(raw) ? raw : {};
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
