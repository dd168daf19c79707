import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { envOverrides, loadConfigFile, parkSchema, parseConfigText } from '@park/protocol/config';
import { REPO_ROOT } from '../../harness/park-server.js';
import { problemsOf } from '../../harness/config-errors.js';

const small = z.strictObject({
  name: z.string().min(1),
  port: z.number().int().min(1).max(65535).default(502),
  mode: z.enum(['a', 'b']).default('a'),
  items: z.array(z.strictObject({ id: z.string(), n: z.number() })).default([]),
});

describe('configuration loader', () => {
  it('accepts a valid file and applies defaults', () => {
    expect(parseConfigText('name: x\n', 'f.yaml', small)).toEqual({ name: 'x', port: 502, mode: 'a', items: [] });
  });

  it.each([
    ['a wrong type, with the value seen', 'name: x\nport: 50x\n', 'f.yaml: port: expected a number, got "50x" (line 2, column 7)'],
    ['a missing required option', 'port: 1\n', 'f.yaml: name: required: expected text (line 1, column 1)'],
    ['an unknown option, pointing at the typo', 'name: x\nprot: 1\n', 'f.yaml: prot: unknown option (check the spelling; see docs/configuration.md) (line 2, column 1)'],
    ['a value out of range', 'name: x\nport: 70000\n', 'f.yaml: port: must be at most 65535, got 70000 (line 2, column 7)'],
    ['a value not in the list', 'name: x\nmode: c\n', 'f.yaml: mode: expected "a" or "b", got "c" (line 2, column 7)'],
    ['a fraction where a whole number is needed', 'name: x\nport: 1.5\n', 'f.yaml: port: expected a whole number, got 1.5 (line 2, column 7)'],
    ['a nested list entry', 'name: x\nitems:\n  - id: a\n    n: 1\n  - id: b\n    n: two\n', 'f.yaml: items[1].n: expected a number, got "two" (line 6, column 8)'],
    ['an empty value', 'name:\n', 'f.yaml: name: expected text, got null (empty value) (line 1, column 6)'],
  ])('reports %s on one line with file, path, reason and line', (_what, text, expected) => {
    expect(problemsOf(() => parseConfigText(text, 'f.yaml', small))).toEqual([expected]);
  });

  it('reports every problem at once', () => {
    const lines = problemsOf(() => parseConfigText('port: x\nmode: z\nextra: 1\n', 'f.yaml', small));
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.split(':')[1]?.trim())).toEqual(expect.arrayContaining(['name', 'port', 'mode', 'extra']));
  });

  it('reports YAML syntax errors with line and column', () => {
    const lines = problemsOf(() => parseConfigText('name: x\nport: [1, 2\n', 'f.yaml', small));
    expect(lines[0]).toMatch(/^f\.yaml: not valid YAML: .+ \(line \d+, column \d+\)$/);
  });

  it('rejects duplicate keys instead of silently taking the last', () => {
    const lines = problemsOf(() => parseConfigText('name: x\nname: y\n', 'f.yaml', small));
    expect(lines[0]).toMatch(/^f\.yaml: not valid YAML: .*[Mm]ap keys must be unique/);
  });

  it('names a missing file', () => {
    expect(problemsOf(() => loadConfigFile('/nonexistent/park.yaml', small))).toEqual(['/nonexistent/park.yaml: file not found']);
  });

  it('names the environment variable when an override is invalid', () => {
    const overrides = envOverrides({ PORT: '80x' }, [{ name: 'PORT', path: ['port'], type: 'number' }]);
    expect(problemsOf(() => parseConfigText('name: x\n', 'f.yaml', small, { overrides }))).toEqual(['environment variable PORT: expected a number, got "80x"']);
  });

  it('applies a valid environment override over the file', () => {
    const overrides = envOverrides({ PORT: '8081', UNUSED: 'x' }, [{ name: 'PORT', path: ['port'], type: 'number' }]);
    expect(parseConfigText('name: x\nport: 1\n', 'f.yaml', small, { overrides }).port).toBe(8081);
  });
});

describe('park schema', () => {
  const demo = readFileSync(path.join(REPO_ROOT, 'seeds', 'park.yaml'), 'utf8');

  it('accepts the demo park', () => {
    const park = parseConfigText(demo, 'seeds/park.yaml', parkSchema);
    expect(park.sites.map((s) => s.id)).toEqual(['a', 'b']);
    const tagIds = park.sites.flatMap((s) => s.devices.flatMap((d) => d.tags.map((t) => t.id)));
    expect(tagIds).toContain('a.hs01.t101.level');
    expect(new Set(tagIds).size).toBe(tagIds.length);
  });

  it('gives the example error of the foundation issue for a bad port', () => {
    const broken = demo.replace('port: 5020\n        unitId: 2', 'port: 50x\n        unitId: 2');
    expect(broken).not.toBe(demo);
    const [line] = problemsOf(() => parseConfigText(broken, 'seeds/park.yaml', parkSchema));
    expect(line).toMatch(/^seeds\/park\.yaml: sites\[1\]\.devices\[1\]\.port: expected a number, got "50x" \(line \d+, column \d+\)$/);
  });

  const base = (tags: string, extra = ''): string => `park: { id: p, name: { zh: 园区, en: Park } }
sites:
  - id: s
    name: { zh: 站, en: Site }
    gateway: gw
    hazardSources: [{ id: hs1, name: { zh: 罐区, en: Tanks } }]
    devices:
      - id: d1
        protocol: modbus-tcp
        host: 127.0.0.1
        tags:
${tags}
${extra}`;
  const tag = (id: string, more: string): string => `          - id: ${id}\n            description: { zh: 点, en: Point }\n${more}`;

  it.each([
    ['an unknown device protocol', base(tag('t1', '            address: { table: holding, address: 0 }')).replace('modbus-tcp', 'modbus'), 'sites[0].devices[0].protocol: expected "opcua", "modbus-tcp" or "modbus-rtu", got "modbus"'],
    ['a duplicate tag id', base(tag('t1', '            address: { table: holding, address: 0 }') + '\n' + tag('t1', '            address: { table: holding, address: 1 }')), 'sites[0].devices[0].tags[1].id: duplicate tag id "t1" (first used at sites[0].devices[0].tags[0].id)'],
    ['an unknown hazard source', base(tag('t1', '            hazardSource: hs9\n            address: { table: holding, address: 0 }')), 'sites[0].devices[0].tags[0].hazardSource: unknown hazard source "hs9" (site "s" has "hs1")'],
    ['limits out of order', base(tag('t1', '            limits: { h: 90, hh: 80 }\n            address: { table: holding, address: 0 }')), 'sites[0].devices[0].tags[0].limits.hh: must be greater than h (90), got 80'],
    ['a float in a coil', base(tag('t1', '            address: { table: coil, address: 0, type: float32 }')), 'sites[0].devices[0].tags[0].address.type: coil holds single bits: type must be "bool", got "float32"'],
    ['a bit without its number', base(tag('t1', '            kind: discrete\n            address: { table: holding, address: 0, type: bit }')), 'sites[0].devices[0].tags[0].address.bit: required for type "bit": the bit number 0–15'],
    ['a bad tag id', base(tag('T 1', '            address: { table: holding, address: 0 }')), 'sites[0].devices[0].tags[0].id: must be 1–128 lower-case letters, digits, ".", "-" or "_", e.g. a.hs01.t101.level, got "T 1"'],
  ])('rejects %s', (_what, text, expected) => {
    const lines = problemsOf(() => parseConfigText(text, 'park.yaml', parkSchema));
    expect(lines.map((l) => l.replace(/ \(line \d+, column \d+\)$/, ''))).toContain(`park.yaml: ${expected}`);
  });
});
