import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_ERROR_EXIT_CODE } from '@park/protocol/config';
import { REPO_ROOT } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';

const MAIN = path.join(REPO_ROOT, 'gateway', 'dist', 'main.js');

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stderr }));
  });
}

describe('park-gateway command line', () => {
  it('exits 2 with every configuration problem listed', async () => {
    const dir = tempDir('gw-cli');
    const file = path.join(dir.path, 'bad.yaml');
    writeFileSync(file, 'gateway: gw-x\nmqtt:\n  urll: mqtt://x\ndevices: []\n');
    const r = await run(['--config', file]);
    dir.remove();
    expect(r.code).toBe(CONFIG_ERROR_EXIT_CODE);
    expect(r.stderr).toContain('park-gateway: configuration error');
    expect(r.stderr).toContain('mqtt.urll: unknown option');
  });
  it('exits 2 without --config', async () => {
    expect((await run([])).code).toBe(CONFIG_ERROR_EXIT_CODE);
  });
});
