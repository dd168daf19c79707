#!/usr/bin/env node
// @ts-check
// `npm run chaos [-- --outage 60 --rate 10000 --repeat 1]`: builds, then runs
// the fault-injection suite of issue 9 with long outages and a heavier load,
// and prints the result table of docs/RELIABILITY.md.
//
// The suite is the same file `npm test` runs short
// (test/integration/reliability/chain-faults.test.ts): kill -9 of the built
// server command with a restart on its data folder, Mosquitto restarted once
// and five times in a row while the demo gateway publishes, kill -9 of a
// gateway command, InfluxDB stopped and answering slowly, a misbehaving Modbus
// device, and a gateway's outbox disk filling up during a broker outage.
// Here every outage lasts --outage seconds
// (CHAOS_OUTAGE_S, default 60) under --rate readings/s of added load
// (CHAOS_RATE, default 10000), --repeat times (CHAOS_REPEAT, default 1).
// Figures: one JSON line per fault in .tmp/chaos-results.jsonl (appended);
// the table printed at the end has one line per fault (and per part of it),
// with min–max per column over the repetitions.
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

/**
 * One or more table lines per result row: [key, label, cells]. A cell is a
 * number (spread over repetitions as min–max) or text (shown once when all
 * repetitions agree, else every distinct value). Rows of older result files
 * have no `case` field: they are told apart by their shape.
 * @typedef {{ label: string, cells: (number | string)[] }} Line
 * @param {any} r
 * @returns {Line[]}
 */
function lines(r) {
  const sec = (/** @type {number} */ ms) => Math.round(ms / 100) / 10;
  const c = r.case ?? (r.alarmsBefore && r.lostByPhase ? 'a' : r.restarts ? 'c' : r.gateway?.outboxed !== undefined ? 'b' : 'd');
  const alarms = (/** @type {any} */ x) => (x.alarmsBefore ? `${x.alarmsMissed ?? missed(x)} of ${x.alarmsBefore.length}` : '–');
  const loadLine = (/** @type {string} */ label) => ({ label: `${label}: load publisher`, cells: [r.load.generated, r.load.stored, r.load.lost, '–', '–', sec(r.downMs), '–'] });
  switch (c) {
    case 'a':
      return [{ label: r.fault, cells: [r.generated, r.stored, r.lost, r.duplicatedMessagesSeenByServer, `${missed(r)} of ${r.alarmsBefore.length}; ${r.announcedAfterRestart.length} re-announced`, sec(r.downMs), sec(r.recoverMs)] }];
    case 'b':
    case 'c':
      return [
        { label: `${r.fault}: gateway gw-b`, cells: [r.gateway.distinct, r.gateway.stored, r.gateway.lost, r.gateway.duplicatedMessages, '–', sec(r.downMs), sec(r.recoverMs)] },
        { label: `${r.fault}: gateway gw-b (readings via the outbox; seqs missing; duplicated at the server)`, cells: [r.gateway.outboxed, '', r.gateway.missingSeqs, r.duplicatedMessagesSeenByServer, '–', '', ''] },
        loadLine(r.fault),
      ];
    case 'd':
      return [{ label: `${r.fault}: gateway gw-k`, cells: [r.gateway.distinct, r.gateway.stored, r.gateway.lost, r.gateway.duplicatedMessages, '–', sec(r.downMs), sec(r.recoverMs)] }, loadLine(r.fault)];
    case 'e':
    case 'f':
    case 'g':
      return [
        { label: `${r.fault}: gateway gw-b`, cells: [r.gateway.distinct, r.gateway.stored, r.gateway.lost, r.gateway.duplicatedMessages, alarms(r), sec(r.downMs), sec(r.recoverMs)] },
        { label: `${r.fault}: load publisher`, cells: [r.load.generated, r.load.stored, r.load.lost, r.duplicatedMessagesSeenByServer ?? '–', '–', sec(r.downMs), sec(r.recoverMs)] },
        ...(c === 'g' ? [{ label: `${r.fault}: its ${r.device.tags} tags (bad readings; reasons)`, cells: [r.device.badReadings, '', '', '', `${r.device.badQualityAlarms.length} bad-quality alarms; ${r.device.reasons.join(', ')}`, '', ''] }] : []),
      ];
    case 'h':
      return [
        { label: `${r.fault}: gateway gw-f`, cells: [r.gateway.distinct, r.gateway.stored, r.gateway.distinct - r.gateway.stored, r.gateway.duplicatedMessages, alarms(r), sec(r.downMs), sec(r.recoverMs)] },
        { label: `${r.fault}: gateway gw-f, outbox (readings outboxed, replayed, dropped or lost)`, cells: [r.gateway.outboxed.readings, r.gateway.replayed.readings, r.gateway.dropped.readings + r.gateway.lost.readings, '', `${r.gateway.dropped.messages} dropped, ${r.gateway.lost.messages} lost, ${r.gateway.missingSeqs} seqs missing`, '', ''] },
        loadLine(r.fault),
      ];
    default:
      return [{ label: String(r.fault), cells: ['?', '?', '?', '?', '?', sec(r.downMs ?? 0), sec(r.recoverMs ?? 0)] }];
  }
}

/** @param {any} r */
function missed(r) {
  return r.alarmsBefore.filter((/** @type {{id:string,state:string}} */ a) => !r.alarmsAfter.some((/** @type {{id:string,state:string}} */ b) => b.id === a.id && b.state === a.state)).length;
}

// Lines of the same fault across repetitions are merged: min–max per column.
/** @type {Map<string, (number | string)[][]>} */
const merged = new Map();
for (const r of rows) for (const l of lines(r)) merged.set(l.label, [...(merged.get(l.label) ?? []), l.cells]);
const fmt = (/** @type {number} */ n) => (Number.isInteger(n) ? n.toLocaleString('en-US') : String(n));
const spread = (/** @type {(number | string)[]} */ values, /** @type {number} */ col) => {
  const unit = col >= 5 ? ' s' : '';
  if (values.every((v) => typeof v === 'number')) {
    const nums = /** @type {number[]} */ (values);
    const lo = Math.min(...nums);
    const hi = Math.max(...nums);
    return lo === hi ? `${fmt(lo)}${unit}` : `${fmt(lo)}–${fmt(hi)}${unit}`;
  }
  return [...new Set(values.map(String))].join(' / ');
};
process.stdout.write(`\n${new Date().toISOString().slice(0, 10)}, ${hostname()}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${repeat} repetition(s)${repeat > 1 ? ': min–max per column' : ''}\n\n`);
process.stdout.write('| fault | readings generated | stored | lost | duplicated (messages) | alarms missed | outage | time to recover | runs |\n|---|---|---|---|---|---|---|---|---|\n');
for (const [label, runs] of merged) {
  const cols = (runs[0] ?? []).map((_, i) => spread(runs.map((cells) => cells[i] ?? ''), i));
  process.stdout.write(`| ${label} | ${cols.join(' | ')} | ${runs.length} |\n`);
}
process.stdout.write(`\nRaw figures: ${path.relative(ROOT, results)}\n`);
if (failed > 0) fail(`${failed} of ${repeat + (fuzzRuns > 0 ? 1 : 0)} runs failed`);
