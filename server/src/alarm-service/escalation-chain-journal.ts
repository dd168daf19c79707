import type { Logger } from '../log.js';
import type { InfluxStore } from '../influx/influx-store.js';
import { RetryingWriter } from '../influx/retrying-writer.js';
import { StrictClock } from '../emergency/emergency-journal.js';
import type { ChainRecord } from './escalation-chain.js';
import type { EscalationAttempt } from './escalation-notifier.js';

/**
 * The escalation chain's record in InfluxDB, retention policy `events`
 * (beside the alarm journal), through a RetryingWriter so paging never
 * waits for the database:
 *
 *   alarm_escalation_step          tags alarmId, duty, hazardSource?   fields step, steps, priority, annunciatedAt, unackedForMs
 *   alarm_escalation_stop          tags alarmId, hazardSource?         fields stepsSent, state, by?, annunciatedAt
 *   alarm_escalation_step_attempt  tags alarmId, duty                  fields step, attempt, ok, status, error
 *
 * Point times rise strictly per series (1 ms added on a tie) so two records
 * never overwrite each other.
 */

type Point = { measurement: string; tags: Record<string, string>; fields: Record<string, string | number | boolean>; ts: number };

export const CHAIN_MEASUREMENTS = { step: 'alarm_escalation_step', stop: 'alarm_escalation_stop', attempt: 'alarm_escalation_step_attempt' } as const;

export class EscalationChainJournal {
  private readonly writer: RetryingWriter<Point>;
  private readonly clock = new StrictClock();

  constructor(store: Pick<InfluxStore, 'writeEventPoints'>, log: Logger) {
    this.writer = new RetryingWriter('escalation-chain-journal', (batch) => store.writeEventPoints(batch), log, { delayMs: 10 });
  }

  record(r: ChainRecord): void {
    if (r.type === 'step') {
      const e = r.event;
      const tags: Record<string, string> = { alarmId: e.alarm.id, duty: e.duty, ...(e.hazardSource !== undefined ? { hazardSource: e.hazardSource } : {}) };
      this.push({ measurement: CHAIN_MEASUREMENTS.step, tags, fields: { step: e.step, steps: e.steps, priority: e.alarm.priority, annunciatedAt: e.annunciatedAt, unackedForMs: e.unackedForMs }, ts: e.ts });
      return;
    }
    const tags: Record<string, string> = { alarmId: r.alarmId, ...(r.hazardSource !== undefined ? { hazardSource: r.hazardSource } : {}) };
    this.push({ measurement: CHAIN_MEASUREMENTS.stop, tags, fields: { stepsSent: r.stepsSent, state: r.state, annunciatedAt: r.annunciatedAt, ...(r.by !== undefined ? { by: r.by } : {}) }, ts: r.ts });
  }

  attempt(a: EscalationAttempt): void {
    this.push({ measurement: CHAIN_MEASUREMENTS.attempt, tags: { alarmId: a.alarmId, duty: a.duty ?? '' }, fields: { step: a.step ?? 0, attempt: a.attempt, ok: a.ok, status: a.status, error: a.error }, ts: a.ts });
  }

  private push(p: Point): void {
    const key = `${p.measurement},${Object.entries(p.tags).sort().map(([k, v]) => `${k}=${v}`).join(',')}`;
    this.writer.push({ ...p, ts: this.clock.next(key, p.ts) });
  }

  drain(timeoutMs = 5000): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  close(): void {
    this.writer.close();
  }
}
