#!/usr/bin/env node
// @ts-check
// `npm run bench [-- SCENARIO …]`: installs what the benchmarks need, builds,
// runs them and appends the results to docs/BENCHMARKS.md.
import path from 'node:path';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, ROOT, run, say } from './lib/setup.mjs';

checkNode();
ensureDebianPackages([{ command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x, measured and used' }]);
ensureNpmDependencies();
build({ quiet: true });
run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'test/bench']);
say('Running benchmarks (each scenario takes a minute or so) …');
run(process.execPath, [path.join(ROOT, 'test', 'bench', 'dist', 'bench', 'run.js'), ...process.argv.slice(2)]);
