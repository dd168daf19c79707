#!/usr/bin/env node
// @ts-check
// `npm run bench [-- [--quick | --smoke] [--out FILE] SCENARIO …]`: installs
// what the benchmarks need, builds, runs them and appends the results to
// docs/BENCHMARKS.md (or FILE). Scenarios: ingest, fleet, gateway, e2e,
// latency, display; all when none is named. `--quick` shortens every one
// (the whole run within two minutes).
import path from 'node:path';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, ROOT, run, say } from './lib/setup.mjs';

checkNode();
ensureDebianPackages([
  { command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x, measured and used' },
  { command: 'mosquitto', pkg: 'mosquitto', why: 'the broker the gateway publishes to in the gateway scenario' },
  { command: 'chromium', pkg: 'chromium', why: 'the display scenario' },
]);
ensureNpmDependencies();
build({ quiet: true });
run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'test/bench']);
say(process.argv.includes('--quick') ? 'Running benchmarks, quick (about two minutes) …' : 'Running benchmarks (up to 15 minutes) …');
run(process.execPath, [path.join(ROOT, 'test', 'bench', 'dist', 'bench', 'run.js'), ...process.argv.slice(2)]);
