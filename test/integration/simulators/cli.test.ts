import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_ERROR_EXIT_CODE, loadConfigFile, parkSchema } from '@park/protocol/config';
import { REPO_ROOT } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';

// `npm run sim` as an operator runs it: the built CLI.
const MAIN = path.join(REPO_ROOT, 'simulators', 'dist', 'main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Ready {
  opcua: string;
  modbusTcp: string;
  modbusRtu: string;
  control: string;
  points: number;
}

describe('park-sim command line', () => {
  const dir = tempDir('sim-cli');
  let child: ChildProcess | undefined;
  let ready: Ready | undefined;
  let exited: Promise<number | null> | undefined;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with "npm run build" (npm test does this)`);
    const c = spawn(process.execPath, [MAIN, '--opcua-port', '0', '--modbus-port', '0', '--control-port', '0', '--rtu-dir', dir.path, '--seed', '9'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child = c;
    exited = new Promise((resolve) => c.once('exit', (code) => resolve(code)));
    let out = '';
    ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "simulators ready" line:\n${out}`)), 30_000);
      c.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"msg":"simulators ready"'));
        if (line) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Ready);
        }
      });
      c.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${out}`)));
    });
  });
  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    dir.remove();
  });

  it('logs one ready line with every endpoint', () => {
    expect(ready).toMatchObject({
      opcua: expect.stringMatching(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/),
      modbusTcp: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      modbusRtu: path.join(dir.path, 'b-gas-rtu'),
      control: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      points: 105,
    });
    expect(existsSync(path.join(dir.path, 'b-gas-rtu'))).toBe(true);
  });

  it('starts a scenario and resets through the control API from the command line', async () => {
    const started = await run(['scenario', 'overfill', '--target', 'b.hs04.t301', '--control', ready!.control]);
    expect(started.code).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ name: 'overfill', targets: ['b.hs04.t301'] });
    const bad = await run(['scenario', 'meteor', '--control', ready!.control]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^park-sim: unknown scenario "meteor"/);
    expect((await run(['reset', '--control', ready!.control])).code).toBe(0);
    const points = await run(['points', '--control', ready!.control]);
    expect(points.stdout).toMatch(/^a\.hs01\.t101\.level\s+[\d.]+ %/);
  });

  it('stops cleanly on SIGTERM, socat with it', async () => {
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dir.path, 'b-gas-rtu'))).toBe(false);
  });

  it('names a configuration error and exits with code 2', async () => {
    const broken = readFileSync(path.join(REPO_ROOT, 'seeds', 'park.yaml'), 'utf8').replace('port: 5020\n        unitId: 2', 'port: 50x\n        unitId: 2');
    const file = path.join(dir.path, 'broken.yaml');
    writeFileSync(file, broken);
    const r = await run(['--park', file, '--no-rtu']);
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toMatch(/^park-sim: configuration error\n.*broken\.yaml: sites\[1\]\.devices\[1\]\.port: expected a number, got "50x" \(line \d+, column \d+\)/);
  });

  it('refuses unknown options with the usage and code 2', async () => {
    const r = await run(['--sped', '3']);
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toMatch(/^park-sim: unknown option --sped\nusage:/);
  });
});

describe('park-sim --fleet --write-park', () => {
  const dir = tempDir('sim-fleet-park');
  afterAll(() => dir.remove());

  it.each(['fleet.json', 'fleet.yaml'])('writes the fleet as a park file the loader takes (%s)', async (name) => {
    const file = path.join(dir.path, name);
    const c = spawn(process.execPath, [MAIN, '--fleet', '--devices', '2', '--points', '3', '--opcua-variables', '0', '--modbus-port', '0', '--control-port', '0', '--no-rtu', '--write-park', file], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => c.once('exit', resolve));
    try {
      // The file is written before the listeners start, so "ready" means it is complete.
      await new Promise<void>((resolve, reject) => {
        let out = '';
        c.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"msg":"simulators ready"')) resolve();
        });
        c.once('exit', (code) => reject(new Error(`exited with ${code} before ready:\n${out}`)));
      });
      const text = readFileSync(file, 'utf8');
      if (name.endsWith('.json')) expect(() => JSON.parse(text) as unknown).not.toThrow();
      else expect(text.startsWith('# Generated by park-sim --fleet')).toBe(true);
      const park = loadConfigFile(file, parkSchema).value;
      expect(park.sites[0]?.devices.map((d) => d.id)).toEqual(['fleet-m001', 'fleet-m002']);
      expect(park.sites[0]?.devices[1]?.tags.map((t) => t.id)).toEqual(['fleet.m002.p00001', 'fleet.m002.p00002', 'fleet.m002.p00003']);
    } finally {
      c.kill('SIGTERM');
      await exited;
    }
  });
});
