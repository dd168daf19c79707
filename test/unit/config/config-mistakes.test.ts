import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_ERROR_EXIT_CODE } from '@park/protocol/config';
import { loadServerConfig } from '@park/server';
import { loadGatewayConfig } from '@park/gateway';
import { REPO_ROOT } from '../../harness/park-server.js';
import { problemsOf } from '../../harness/config-errors.js';
import { tempDir } from '../../harness/temp-dir.js';

// Issue 9, config files with every kind of mistake: each broken server, park
// or gateway file gives one clear line per problem naming the file, the path
// (or the line) and the reason; the built commands stop with exit code 2
// before starting anything (no managed influxd, no pid file).

const PARK = readFileSync(path.join(REPO_ROOT, 'seeds', 'park.yaml'), 'utf8');
const SERVER = 'park: park.yaml\ndataDir: data\ndemo: true\nhttp:\n  host: 127.0.0.1\n  port: 8080\n';
const GATEWAY = 'gateway: gw-b\npark: park.yaml\ndataDir: data/gw-b\nmqtt:\n  url: mqtt://127.0.0.1:1883\n';

/** Replaces `from` once in `text`; fails loudly when the seed changed under the test. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`the seed no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

type Kind = 'server' | 'gateway' | 'park';

interface Mistake {
  name: string;
  kind: Kind;
  /** The broken file's content (the other files are the valid seeds). */
  text: string | Buffer;
  /** One of the lines must match this. */
  expected: RegExp;
}

const F = (kind: Kind): string => `${kind}.yaml`;
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A problem line of the file `kind`.yaml (named by its absolute path: the loader is given one). */
const line = (kind: Kind, rest: string): RegExp => new RegExp(`^(?:/.*/)?${esc(F(kind))}: ${rest}$`);

const MISTAKES: Mistake[] = [
  // Empty and garbage files.
  { name: 'an empty server file', kind: 'server', text: '', expected: line('server', 'park: required.*') },
  { name: 'a server file of comments only', kind: 'server', text: '# nothing here\n', expected: line('server', 'park: required.*') },
  { name: 'an empty park file', kind: 'park', text: '', expected: line('park', '(park|sites): required.*') },
  { name: 'an empty gateway file', kind: 'gateway', text: '', expected: line('gateway', 'gateway: required.*') },
  { name: 'binary garbage as server file', kind: 'server', text: Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x37, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x01]), expected: line('server', '.+') },
  {
    name: 'binary garbage as park file',
    kind: 'park',
    text: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)),
    expected: line('park', 'expected a mapping \\(key: value\\), got .+'),
  },
  { name: 'a list where a mapping is expected', kind: 'server', text: '- park.yaml\n- data\n', expected: line('server', '.*expected .+') },
  { name: 'a bare string', kind: 'gateway', text: 'gw-b\n', expected: line('gateway', '.*expected .+') },
  // YAML syntax.
  { name: 'a tab used for indentation', kind: 'server', text: 'park: park.yaml\nhttp:\n\tport: 8080\n', expected: line('server', 'not valid YAML: .+\\(line 3, column \\d+\\)') },
  { name: 'a wrongly indented key', kind: 'server', text: 'park: park.yaml\nhttp:\n  host: 127.0.0.1\n   port: 8080\n', expected: line('server', 'not valid YAML: .+\\(line \\d+, column \\d+\\)') },
  { name: 'an unclosed list', kind: 'gateway', text: `${GATEWAY}outbox: [1, 2\n`, expected: line('gateway', 'not valid YAML: .+\\(line \\d+, column \\d+\\)') },
  { name: 'a duplicate key', kind: 'server', text: `${SERVER}demo: false\n`, expected: line('server', 'not valid YAML: .*[Mm]ap keys must be unique.*') },
  {
    name: 'an alias bomb',
    kind: 'server',
    text: `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n${SERVER}`,
    expected: line('server', '.*alias.*'),
  },
  // Unknown keys at several depths.
  { name: 'an unknown top-level key', kind: 'server', text: `${SERVER}influxdb: {}\n`, expected: line('server', 'influxdb: unknown option.*\\(line \\d+, column \\d+\\)') },
  { name: 'an unknown key one level down', kind: 'server', text: edit(SERVER, '  port: 8080\n', '  port: 8080\n  prot: 8081\n'), expected: line('server', 'http\\.prot: unknown option.*\\(line 7, column 3\\)') },
  { name: 'an unknown key in a park tag', kind: 'park', text: edit(PARK, '            range: [0, 100]\n', '            range: [0, 100]\n            rnage: [0, 100]\n'), expected: line('park', 'sites\\[0\\]\\.devices\\[0\\]\\.tags\\[0\\]\\.rnage: unknown option.*\\(line \\d+, column \\d+\\)') },
  { name: 'an unknown key in tag limits', kind: 'park', text: edit(PARK, 'limits: { ll: 5, l: 10, h: 80, hh: 85, deadband: 1 }', 'limits: { ll: 5, l: 10, h: 80, hh: 85, hhh: 90, deadband: 1 }'), expected: line('park', 'sites\\[0\\]\\.devices\\[0\\]\\.tags\\[0\\]\\.limits\\.hhh: unknown option.*') },
  { name: 'an unknown key in the gateway outbox', kind: 'gateway', text: `${GATEWAY}outbox:\n  maxMb: 10\n`, expected: line('gateway', 'outbox\\.maxMb: unknown option.*\\(line 7, column 3\\)') },
  // Wrong types.
  { name: 'a port as text', kind: 'server', text: edit(SERVER, 'port: 8080', 'port: eighty'), expected: line('server', 'http\\.port: expected a number, got "eighty" \\(line 6, column 9\\)') },
  { name: 'a boolean as text', kind: 'server', text: edit(SERVER, 'demo: true', 'demo: yes please'), expected: line('server', 'demo: expected .*(true|boolean).*') },
  { name: 'a list where text is expected', kind: 'gateway', text: edit(GATEWAY, 'gateway: gw-b', 'gateway: [gw-b]'), expected: line('gateway', 'gateway: expected text.*') },
  { name: 'a range that is not a pair', kind: 'park', text: edit(PARK, 'range: [0, 100]', 'range: [0]'), expected: line('park', 'sites\\[0\\]\\.devices\\[0\\]\\.tags\\[0\\]\\.range.*') },
  // Out of range.
  { name: 'a port above 65535', kind: 'server', text: edit(SERVER, 'port: 8080', 'port: 70000'), expected: line('server', 'http\\.port: must be at most 65535, got 70000 \\(line 6, column 9\\)') },
  { name: 'a negative port', kind: 'server', text: edit(SERVER, 'port: 8080', 'port: -1'), expected: line('server', 'http\\.port: must be at least 0, got -1.*') },
  { name: 'a Modbus port of 0 in the park', kind: 'park', text: edit(PARK, 'port: 5020\n        unitId: 1', 'port: 99999\n        unitId: 1'), expected: line('park', 'sites\\[1\\]\\.devices\\[\\d+\\]\\.port: must be at most 65535, got 99999.*') },
  { name: 'a Modbus unit id of 300', kind: 'park', text: edit(PARK, 'port: 5020\n        unitId: 1', 'port: 5020\n        unitId: 300'), expected: line('park', 'sites\\[1\\]\\.devices\\[\\d+\\]\\.unitId: must be at most.*') },
  { name: 'a negative outbox size', kind: 'gateway', text: `${GATEWAY}outbox:\n  maxMB: -5\n`, expected: line('gateway', 'outbox\\.maxMB: must be .*') },
  { name: 'an unknown log level', kind: 'gateway', text: `${GATEWAY}log:\n  level: loud\n`, expected: line('gateway', 'log\\.level: expected .*"info".*got "loud".*') },
  // Duplicate ids and dangling references.
  { name: 'a duplicate tag id', kind: 'park', text: edit(PARK, '          - id: a.hs01.t101.pressure\n', '          - id: a.hs01.t101.level\n'), expected: line('park', '.*duplicate.*a\\.hs01\\.t101\\.level.*') },
  { name: 'a duplicate site id', kind: 'park', text: edit(PARK, '  - id: a\n', '  - id: b\n'), expected: line('park', '.*duplicate.*"b".*') },
  { name: 'a tag naming a hazard source that does not exist', kind: 'park', text: edit(PARK, '            hazardSource: hs01\n', '            hazardSource: hs99\n'), expected: line('park', 'sites\\[0\\]\\.devices\\[0\\]\\.tags\\[0\\]\\.hazardSource: .*hs99.*') },
  { name: 'a server naming a park file that does not exist', kind: 'server', text: edit(SERVER, 'park: park.yaml', 'park: nope.yaml'), expected: /nope\.yaml: file not found$/ },
  { name: 'a gateway nobody in the park has', kind: 'gateway', text: edit(GATEWAY, 'gateway: gw-b', 'gateway: gw-z'), expected: line('gateway', 'gateway: no site of the park model has gateway: gw-z.*') },
  { name: 'a gateway site that does not exist', kind: 'gateway', text: `${GATEWAY}site: zz\n`, expected: line('gateway', 'site: site "zz" is not in the park model.*') },
  { name: 'a gateway id with capitals and spaces', kind: 'gateway', text: edit(GATEWAY, 'gateway: gw-b', 'gateway: GW B'), expected: line('gateway', 'gateway: .*') },
];

describe('config files with every kind of mistake (issue 9)', () => {
  const dir = tempDir('config-mistakes');
  afterAll(() => dir.remove());

  /** Writes the valid seeds, then the broken file over one of them, and loads the server or gateway config that reads it. */
  function problemsFor(m: Mistake): string[] {
    const files: Record<Kind, string | Buffer> = { server: SERVER, gateway: GATEWAY, park: PARK, [m.kind]: m.text };
    for (const [kind, text] of Object.entries(files)) writeFileSync(path.join(dir.path, `${kind}.yaml`), text);
    const file = path.join(dir.path, m.kind === 'gateway' ? 'gateway.yaml' : 'server.yaml');
    return problemsOf(() => (m.kind === 'gateway' ? loadGatewayConfig(file, {}) : loadServerConfig(file, {})));
  }

  const check = (m: Mistake): void => {
    const lines = problemsFor(m);
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      // One line each: file, then a reason; never a stack trace or an object dump.
      expect(l).toMatch(/^\S+\.yaml: \S.*$/);
      expect(l).not.toMatch(/\bat .+:\d+:\d+|\[object Object\]|undefined|\bZod/);
      expect(l.length).toBeLessThan(400);
    }
    expect(lines, lines.join('\n')).toEqual(expect.arrayContaining([expect.stringMatching(m.expected)]));
  };
  it.each(MISTAKES.map((m) => [m.name, m] as const))('%s: one clear line with file, path and reason', (_name, m) => check(m));
});

// The built commands: exit code 2, the problem on stderr, nothing started.
const SERVER_MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
const GATEWAY_MAIN = path.join(REPO_ROOT, 'gateway', 'dist', 'main.js');

function run(main: string, args: string[], cwd: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    // No environment overrides of the config: INFLUX_URL would skip the managed influxd.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !['INFLUX_URL', 'DATA_DIR', 'PORT', 'MQTT_URL', 'LOG_LEVEL'].includes(k)));
    const child = spawn(process.execPath, [main, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe.each([
  ['server', SERVER_MAIN, 'a dangling hazard source in the park', { 'park.yaml': edit(PARK, '            hazardSource: hs01\n', '            hazardSource: hs99\n') }, /park\.yaml: sites\[0\]\.devices\[0\]\.tags\[0\]\.hazardSource: .*hs99/],
  ['server', SERVER_MAIN, 'a tab in the server file', { 'server.yaml': 'park: park.yaml\ndataDir: data\ninflux:\n\tmanaged: {}\n' }, /server\.yaml: not valid YAML: .+\(line 4, column \d+\)/],
  ['server', SERVER_MAIN, 'an out-of-range managed InfluxDB port', { 'server.yaml': `${SERVER}influx:\n  managed:\n    httpPort: 123456\n` }, /server\.yaml: influx\.managed\.httpPort: must be at most 65535/],
  ['server', SERVER_MAIN, 'an InfluxDB cache below its minimum', { 'server.yaml': `${SERVER}influx:\n  managed:\n    cacheSnapshotMB: 8\n` }, /server\.yaml: influx\.managed\.cacheSnapshotMB: must be at least 25/],
  ['gateway', GATEWAY_MAIN, 'binary garbage', { 'gateway.yaml': Buffer.from([0x00, 0xff, 0x13, 0x37, 0x00, 0x0a]) }, /gateway\.yaml: .+/],
  ['gateway', GATEWAY_MAIN, 'an unknown gateway', { 'gateway.yaml': edit(GATEWAY, 'gateway: gw-b', 'gateway: gw-z') }, /gateway\.yaml: gateway: no site of the park model has gateway: gw-z/],
] as const)('park-%s command with %s', (kind, main, what, files, expected) => {
  it(`exits ${CONFIG_ERROR_EXIT_CODE} naming the problem (${what}) and starts nothing`, async () => {
    if (!existsSync(main)) throw new Error(`${main} is missing: build first with "npm run build" (npm test does this)`);
    const dir = tempDir(`cli-mistake-${kind}`);
    try {
      const all: Record<string, string | Buffer> = { 'server.yaml': SERVER, 'gateway.yaml': GATEWAY, 'park.yaml': PARK, ...files };
      for (const [name, text] of Object.entries(all)) writeFileSync(path.join(dir.path, name), text);
      const r = await run(main, ['--config', `${kind}.yaml`], dir.path);
      expect(r.code, r.stderr).toBe(CONFIG_ERROR_EXIT_CODE);
      const lines = r.stderr.trim().split('\n');
      expect(lines[0]).toBe(`park-${kind}: configuration error`);
      expect(lines.slice(1), r.stderr).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
      expect(r.stderr).not.toMatch(/\bat .+:\d+:\d+/);
      // Nothing half-started: no managed influxd (its pid file), no outbox.
      expect(existsSync(path.join(dir.path, 'data', 'influxdb', 'influxd.pid'))).toBe(false);
      expect(existsSync(path.join(dir.path, 'data'))).toBe(false);
    } finally {
      dir.remove();
    }
  }, 30_000); // it spawns the built command, which loads its drivers first: seconds on a busy machine
});
