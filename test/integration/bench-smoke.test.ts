// `npm run bench` keeps working: the compiled benchmark runner, in its
// smoke mode (a tiny load for a few seconds), runs the fleet and the
// end-to-end scenarios, prints a table row with figures for each and exits
// 0. Its results go to a temporary file, never to docs/BENCHMARKS.md. The
// figures themselves are not judged here: speed is measured by the
// benchmarks, never asserted in tests.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tempDir } from '../harness/temp-dir.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RUNNER = path.join(ROOT, 'test', 'bench', 'dist', 'bench', 'run.js');
const BENCHMARKS_MD = path.join(ROOT, 'docs', 'BENCHMARKS.md');

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BENCH_OUT: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const dir = tempDir('bench-smoke');
afterAll(() => dir.remove());

beforeAll(async () => {
  // The runner is compiled JavaScript, as `npm run bench` runs it.
  const tsc = await run([path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'test/bench']);
  expect(tsc.code, tsc.stdout + tsc.stderr).toBe(0);
}, 120_000);

it('runs the fleet and end-to-end scenarios on a tiny load, prints a row of figures for each and leaves docs/BENCHMARKS.md alone', async () => {
  const out = path.join(dir.path, 'results.md');
  const before = readFileSync(BENCHMARKS_MD, 'utf8');
  const r = await run([RUNNER, '--smoke', '--out', out, 'fleet', 'e2e']);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);

  const rows = r.stdout.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| scenario'));
  const cells = (row: string): string[] => row.split('|').slice(1, -1).map((c) => c.trim());
  const fleetRow = rows.map(cells).find((c) => c[0] === 'fleet Modbus TCP');
  const e2eRow = rows.map(cells).find((c) => c[0] === 'end to end' && c[1]?.startsWith('readings/s stored'));
  expect(fleetRow?.[2]).toMatch(/^[\d,]+$/);
  expect(e2eRow?.[2]).toMatch(/^[\d,]+$/);
  expect(rows.some((row) => row.includes('FAILED'))).toBe(false);

  const written = readFileSync(out, 'utf8');
  expect(written).toContain('Run: smoke');
  expect(written).toContain('| fleet Modbus TCP |');
  expect(readFileSync(BENCHMARKS_MD, 'utf8')).toBe(before);
}, 180_000);
