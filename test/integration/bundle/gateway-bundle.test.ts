import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { DEMO_PARK_FILE, REPO_ROOT } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, type Recorder } from '../gateway/helpers.js';
import { runCommand } from '../gateway-check/helpers.js';

// Issue 11: the offline gateway bundle is self-contained. It is built (from the already built
// workspaces: `npm test` builds first), unpacked in a temp folder and run there with a bare
// environment (env -i: no NODE_PATH, no npm, nothing of the repository reachable by module
// resolution): its `check` of the sample config, pointed at the simulators, passes; its install
// script lays it out under a temporary root, and the gateway started from there publishes readings.

describe('offline gateway bundle (issue 11)', () => {
  const tmp = tempDir('bundle');
  let sims: RunningSimulators;
  let broker: TestBroker;
  let rec: Recorder;
  let unpacked = '';
  let config = '';
  /** A bare environment: this Node.js and the system's tools, nothing else. */
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    const out = path.join(tmp.path, 'out');
    const built = await runCommand(process.execPath, [path.join(REPO_ROOT, 'scripts', 'bundle.mjs'), 'gateway', '--arch', 'x64', '--out', out, '--no-build'], { cwd: REPO_ROOT, timeoutMs: 150_000 });
    expect(built.code, `${built.stdout}\n${built.stderr}`).toBe(0);
    const tarball = readdirSync(out).find((f) => /^park-gateway-\d+\.\d+\.\d+-linux-x64\.tar\.gz$/.test(f));
    expect(tarball).toBeDefined();
    const unpack = await runCommand('tar', ['-xzf', path.join(out, tarball as string), '-C', tmp.path]);
    expect(unpack.code, unpack.stderr).toBe(0);
    unpacked = path.join(tmp.path, (tarball as string).replace(/\.tar\.gz$/, ''));

    sims = await startSimulators({ park: loadConfigFile(DEMO_PARK_FILE, parkSchema).value, seed: 1, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: false });
    broker = await startTestAedes();
    rec = await record(broker.url);
    // The bundle's own sample config, its ★ addresses pointed at the simulators.
    const sample = readFileSync(path.join(unpacked, 'deploy', 'gateway.yaml'), 'utf8');
    const text = sample
      .replace(/^(\s*host:\s*)\S+/gm, '$1127.0.0.1')
      .replace(/^(\s*port:\s*)502\b/gm, `$1${sims.modbusPort}`)
      .replace(/^(\s*endpoint:\s*)opc\.tcp:\/\/\S+/gm, `$1${sims.opcuaEndpoint}`)
      .replace(/^(\s*url:\s*)mqtts?:\/\/\S+/gm, `$1${broker.url}`);
    // Never let a test reach past loopback: every address left in the file is 127.0.0.1.
    for (const m of text.matchAll(/^\s*(host|endpoint|url):\s*(\S+)/gm)) expect(m[2], m[0]).toMatch(/^(127\.0\.0\.1|opc\.tcp:\/\/127\.0\.0\.1:\d+|mqtt:\/\/127\.0\.0\.1:\d+)$/);
    config = path.join(tmp.path, 'gateway.yaml');
    writeFileSync(config, text);
    env = { PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME: tmp.path, DATA_DIR: path.join(tmp.path, 'state') };
  }, 180_000);

  afterAll(async () => {
    await rec?.close();
    await sims?.stop();
    await broker?.stop();
    tmp.remove();
  });

  it('holds the gateway, production dependencies, serial bindings, unit, sample config and install script', () => {
    for (const f of ['bin/park-gateway', 'install.sh', 'bundle.env', 'deploy/park-gateway.service', 'deploy/gateway.yaml', 'docs/deploy.md', 'app/package-lock.json', 'app/node_modules/@park/gateway/dist/main.js', 'app/node_modules/@park/protocol/dist/index.js']) {
      expect(existsSync(path.join(unpacked, f)), f).toBe(true);
    }
    const prebuilds = path.join(unpacked, 'app', 'node_modules', '@serialport', 'bindings-cpp', 'prebuilds');
    expect(readdirSync(prebuilds)).toEqual(['linux-x64']);
    expect(readdirSync(path.join(prebuilds, 'linux-x64')).some((f) => f.endsWith('.node'))).toBe(true);
    // Production dependencies only: no compiler, test runner or type checker.
    for (const dev of ['typescript', 'vitest', 'vite', 'playwright-core']) expect(existsSync(path.join(unpacked, 'app', 'node_modules', dev)), dev).toBe(false);
    // No TypeScript sources: the package exports only the built JavaScript.
    const pkg = JSON.parse(readFileSync(path.join(unpacked, 'app', 'node_modules', '@park', 'gateway', 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(pkg.exports['.']?.['source']).toBeUndefined();
  });

  it('runs `park-gateway check` from the unpacked folder with a bare environment and passes', async () => {
    const r = await runCommand('env', ['-i', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'sh', path.join(unpacked, 'bin', 'park-gateway'), 'check', '--config', config], { cwd: tmp.path, env: {} });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('Result: PASS');
    expect(r.stdout).toMatch(/3\/3 devices reachable, 7\/7 tags good, broker reachable/);
    // The serial binding of the bundle loads on this architecture (Modbus RTU needs it).
    const binding = await runCommand('env', ['-i', `PATH=${env['PATH']}`, 'node', '-e', "require('@serialport/bindings-cpp'); console.log('ok')"], { cwd: path.join(unpacked, 'app'), env: {} });
    expect(binding.stdout.trim(), binding.stderr).toBe('ok');
  }, 60_000);

  it('install.sh --root lays it out; the installed gateway publishes readings; the unit verifies', async () => {
    const root = path.join(tmp.path, 'root');
    const inst = await runCommand('sh', [path.join(unpacked, 'install.sh'), '--root', root], { env: { PATH: env['PATH'] } });
    expect(inst.code, `${inst.stdout}\n${inst.stderr}`).toBe(0);
    const version = /VERSION=(\S+)/.exec(readFileSync(path.join(unpacked, 'bundle.env'), 'utf8'))?.[1] as string;
    expect(readlinkSync(path.join(root, 'opt', 'park-gateway', 'current'))).toBe(version);
    expect(readlinkSync(path.join(root, 'usr', 'local', 'bin', 'park-gateway'))).toBe('/opt/park-gateway/current/bin/park-gateway');
    expect(readFileSync(path.join(root, 'etc', 'park-gateway', 'gateway.yaml'), 'utf8')).toContain('gateway: gw-b');
    const unit = readFileSync(path.join(root, 'etc', 'systemd', 'system', 'park-gateway.service'), 'utf8');
    expect(unit).toMatch(/^SupplementaryGroups=dialout$/m);
    expect(unit).toMatch(/^StateDirectory=park-gateway$/m);
    // A config that exists is never overwritten by a second install (an upgrade).
    writeFileSync(path.join(root, 'etc', 'park-gateway', 'gateway.yaml'), 'gateway: edited\n');
    expect((await runCommand('sh', [path.join(unpacked, 'install.sh'), '--root', root], { env: { PATH: env['PATH'] } })).code).toBe(0);
    expect(readFileSync(path.join(root, 'etc', 'park-gateway', 'gateway.yaml'), 'utf8')).toBe('gateway: edited\n');

    // The installed gateway, run as the unit runs it, against the simulators and the broker.
    const bin = path.join(root, 'opt', 'park-gateway', 'current', 'bin', 'park-gateway');
    const child = spawn('env', ['-i', ...Object.entries({ ...env, DATA_DIR: path.join(tmp.path, 'state-run') }).map(([k, v]) => `${k}=${v}`), bin, '--config', config], { cwd: tmp.path, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const ids = ['b.hs03.v201.level', 'b.hs03.gd01', 'a.hs01.t101.level'];
      await rec.waitFor('readings from the installed gateway', () => ids.every((id) => rec.latest.get(id)?.q === 'good'), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}\n${output}`);
      });
      expect(rec.status.some((s) => s.gateway === 'gw-b' && s.state === 'online' && s.counters?.['clockUnknown'] !== undefined)).toBe(true);
      expect(rec.invalid).toEqual([]);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('the systemd units pass systemd-analyze verify', async () => {
    // Verified as installed, with ExecStart pointing at the laid-out bundle (verify checks that it is executable).
    const root = path.join(tmp.path, 'root');
    const units = path.join(tmp.path, 'units');
    mkdirSync(units, { recursive: true });
    for (const name of ['park-gateway.service', 'park-server.service']) {
      const unit = readFileSync(path.join(REPO_ROOT, 'scripts', 'deploy', name), 'utf8').replace(/^ExecStart=\/opt\/park-(gateway|server)\/current\/bin\/park-\w+/m, `ExecStart=${path.join(root, 'opt', 'park-gateway', 'current', 'bin', 'park-gateway')}`);
      writeFileSync(path.join(units, name), unit);
    }
    const r = await runCommand('systemd-analyze', ['verify', path.join(units, 'park-gateway.service'), path.join(units, 'park-server.service')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter((l) => l.includes('park-'))).toEqual([]);
  }, 30_000);
});
