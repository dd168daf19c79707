#!/usr/bin/env node
// @ts-check
// `npm test`: installs what the tests need (Debian packages, npm
// dependencies), builds, type-checks, then runs every vitest suite (unit,
// integration, browser). Arguments are passed to vitest, e.g.
// `npm test -- --project unit` or `npm test -- test/unit/config`.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, ROOT, run, say } from './lib/setup.mjs';

checkNode();
ensureDebianPackages([
  { command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x for integration tests' },
  { command: 'mosquitto', pkg: 'mosquitto', why: 'the external-broker tests' },
  { command: 'chromium', pkg: 'chromium', why: 'browser tests' },
  { command: 'socat', pkg: 'socat', why: 'serial-line pairs for Modbus RTU tests' },
  { command: 'mbpoll', pkg: 'mbpoll', why: 'an independent Modbus master for checks' },
  { command: 'systemd-analyze', pkg: 'systemd', why: 'checking the service units' },
  { file: '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc', pkg: 'fonts-wqy-microhei', why: 'Chinese text in the browser screenshots' },
]);
ensureNpmDependencies();
build();
say('Type-checking tests and web app …');
const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
run(process.execPath, [tsc, '-p', 'test', '--noEmit']);
run(process.execPath, [tsc, '-p', 'web', '--noEmit']);

say('Running vitest (unit, integration, browser) …');
const reportDir = path.join(ROOT, '.tmp');
mkdirSync(reportDir, { recursive: true });
const report = path.join(reportDir, 'vitest-report.json');
const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' });

// One plain closing line, whatever the reporter printed above.
try {
  const j = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  process.stdout.write(`\ntests: ${j.numPassedTests} passed, ${j.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}\n`);
} catch {
  // No report: vitest failed before running; its own output says why.
}
process.exit(r.status ?? 1);
