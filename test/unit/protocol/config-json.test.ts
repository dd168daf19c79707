import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { loadConfigFile, parkSchema, parseConfigText } from '@park/protocol/config';
import { loadServerConfig } from '@park/server';
import { loadGatewayConfig } from '@park/gateway';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { problemsOf } from '../../harness/config-errors.js';
import { tempDir } from '../../harness/temp-dir.js';

// Park files written as JSON (the benchmarks' generated parks) are read with
// JSON.parse instead of the YAML parser; these tests hold that path to the
// same results and the same messages as YAML.

const small = z.strictObject({
  name: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  items: z.array(z.strictObject({ id: z.string(), n: z.number() })).default([]),
});

/** The demo park as plain data (defaults filled in, which a park file may also spell out). */
const demoPark = structuredClone(loadConfigFile(DEMO_PARK_FILE, parkSchema).value) as unknown as { sites: { devices: { port?: number; tags: Record<string, unknown>[] }[] }[] };

describe('JSON configuration files', () => {
  it('reads a JSON park to the same model as its YAML', () => {
    const fromYaml = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    expect(parseConfigText(JSON.stringify(demoPark), 'park.json', parkSchema)).toEqual(fromYaml);
    expect(parseConfigText(JSON.stringify(demoPark, null, 2), 'park.yaml', parkSchema)).toEqual(fromYaml);
  });

  it('names file, path, line and column of a schema error in a JSON park', () => {
    const broken = structuredClone(demoPark);
    const device = broken.sites[1]?.devices[1];
    if (!device) throw new Error('the demo park has changed: no second device in site b');
    (device as Record<string, unknown>)['port'] = '50x';
    const text = JSON.stringify(broken, null, 2);
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('"port": "50x"')) + 1;
    const column = (lines[line - 1]?.indexOf('"50x"') ?? 0) + 1;
    expect(problemsOf(() => parseConfigText(text, 'park.json', parkSchema))).toEqual([`park.json: sites[1].devices[1].port: expected a number, got "50x" (line ${line}, column ${column})`]);
  });

  it('points at an unknown key in JSON as in YAML', () => {
    expect(problemsOf(() => parseConfigText('{\n  "name": "x",\n  "prot": 1\n}\n', 'f.json', small))).toEqual(['f.json: prot: unknown option (check the spelling; see docs/configuration.md) (line 3, column 3)']);
  });

  it.each([
    ['a missing comma', '{\n  "name": "x"\n  "port": 1\n}\n', `expected ',' or '}', got "\\"" (line 3, column 3)`],
    ['a trailing comma', '{\n  "name": "x",\n}\n', `expected a key in double quotes, got "}" (line 3, column 1)`],
    ['a misspelt literal', '{\n  "name": "x",\n  "items": [tru]\n}\n', 'expected a value (text in double quotes, a number, true, false, null, {…} or […]), got "t" (line 3, column 13)'],
    ['an unquoted key', '{ name: "x" }', `expected a key in double quotes, got "n" (line 1, column 3)`],
    ['an unclosed object', '{\n  "name": "x"\n', `expected ',' or '}', got the end of the file (line 3, column 1)`],
    ['a tab in a string', '{ "name": "a\tb" }', 'a control character (tab, line break) inside a string: write it as \\t or \\n (line 1, column 13)'],
    ['text after the value', '{ "name": "x" } {', 'expected the end of the file, got "{" (line 1, column 17)'],
  ])('reports malformed JSON (%s) with line and column', (_what, text, reason) => {
    expect(problemsOf(() => parseConfigText(text, 'f.json', small))).toEqual([`f.json: not valid JSON: ${reason}`]);
  });

  it('rejects a key given twice in JSON, naming its line', () => {
    const lines = problemsOf(() => parseConfigText('{\n  "name": "x",\n  "name": "y"\n}\n', 'f.json', small));
    expect(lines[0]).toMatch(/^f\.json: not valid JSON: .*[Mm]ap keys must be unique.*\(line 3, column \d+\)$/);
    expect(problemsOf(() => parseConfigText('{"name": "x", "name": "y"}', 'f.yaml', small))[0]).toMatch(/^f\.yaml: not valid YAML: .*[Mm]ap keys must be unique/);
  });

  it('does not mistake quotes, colons and backslashes inside strings for keys', () => {
    const text = JSON.stringify({ name: 'a": "b\\', items: [{ id: '\\"x\\":', n: 1 }, { id: 'y:', n: 2 }] });
    expect(parseConfigText(text, 'f.json', small)).toEqual({ name: 'a": "b\\', port: 502, items: [{ id: '\\"x\\":', n: 1 }, { id: 'y:', n: 2 }] });
  });

  it('reads JSON after a byte order mark', () => {
    expect(parseConfigText('\uFEFF{"name": "x"}', 'f.json', small)).toEqual({ name: 'x', port: 502, items: [] });
    // The mark counts as a column, as the YAML parser counts it.
    expect(problemsOf(() => parseConfigText('\uFEFF{"name": 1}', 'f.json', small))).toEqual(['f.json: name: expected text, got 1 (line 1, column 11)']);
  });

  it('still reads a YAML flow mapping that only looks like JSON', () => {
    expect(parseConfigText('{ name: x, port: 7 }\n', 'f.yaml', small)).toEqual({ name: 'x', port: 7, items: [] });
    expect(problemsOf(() => parseConfigText('{ name: x, port: [1, 2 }\n', 'f.yaml', small))[0]).toMatch(/^f\.yaml: not valid YAML: .+ \(line \d+, column \d+\)$/);
  });

  describe('a park.json named by the server and the gateway config', () => {
    const dir = tempDir('json-park');
    afterAll(() => dir.remove());
    writeFileSync(path.join(dir.path, 'park.json'), JSON.stringify(demoPark));
    writeFileSync(path.join(dir.path, 'server.yaml'), 'park: park.json\ndataDir: data\n');
    writeFileSync(path.join(dir.path, 'gateway.yaml'), 'gateway: gw-b\npark: park.json\n');

    it('is read by the server', () => {
      const c = loadServerConfig(path.join(dir.path, 'server.yaml'), {});
      expect(c.parkModel).toEqual(loadConfigFile(DEMO_PARK_FILE, parkSchema).value);
    });

    it('is read by the gateway', () => {
      const c = loadGatewayConfig(path.join(dir.path, 'gateway.yaml'), {});
      expect(c.devices.length).toBeGreaterThan(0);
    });

    it('names park.json and the line of a mistake in it', () => {
      const broken = structuredClone(demoPark);
      const tag = broken.sites[0]?.devices[0]?.tags[0];
      if (!tag) throw new Error('the demo park has changed: no first tag');
      tag['rnage'] = [0, 1];
      writeFileSync(path.join(dir.path, 'park.json'), JSON.stringify(broken, null, 1));
      const [line] = problemsOf(() => loadServerConfig(path.join(dir.path, 'server.yaml'), {}));
      expect(line).toMatch(/park\.json: sites\[0\]\.devices\[0\]\.tags\[0\]\.rnage: unknown option.* \(line \d+, column \d+\)$/);
    });
  });

  // The JSON path finds problems by walking the text; the YAML document
  // finds them for the same text read as YAML (a comment line in front keeps
  // it off the JSON path). Both must name the same places.
  it('names the same line and column for a problem as the YAML document would', () => {
    const pathsOf = (v: unknown, at: PropertyKey[] = [], out: PropertyKey[][] = []): PropertyKey[][] => {
      out.push(at);
      if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
      else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
      return out;
    };
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 4 }),
        fc.constantFrom(0, 1, 2, '\t'),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('value', 'key', 'missing')), { minLength: 1, maxLength: 4 }),
        (value, indent, picks) => {
          const text = JSON.stringify(value, null, indent);
          const all = pathsOf(JSON.parse(text));
          const issues = picks.map(([n, kind]) => {
            const p = all[n % all.length] ?? [];
            return kind === 'missing' ? { path: [...p, 'zz-missing'], atKey: false } : { path: p, atKey: kind === 'key' && p.length > 0 };
          });
          const schema = z.any().superRefine((_v, ctx) => {
            for (const i of issues) {
              if (i.atKey) ctx.addIssue({ code: 'unrecognized_keys', keys: [String(i.path[i.path.length - 1])], path: i.path.slice(0, -1), input: undefined });
              else ctx.addIssue({ code: 'custom', path: i.path, message: 'x' });
            }
          });
          const fromJson = problemsOf(() => parseConfigText(text, 'f.json', schema));
          const fromYaml = problemsOf(() => parseConfigText(`#\n${text}`, 'f.json.yaml', schema)).map((l) =>
            l.replace('f.json.yaml', 'f.json').replace(/\(line (\d+), column (\d+)\)$/, (_m, line: string, col: string) => `(line ${Number(line) - 1}, column ${col})`),
          );
          expect(fromJson).toEqual(fromYaml);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('names a line and column for any text JSON.parse refuses, and accepts any it takes', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(0, 2), fc.nat(), fc.constantFrom('delete', 'insert'), fc.constantFrom(',', '"', '{', ']', ':', 'x', '\\', '\t', ' '), (value, indent, n, edit, char) => {
        const valid = JSON.stringify(value, null, indent);
        const at = n % (valid.length + 1);
        const text = edit === 'delete' ? valid.slice(0, at) + valid.slice(at + 1) : valid.slice(0, at) + char + valid.slice(at);
        let parsed = true;
        try {
          JSON.parse(text);
        } catch {
          parsed = false;
        }
        let lines: string[] = [];
        try {
          parseConfigText(text, 'f.json', z.any());
        } catch (err) {
          lines = (err as Error).message.split('\n');
        }
        if (parsed) expect(lines.every((l) => /^f\.json: not valid JSON: .*[Mm]ap keys must be unique/.test(l))).toBe(true);
        else expect(lines).toEqual([expect.stringMatching(/^f\.json: not valid JSON: .+ \(line \d+, column \d+\)$/)]);
      }),
      { numRuns: 500 },
    );
  });
});
