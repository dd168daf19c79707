/*
 * `npm run bench [-- NAME …]`: runs the benchmark scenarios, prints one table
 * row per figure and appends the run to docs/BENCHMARKS.md.
 */
import { appendRun, BENCHMARKS_FILE, printRow, type Row } from './report.js';
import { ingestScenario } from './scenarios/ingest.js';
import { fleetScenario } from './scenarios/fleet.js';

const SCENARIOS: Record<string, () => Promise<Row[]>> = {
  ingest: ingestScenario,
  fleet: fleetScenario,
};

const wanted = process.argv.slice(2);
const unknown = wanted.filter((n) => !(n in SCENARIOS));
if (unknown.length > 0) {
  process.stderr.write(`unknown scenario(s): ${unknown.join(', ')}; known: ${Object.keys(SCENARIOS).join(', ')}\n`);
  process.exit(2);
}
const rows: Row[] = [];
process.stdout.write('| scenario | metric | value | ceiling | ratio | notes |\n|---|---|---|---|---|---|\n');
for (const name of wanted.length > 0 ? wanted : Object.keys(SCENARIOS)) {
  for (const row of await (SCENARIOS[name] as () => Promise<Row[]>)()) {
    rows.push(row);
    printRow(row);
  }
}
appendRun(rows);
process.stdout.write(`\nAppended to ${BENCHMARKS_FILE}\n`);
