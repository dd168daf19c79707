import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';
import type { RunningSimulators } from '@park/simulators';
import { DEMO_PARK_FILE, REPO_ROOT } from '../../harness/park-server.js';

export const GATEWAY_MAIN = path.join(REPO_ROOT, 'gateway', 'dist', 'main.js');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end (killed after `timeoutMs`). */
export function runCommand(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** `node gateway/dist/main.js ARGS` (the built CLI, as `npm run gateway --` runs it). */
export function runGateway(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return runCommand(process.execPath, [GATEWAY_MAIN, ...args], { env });
}

/** The demo park with every OPC UA and Modbus TCP device pointed at the simulators (RTU devices left out). */
export function demoParkAtSimulators(sims: RunningSimulators): ParkConfig {
  const park = structuredClone(loadConfigFile(DEMO_PARK_FILE, parkSchema).value);
  for (const site of park.sites) {
    site.devices = site.devices.filter((d) => d.protocol !== 'modbus-rtu');
    for (const d of site.devices) {
      if (d.protocol === 'opcua') d.endpoint = sims.opcuaEndpoint;
      else if (d.protocol === 'modbus-tcp') d.port = sims.modbusPort;
    }
  }
  return park;
}

/** Writes a config file (JSON is YAML) and returns its path. */
export function writeConfig(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(value, null, 2));
  return file;
}
