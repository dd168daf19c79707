import type { AlarmEscalationEvent, EscalationStepEvent } from '@park/protocol';
import type { Logger } from '../log.js';

/**
 * Sends escalations of critical alarms to a webhook (an SMS or voice
 * gateway, a paging system): POST of JSON, retried with back-off until it
 * answers 2xx or the attempts run out. Every attempt is handed to `journal`
 * so the record shows who was paged, when, and whether it got through.
 *
 * `notify` sends the single-step escalation (`type: "alarm-escalation"`);
 * `notifyStep` a step of an installation's escalation chain
 * (`type: "alarm-escalation-step"`, with `step`, `steps` and `duty`, so the
 * paging system can reach the right post). Attempts of a step carry `step`
 * and `duty`.
 */
export interface WebhookSettings {
  url: string;
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  headers: Record<string, string>;
}

export interface EscalationAttempt {
  alarmId: string;
  ts: number;
  attempt: number;
  ok: boolean;
  status: number;
  error: string;
  /** A chain step's number and duty; absent for the single-step escalation. */
  step?: number;
  duty?: string;
}

const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

export class EscalationNotifier {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly webhook: WebhookSettings,
    private readonly park: { id: string; name: { zh: string; en: string } },
    private readonly journal: (attempt: EscalationAttempt) => void,
    private readonly log: Logger,
  ) {}

  notify(event: AlarmEscalationEvent): void {
    void this.attempt({ alarmId: event.alarm.id, body: { type: 'alarm-escalation', park: this.park, ...event }, extra: {} }, 1);
  }

  notifyStep(event: EscalationStepEvent): void {
    void this.attempt({ alarmId: event.alarm.id, body: { type: 'alarm-escalation-step', park: this.park, ...event }, extra: { step: event.step, duty: event.duty } }, 1);
  }

  private async attempt(page: { alarmId: string; body: Record<string, unknown>; extra: { step?: number; duty?: string } }, n: number): Promise<void> {
    if (this.stopped) return;
    let status = 0;
    let error = '';
    try {
      const res = await fetch(this.webhook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...this.webhook.headers },
        body: JSON.stringify(page.body),
        signal: AbortSignal.timeout(this.webhook.timeoutMs),
      });
      status = res.status;
      if (!res.ok) error = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      error = (err as Error).message;
    }
    const ok = error === '';
    this.journal({ alarmId: page.alarmId, ts: Date.now(), attempt: n, ok, status, error, ...page.extra });
    if (ok) return;
    if (n > this.webhook.retries) {
      this.log.error({ alarm: page.alarmId, ...page.extra, attempts: n, err: error }, 'escalation webhook failed: the post may not have been paged');
      return;
    }
    this.log.warn({ alarm: page.alarmId, ...page.extra, attempt: n, err: error }, 'escalation webhook failed; retrying');
    const wait = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (n - 1));
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(page, n + 1);
    }, wait);
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
