/**
 * Helpers of the loader's JSON path (load-config.ts): what `JSON.parse` does
 * not tell. They work on the text itself, so that a large park file never
 * needs the YAML parser's node tree (about 13 KB per tag), not even to name
 * the line of a problem.
 */

/** A place in the text: 0-based offset, and 1-based line and column as the YAML parser counts them. */
export interface TextPosition {
  line: number;
  column: number;
}

/** Turns offsets into lines and columns; the line starts are found once, on first use. */
export class LineIndex {
  private starts: number[] | undefined;
  constructor(private readonly text: string) {}

  position(offset: number): TextPosition {
    const starts = (this.starts ??= lineStarts(this.text));
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
  }
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let k = text.indexOf('\n'); k !== -1; k = text.indexOf('\n', k + 1)) starts.push(k + 1);
  return starts;
}

const SPACE = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** A quote preceded by an odd number of backslashes is part of the string. */
function isEscaped(text: string, quote: number): boolean {
  let n = 0;
  for (let k = quote - 1; text.charCodeAt(k) === 0x5c; k--) n++;
  return n % 2 === 1;
}

/** Offset just past the string whose opening quote is at `start` (valid JSON assumed). */
function stringEnd(text: string, start: number): number {
  let end = text.indexOf('"', start + 1);
  while (end !== -1 && isEscaped(text, end)) end = text.indexOf('"', end + 1);
  return end === -1 ? text.length : end + 1;
}

/**
 * True when valid JSON text names a key twice in one object, which
 * `JSON.parse` accepts silently (the last wins) and YAML refuses: the text
 * has more `"key":` members than the parsed value has keys. Scans from
 * string to string with `indexOf`, about 50 ms for 10 MB.
 */
export function hasDuplicateKeys(text: string, value: unknown): boolean {
  let members = 0;
  for (let i = text.indexOf('"'); i !== -1; ) {
    let k = stringEnd(text, i);
    while (SPACE(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) === 0x3a) members++;
    i = text.indexOf('"', k);
  }
  return members !== countKeys(value);
}

function countKeys(root: unknown): number {
  let n = 0;
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === 'object') stack.push(x);
    } else {
      for (const key of Object.keys(v)) {
        n++;
        const x = (v as Record<string, unknown>)[key];
        if (x !== null && typeof x === 'object') stack.push(x);
      }
    }
  }
  return n;
}

/**
 * Where and why `JSON.parse` gave up. Node 20's messages give no position
 * for an unexpected token, so the text is walked once more by the grammar
 * (only on this error path) to name the first character that does not fit.
 * Undefined when the text is JSON after all, or nested deeper than the stack.
 */
export function findJsonError(text: string): { offset: number; reason: string } | undefined {
  let i = 0;
  const n = text.length;
  class Stop {
    constructor(readonly reason: string) {}
  }
  const got = (): string => (i >= n ? 'the end of the file' : JSON.stringify(String.fromCodePoint(text.codePointAt(i) ?? 0)));
  const fail = (expected: string): never => {
    throw new Stop(`expected ${expected}, got ${got()}`);
  };
  const space = (): void => {
    while (SPACE(text.charCodeAt(i))) i++;
  };
  const string = (): void => {
    i++;
    for (;;) {
      if (i >= n) fail(`a closing '"'`);
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return;
      }
      if (c < 0x20) throw new Stop('a control character (tab, line break) inside a string: write it as \\t or \\n');
      if (c === 0x5c) {
        i++;
        const e = text[i];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('four hex digits after \\u');
          i += 5;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i++;
        else fail('an escape such as \\n, \\" or \\u0041');
      } else i++;
    }
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (): void => {
    space();
    const c = text[i];
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      space();
      if (text[i] === close) {
        i++;
        return;
      }
      for (;;) {
        if (c === '{') {
          space();
          if (text[i] !== '"') fail('a key in double quotes');
          string();
          space();
          if (text[i] !== ':') fail("':'");
          i++;
        }
        value();
        space();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return;
        }
        fail(`',' or '${close}'`);
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    NUMBER.lastIndex = i;
    if (NUMBER.test(text)) {
      i = NUMBER.lastIndex;
      return;
    }
    fail('a value (text in double quotes, a number, true, false, null, {…} or […])');
  };
  try {
    value();
    space();
    if (i < n) fail('the end of the file');
    return undefined;
  } catch (err) {
    if (err instanceof Stop) return { offset: Math.min(i, n), reason: err.reason };
    if (err instanceof RangeError) return undefined;
    throw err;
  }
}

/** The paths asked for, as a tree; the walk fills in where each one's key and value start. */
interface Wanted {
  children: Map<PropertyKey, Wanted>;
  /** Offset of the value (its first character), when the file has it. */
  value?: number;
  /** Offset of the key's opening quote, when the value is an object member. */
  key?: number;
  /** The value is an object (a YAML map). */
  isObject?: boolean;
}

/**
 * Finds where the given paths are in valid JSON text, in one walk that
 * descends only into the members and entries on some path and skips the
 * rest. Answers as the YAML document would for the same text (JSON is YAML):
 * the start of a value, or of a key.
 */
export class JsonPaths {
  private readonly root: Wanted = { children: new Map() };
  private walked = false;

  constructor(private readonly text: string) {}

  /** Every path must be added before the first `valueAt`/`keyAt`. */
  add(path: readonly PropertyKey[]): void {
    let node = this.root;
    for (const key of path) {
      let next = node.children.get(key);
      if (!next) node.children.set(key, (next = { children: new Map() }));
      node = next;
    }
  }

  /** Offset of the value at `path`, or undefined when the file has none there. */
  valueAt(path: readonly PropertyKey[]): number | undefined {
    return this.find(path)?.value;
  }

  /** Offset of the key that ends `path`, when its parent is an object that has it. */
  keyAt(path: readonly PropertyKey[]): number | undefined {
    const node = this.find(path);
    return node?.value !== undefined ? node.key : undefined;
  }

  /** True when the value at `path` is an object. */
  isObjectAt(path: readonly PropertyKey[]): boolean {
    return this.find(path)?.isObject === true;
  }

  private find(path: readonly PropertyKey[]): Wanted | undefined {
    if (!this.walked) {
      this.walked = true;
      // A byte order mark is not JSON but may start the file; offsets stay the file's.
      let i = this.text.charCodeAt(0) === 0xfeff ? 1 : 0;
      while (SPACE(this.text.charCodeAt(i))) i++;
      this.visit(this.root, i);
    }
    let node: Wanted | undefined = this.root;
    for (const key of path) node = node?.children.get(key);
    return node;
  }

  /** Walks the value starting at `i`; returns the offset just past it. */
  private visit(node: Wanted, start: number): number {
    const text = this.text;
    node.value = start;
    const c = text.charCodeAt(start);
    if (c !== 0x7b && c !== 0x5b) return skipValue(text, start);
    const isObject = c === 0x7b;
    node.isObject = isObject;
    if (node.children.size === 0) return skipValue(text, start);
    const close = isObject ? 0x7d : 0x5d;
    const entries = isObject ? undefined : entryIndexes(node.children);
    let i = start + 1;
    for (let index = 0; ; index++) {
      while (SPACE(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === close || i >= text.length) return i + 1;
      let wanted: Wanted[] | undefined;
      if (isObject) {
        const keyStart = i;
        i = stringEnd(text, i);
        const raw = text.slice(keyStart, i);
        const child = node.children.get(raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1));
        if (child) {
          child.key = keyStart;
          wanted = [child];
        }
        while (i < text.length && text.charCodeAt(i) !== 0x3a) i++;
        i++;
        while (SPACE(text.charCodeAt(i))) i++;
      } else wanted = entries?.get(index);
      let end = -1;
      for (const child of wanted ?? []) end = this.visit(child, i);
      i = end >= 0 ? end : skipValue(text, i);
      while (SPACE(text.charCodeAt(i))) i++;
      if (text.charCodeAt(i) === 0x2c) i++;
    }
  }
}

/**
 * The wanted entries of a list by index. A YAML sequence also takes an index
 * written as text (`"1"`), so a path may name an entry either way.
 */
function entryIndexes(children: Map<PropertyKey, Wanted>): Map<number, Wanted[]> {
  const out = new Map<number, Wanted[]>();
  for (const [key, child] of children) {
    const index = typeof key === 'number' ? key : typeof key === 'string' && key !== '' ? Number(key) : NaN;
    if (!Number.isInteger(index) || index < 0) continue;
    const list = out.get(index);
    if (list) list.push(child);
    else out.set(index, [child]);
  }
  return out;
}

/** Offset just past the value starting at `i` (valid JSON assumed), without building it. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === 0x22) return stringEnd(text, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (let k = i; k < text.length; k++) {
      const d = text.charCodeAt(k);
      if (d === 0x22) k = stringEnd(text, k) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        depth--;
        if (depth === 0) return k + 1;
      }
    }
    return text.length;
  }
  let k = i;
  for (let d = text.charCodeAt(k); k < text.length && d !== 0x2c && d !== 0x7d && d !== 0x5d && !SPACE(d); d = text.charCodeAt(++k));
  return k;
}
