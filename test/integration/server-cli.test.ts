import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_ERROR_EXIT_CODE } from '@park/protocol/config';
import { REPO_ROOT } from '../harness/park-server.js';
import { freePort } from '../harness/ports.js';
import { tempDir } from '../harness/temp-dir.js';

// The command as an engineer runs it on site: the built server, a config file.
const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('park-server command line', () => {
  const dir = tempDir('cli');
  beforeAll(() => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: build first with "npm run build" (npm test does this)`);
    cpSync(path.join(REPO_ROOT, 'seeds'), path.join(dir.path, 'seeds'), { recursive: true });
  });
  afterAll(() => dir.remove());

  const writeConfig = (name: string, text: string): string => {
    writeFileSync(path.join(dir.path, 'seeds', name), text);
    return `seeds/${name}`;
  };

  it('stops with exit code 2 and one line naming file, path and reason for a broken park file', async () => {
    const park = readFileSync(path.join(dir.path, 'seeds', 'park.yaml'), 'utf8').replace('port: 5020\n        unitId: 2', 'port: 50x\n        unitId: 2');
    writeFileSync(path.join(dir.path, 'seeds', 'broken-park.yaml'), park);
    const config = writeConfig('broken-server.yaml', 'park: broken-park.yaml\n');
    const r = await run(['--config', config], dir.path);
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toEqual(['park-server: configuration error', expect.stringMatching(/^seeds\/broken-park\.yaml: sites\[1\]\.devices\[1\]\.port: expected a number, got "50x" \(line \d+, column \d+\)$/)]);
  });

  it('names an unknown option in the server config', async () => {
    const config = writeConfig('typo.yaml', 'park: park.yaml\nhttp:\n  prot: 8080\n');
    const r = await run(['--config', config], dir.path);
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toContain('seeds/typo.yaml: http.prot: unknown option');
  });

  it('names the environment variable that is wrong', async () => {
    const r = await run(['--config', 'seeds/server.yaml'], dir.path, { PORT: '80x' });
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toContain('environment variable PORT: expected a number, got "80x"');
  });

  it('explains a missing config file and a missing --config', async () => {
    const missing = await run(['--config', 'seeds/nope.yaml'], dir.path);
    expect(missing.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(missing.stderr).toContain('seeds/nope.yaml: file not found');
    const none = await run([], dir.path);
    expect(none.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(none.stderr).toContain('missing --config FILE');
  });

  async function startReal(): Promise<{ child: ChildProcess; influxdPid: number; url: string; dataDir: string; exit: Promise<number | null> }> {
    const [httpPort, mqttPort, influxPort, rpcPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const config = writeConfig(
      `run-${httpPort}.yaml`,
      `park: park.yaml\ndataDir: ../data-${httpPort}\nhttp: { port: ${httpPort} }\nmqtt: { embedded: { port: ${mqttPort} } }\ninflux: { managed: { httpPort: ${influxPort}, rpcPort: ${rpcPort} } }\nlog: { level: info }\n`,
    );
    const child = spawn(process.execPath, [MAIN, '--config', config], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"server ready"')) resolve();
      });
      void exit.then((code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    const influxdPid = Number(readFileSync(path.join(dir.path, `data-${httpPort}`, 'influxdb', 'influxd.pid'), 'utf8'));
    return { child, influxdPid, url: `http://127.0.0.1:${httpPort}`, dataDir: path.join(dir.path, `data-${httpPort}`), exit };
  }

  it('starts for real, and on SIGTERM stops with its influxd', async () => {
    const s = await startReal();
    expect(pidAlive(s.influxdPid)).toBe(true);
    // influx.managed.gcPercent, default 200, reaches influxd as its GOGC.
    expect(readFileSync(`/proc/${s.influxdPid}/environ`, 'utf8').split('\0')).toContain('GOGC=200');
    // influx.managed.cacheSnapshotMB, default 64, reaches its config file.
    expect(readFileSync(path.join(s.dataDir, 'influxdb', 'influxd.conf'), 'utf8')).toMatch(/^ {2}cache-snapshot-memory-size = 67108864$/m);
    const health = (await (await fetch(`${s.url}/api/health`)).json()) as { status: string };
    expect(health.status).toBe('ok');
    s.child.kill('SIGTERM');
    expect(await s.exit).toBe(0);
    await expect.poll(() => pidAlive(s.influxdPid), { timeout: 10_000 }).toBe(false);
  });

  it('leaves no influxd behind even when killed with SIGKILL', async () => {
    const s = await startReal();
    s.child.kill('SIGKILL');
    await s.exit;
    await expect.poll(() => pidAlive(s.influxdPid), { timeout: 10_000 }).toBe(false);
  });
});
