import type { Reading } from '@park/protocol';
import { qualityToCode } from '@park/protocol';
import type { Logger } from '../log.js';
import { RAW_POLICY, type InfluxStore } from '../influx/influx-store.js';
import { influxString } from '../influx/influxql.js';
import type { AverageTag, EnvironmentSetup } from './environment.js';

/**
 * Computes the environment averages in InfluxDB every `everyMs` and hands
 * them on as readings of the average tags. The average of a window is the
 * mean of its minute means of good readings: close to a time-weighted mean
 * although gateways report by exception (every tag is re-sent at least once
 * a minute), and minutes without a good reading (an outage, a bad
 * instrument) are left out, not filled. The share of minutes that had one is
 * the coverage; below `minCoverage` the average is published as uncertain,
 * with the coverage in `err`. A window without any good reading publishes
 * nothing, so the average's stale alarm tells the truth.
 */
export class AverageMonitor {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failing = false;

  constructor(
    private readonly setup: EnvironmentSetup,
    private readonly store: Pick<InfluxStore, 'query'>,
    private readonly publish: (readings: Reading[]) => void,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.setup.averages.length === 0) return;
    const tick = (): void => {
      this.running ??= this.computeAll().then(
        () => undefined,
        () => undefined,
      ).finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.setup.everyMs);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** One round over every average; exposed for tests. */
  async computeAll(): Promise<Reading[]> {
    const at = this.now();
    const out: Reading[] = [];
    try {
      for (const a of this.setup.averages) {
        const r = await this.compute(a, at);
        if (r) out.push(r);
      }
      if (this.failing) this.log.info('environment averages computed again');
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.warn({ err: (err as Error).message }, 'environment averages cannot be computed; their stale alarms will say so');
      this.failing = true;
      return [];
    }
    if (out.length > 0) this.publish(out);
    return out;
  }

  private async compute(a: AverageTag, at: number): Promise<Reading | undefined> {
    const from = at - a.windowMs;
    const inner = `SELECT mean("v") AS "m" FROM "${RAW_POLICY}"."reading" WHERE "id" = ${influxString(a.source)} AND "q" = ${qualityToCode('good')} AND time > ${from}ms AND time <= ${at}ms GROUP BY time(1m)`;
    const rows = await this.store.query<{ mean: number | null; minutes: number | null }>(`SELECT mean("m") AS "mean", count("m") AS "minutes" FROM (${inner})`);
    const row = rows[0];
    if (!row || row.mean === null || row.mean === undefined || !row.minutes) return undefined;
    const coverage = row.minutes / (a.windowMs / 60_000);
    const v = Math.round(row.mean * 1e6) / 1e6;
    return coverage >= this.setup.minCoverage
      ? { id: a.id, ts: at, v, q: 'good' }
      : { id: a.id, ts: at, v, q: 'uncertain', err: `coverage ${Math.round(coverage * 100)} % of the ${a.window} window (at least ${Math.round(this.setup.minCoverage * 100)} % needed)` };
  }
}
