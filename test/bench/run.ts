/*
 * `npm run bench [-- [--quick|--smoke] [--out FILE] NAME …]`: runs the
 * benchmark scenarios, prints one table row per figure and appends the run
 * to docs/BENCHMARKS.md (or to FILE, or to $BENCH_OUT).
 */
import path from 'node:path';
import { appendRun, BENCHMARKS_FILE, printRow, type Row } from './report.js';
import { benchContext, type BenchContext, type BenchMode } from './context.js';
import { killAllChildrenNow, stopAllChildren } from './lib/children.js';
import { ingestScenario } from './scenarios/ingest.js';
import { fleetScenario } from './scenarios/fleet.js';
import { gatewayScenario } from './scenarios/gateway.js';
import { e2eScenario } from './scenarios/e2e.js';
import { latencyScenario } from './scenarios/latency.js';
import { displayScenario } from './scenarios/display.js';

const SCENARIOS: Record<string, (ctx: BenchContext) => Promise<Row[]>> = {
  ingest: ingestScenario,
  fleet: fleetScenario,
  gateway: gatewayScenario,
  e2e: e2eScenario,
  latency: latencyScenario,
  display: displayScenario,
};

const USAGE = `usage: npm run bench -- [--quick | --smoke] [--out FILE] [SCENARIO …]\nscenarios: ${Object.keys(SCENARIOS).join(', ')}\n`;

let mode: BenchMode = 'full';
let out = process.env['BENCH_OUT'] || BENCHMARKS_FILE;
const wanted: string[] = [];
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) {
  const a = argv[i] as string;
  if (a === '--quick') mode = 'quick';
  else if (a === '--smoke') mode = 'smoke';
  else if (a === '--out') {
    const f = argv[++i];
    if (!f) {
      process.stderr.write(`--out needs a file\n${USAGE}`);
      process.exit(2);
    }
    out = path.resolve(f);
  } else if (a === '--help' || a === '-h') {
    process.stdout.write(USAGE);
    process.exit(0);
  } else if (a.startsWith('-')) {
    process.stderr.write(`unknown option ${a}\n${USAGE}`);
    process.exit(2);
  } else wanted.push(a);
}
const unknown = wanted.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}\n${USAGE}`);
  process.exit(2);
}

// No measured process may outlive the run, whatever ends it.
process.once('exit', killAllChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void stopAllChildren().finally(() => process.exit(130));
  });
}

const ctx = benchContext(mode);
const rows: Row[] = [];
const failed: string[] = [];
const started = Date.now();
process.stdout.write(`Benchmarks (${mode})\n\n| scenario | metric | value | ceiling | ratio | notes |\n|---|---|---|---|---|---|\n`);
for (const name of wanted.length > 0 ? wanted : Object.keys(SCENARIOS)) {
  const t0 = Date.now();
  try {
    for (const row of await (SCENARIOS[name] as (c: BenchContext) => Promise<Row[]>)(ctx)) {
      rows.push(row);
      printRow(row);
    }
  } catch (err) {
    // One broken scenario must not cost the figures of the others.
    failed.push(name);
    process.stderr.write(`scenario ${name} failed: ${(err as Error).stack ?? String(err)}\n`);
    const row: Row = { scenario: name, metric: 'FAILED', value: '—', ceiling: '—', ratio: '—', notes: ((err as Error).message.split('\n')[0] ?? '').replace(/\|/g, '/') };
    rows.push(row);
    printRow(row);
  } finally {
    await stopAllChildren();
  }
  process.stderr.write(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
}
appendRun(rows, { file: out, mode, seconds: (Date.now() - started) / 1000 });
process.stdout.write(`\nAppended to ${out}\n`);
process.exit(failed.length > 0 ? 1 : 0);
