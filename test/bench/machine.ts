import { cpus, totalmem, release, hostname } from 'node:os';
import { spawnSync } from 'node:child_process';

/** What the numbers were measured on: they mean nothing without it. */
export function describeMachine(): string {
  const cpu = cpus();
  const influxd = spawnSync('influxd', ['version'], { encoding: 'utf8' }).stdout.trim() || 'influxd not found';
  return [
    `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}`,
    `${Math.round(totalmem() / 1024 ** 3)} GiB RAM`,
    `Linux ${release()}`,
    `Node ${process.version}`,
    influxd,
    `host ${hostname()}`,
  ].join(', ');
}
