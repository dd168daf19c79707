#!/usr/bin/env node
// @ts-check
// `npm run chaos [-- --outage 60 --rate 10000 --repeat 1]`: builds, then runs
// the fault-injection suite of issue 9 with long outages and a heavier load,
// and prints the result table of docs/RELIABILITY.md.
//
// The suite is the same file `npm test` runs short
// (test/integration/reliability/chain-faults.test.ts): kill -9 of the built
// server command with a restart on its data folder, and Mosquitto restarted
// while the demo gateway publishes. Here every outage lasts --outage seconds
// (CHAOS_OUTAGE_S, default 60) under --rate readings/s of added load
// (CHAOS_RATE, default 10000), --repeat times (CHAOS_REPEAT, default 1).
// Figures: one JSON line per fault in .tmp/chaos-results.jsonl (appended).
//
// Then the MQTT fuzz test (test/integration/reliability/mqtt-fuzz.test.ts)
// runs --fuzz-runs messages (FUZZ_RUNS, default 30000; 0 skips it) plus a
// flood as large, with a new seed each time (FUZZ_SEED to repeat one; the
// seed is printed, and a failing run names it).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, existsSync } from 'node:fs';
import { hostname, cpus } from 'node:os';
import path from 'node:path';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, fail, ROOT, say } from './lib/setup.mjs';

/** @param {string} name @param {string} env @param {number} dflt */
function option(name, env, dflt) {
  const args = process.argv.slice(2);
  const i = args.indexOf(`--${name}`);
  const raw = i >= 0 ? args[i + 1] : process.env[env];
  if (raw === undefined || raw === '') return dflt;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) fail(`--${name} / ${env}: expected a number, got ${JSON.stringify(raw)}`, 2);
  return n;
}

checkNode();
const outage = option('outage', 'CHAOS_OUTAGE_S', 60);
const rate = option('rate', 'CHAOS_RATE', 10_000);
const repeat = Math.max(1, Math.floor(option('repeat', 'CHAOS_REPEAT', 1)));
const fuzzRuns = Math.floor(option('fuzz-runs', 'FUZZ_RUNS', 30_000));
const fuzzSeed = Math.floor(option('fuzz-seed', 'FUZZ_SEED', Date.now() % 2_147_483_647));
ensureDebianPackages([
  { command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x, where readings are counted' },
  { command: 'mosquitto', pkg: 'mosquitto', why: 'the broker that is restarted' },
]);
ensureNpmDependencies();
build({ quiet: true });

const results = path.join(ROOT, '.tmp', 'chaos-results.jsonl');
mkdirSync(path.dirname(results), { recursive: true });
const startedAt = new Date().toISOString();
const vitest = path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
let failed = 0;
for (let k = 1; k <= repeat; k++) {
  say(`Fault run ${k}/${repeat}: outages of ${outage} s under ${rate} readings/s of added load …`);
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', 'integration', 'test/integration/reliability/chain-faults.test.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, CHAOS_OUTAGE_S: String(outage), CHAOS_RATE: String(rate), CHAOS_RESULTS: results },
  });
  if (r.status !== 0) failed++;
}

if (fuzzRuns > 0) {
  say(`MQTT fuzzing: ${fuzzRuns} hostile messages and a flood of as many, seed ${fuzzSeed} (FUZZ_SEED=${fuzzSeed} repeats it) …`);
  const r = spawnSync(process.execPath, [vitest, 'run', '--project', 'integration', 'test/integration/reliability/mqtt-fuzz.test.ts'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, FUZZ_RUNS: String(fuzzRuns), FUZZ_SEED: String(fuzzSeed) },
  });
  if (r.status !== 0) {
    failed++;
    say(`MQTT fuzzing failed with seed ${fuzzSeed}`);
  }
}

// The table of docs/RELIABILITY.md, from the lines this invocation appended.
const rows = existsSync(results)
  ? readFileSync(results, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((r) => r.at >= startedAt)
  : [];
const s = (/** @type {number} */ ms) => (ms / 1000).toFixed(1);
process.stdout.write(`\n${new Date().toISOString().slice(0, 10)}, ${hostname()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}\n\n`);
process.stdout.write('| fault | readings generated | stored | lost | duplicated (messages) | alarms missed | down | time to recover |\n|---|---|---|---|---|---|---|---|\n');
for (const r of rows) {
  if (r.gateway) {
    process.stdout.write(`| ${r.fault}: gateway gw-b | ${r.gateway.distinct} | ${r.gateway.stored} | ${r.gateway.lost} | ${r.gateway.duplicatedMessages} at the recorder, ${r.duplicatedMessagesSeenByServer} at the server | – | ${s(r.downMs)} s | ${s(r.recoverMs)} s (outbox replayed) |\n`);
    process.stdout.write(`| ${r.fault}: load publisher | ${r.load.generated} | ${r.load.stored} | ${r.load.lost} | – | – | ${s(r.downMs)} s | – |\n`);
  } else {
    const missed = r.alarmsBefore.filter((/** @type {{id:string,state:string}} */ a) => !r.alarmsAfter.some((/** @type {{id:string,state:string}} */ b) => b.id === a.id && b.state === a.state)).length;
    process.stdout.write(
      `| ${r.fault} | ${r.generated} | ${r.stored} | ${r.lost} (${Object.entries(r.lostByPhase).filter(([, n]) => n > 0).map(([p, n]) => `${n} ${p}`).join(', ') || 'none'}) | ${r.duplicatedMessagesSeenByServer} | ${missed} of ${r.alarmsBefore.length}; ${r.announcedAfterRestart.length} re-announced | ${s(r.downMs)} s | ${s(r.recoverMs)} s (start to ready) |\n`,
    );
  }
}
process.stdout.write(`\nRaw figures: ${path.relative(ROOT, results)}\n`);
if (failed > 0) fail(`${failed} of ${repeat + (fuzzRuns > 0 ? 1 : 0)} runs failed`);
