#!/usr/bin/env node
// @ts-check
// `npm run server|gateway|sim -- ARGS`: one part alone, as on site. Installs
// npm dependencies if missing, builds, then runs the part with ARGS and
// passes its exit code on (2 = configuration error).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { build, checkNode, ensureNpmDependencies, fail, ROOT } from './lib/setup.mjs';

const PARTS = { server: 'server', gateway: 'gateway', sim: 'simulators' };
const [part, ...args] = process.argv.slice(2);
const folder = part !== undefined ? PARTS[/** @type {keyof typeof PARTS} */ (part)] : undefined;
if (!folder) fail(`usage: node scripts/run-part.mjs ${Object.keys(PARTS).join('|')} [ARGS]`);

checkNode();
ensureNpmDependencies();
build({ quiet: true });
const main = path.join(ROOT, /** @type {string} */ (folder), 'dist', 'main.js');
if (!existsSync(main)) fail(`${part} is not available yet (${path.relative(ROOT, main)} was not built)`);

const child = spawn(process.execPath, [main, ...args], { stdio: 'inherit' });
// The terminal's Ctrl-C reaches the child directly; a SIGTERM to us is passed on.
process.on('SIGTERM', () => child.kill('SIGTERM'));
process.on('SIGINT', () => {});
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
