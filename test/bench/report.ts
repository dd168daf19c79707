import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeMachine } from './machine.js';

export interface Row {
  scenario: string;
  metric: string;
  value: string;
  ceiling: string;
  ratio: string;
  notes: string;
}

/** The repository root: the first folder above this file whose package.json lists workspaces. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object)) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

export const REPO_ROOT = repoRoot();
export const BENCHMARKS_FILE = path.join(REPO_ROOT, 'docs', 'BENCHMARKS.md');

const HEADER = `# Benchmarks

Written by \`npm run bench\`: each run appends a section with its date, the
machine and the results. Every figure comes with the ceiling of the part it
stands on, measured in the same run, and their ratio, which holds better than
absolute numbers on a noisy machine. Tests never assert speed; these runs do
the measuring.
`;

export function printRow(r: Row): void {
  process.stdout.write(`| ${r.scenario} | ${r.metric} | ${r.value} | ${r.ceiling} | ${r.ratio} | ${r.notes} |\n`);
}

export function appendRun(rows: readonly Row[], run: { file?: string; mode?: string; seconds?: number } = {}): void {
  const file = run.file ?? BENCHMARKS_FILE;
  if (!existsSync(file)) writeFileSync(file, HEADER);
  const when = new Date();
  const local = when.toLocaleString('sv-SE', { timeZoneName: 'short' });
  const [l1, l5, l15] = loadavg();
  const lines = [
    '',
    `## ${local} (${when.toISOString()})`,
    '',
    `Machine: ${describeMachine()}.`,
    `Run: ${run.mode ?? 'full'}${run.seconds !== undefined ? `, ${Math.round(run.seconds)} s` : ''}; load average at the end ${l1?.toFixed(2)} / ${l5?.toFixed(2)} / ${l15?.toFixed(2)} (1 / 5 / 15 min).`,
    '',
    '| scenario | metric | value | ceiling | ratio | notes |',
    '|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.scenario} | ${r.metric} | ${r.value} | ${r.ceiling} | ${r.ratio} | ${r.notes} |`),
    '',
  ];
  appendFileSync(file, lines.join('\n'));
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
