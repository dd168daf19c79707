import { z } from 'zod';
import { ALARM_PRIORITIES, type AlarmEvent, type AlarmPriority, type EscalationDuty, type EscalationStepEvent } from '@park/protocol';
import type { Logger } from '../log.js';

/**
 * The escalation chain per installation (docs/emergency.md "Escalation
 * chain"): an alarm of the chain's priorities still unacknowledged after
 * each step's delay goes to the next post — on-duty operator, shift leader,
 * commander — each step pushed to its duty's Socket.IO room, POSTed to the
 * webhook and journalled. The chain stops when the alarm leaves `unack` /
 * `rtn-unack` (acknowledged, shelved, suppressed, out of service, or
 * normal), and starts over at the alarm's next annunciation.
 *
 * The clock starts at the transition into `unack` (the alarm event's `ts`),
 * as the alarm engine's own escalation does (docs/alarms.md); a return to
 * `unack` from `rtn-unack` is a new raise and starts a new clock.
 *
 * Without `alarms.escalation.chain` the park keeps the single step it has
 * always had: critical alarms to commanders after `afterSeconds` (the
 * engine's escalation); `defaultPolicy` describes that same step.
 */

export const ESCALATION_DUTIES = ['operator', 'shift-leader', 'commander'] as const satisfies readonly EscalationDuty[];

export const chainPolicySchema = z.strictObject({
  /** Alarm priorities the chain applies to. */
  priorities: z.array(z.enum(ALARM_PRIORITIES as [AlarmPriority, ...AlarmPriority[]])).min(1).default(['critical']),
  /** In order; each `afterSeconds` counts from the annunciation and must be later than the step before. */
  steps: z
    .array(z.strictObject({ duty: z.enum(ESCALATION_DUTIES), afterSeconds: z.number().int().min(0).max(86_400) }))
    .min(1)
    .max(6)
    .refine((s) => s.every((step, i) => i === 0 || step.afterSeconds > (s[i - 1] as { afterSeconds: number }).afterSeconds), 'afterSeconds must rise from step to step'),
});

export const chainConfigSchema = z.strictObject({
  /** The park-wide chain; unset: the single commander step after `alarms.escalation.afterSeconds`. */
  default: chainPolicySchema.optional(),
  /** Per installation (hazard source id): replaces the default for its alarms. */
  installations: z.record(z.string(), chainPolicySchema).default({}),
});

export type ChainPolicy = z.output<typeof chainPolicySchema>;
export type ChainConfig = z.output<typeof chainConfigSchema>;

/** The single step the park has without a chain: critical alarms to commanders after `afterSeconds`. */
export function defaultPolicy(afterSeconds: number): ChainPolicy {
  return { priorities: ['critical'], steps: [{ duty: 'commander', afterSeconds }] };
}

/** The policy of each installation, with the park-wide default for the rest. */
export class ChainPolicies {
  readonly fallback: ChainPolicy;
  private readonly byInstallation: Map<string, ChainPolicy>;

  constructor(config: ChainConfig | undefined, afterSeconds: number) {
    this.fallback = config?.default ?? defaultPolicy(afterSeconds);
    this.byInstallation = new Map(Object.entries(config?.installations ?? {}));
  }

  of(hazardSource: string | undefined): ChainPolicy {
    return (hazardSource !== undefined ? this.byInstallation.get(hazardSource) : undefined) ?? this.fallback;
  }

  installations(): string[] {
    return [...this.byInstallation.keys()];
  }
}

/** What the journal keeps of a chain: each step sent, and the stop with its reason. */
export type ChainRecord =
  | { type: 'step'; event: EscalationStepEvent }
  | { type: 'stopped'; alarmId: string; hazardSource?: string; ts: number; annunciatedAt: number; stepsSent: number; state: string; by?: string };

export interface EscalationChainDeps {
  policies: ChainPolicies;
  /** The installation of an alarm (its tag's hazard source). */
  hazardSourceOf: (alarmId: string) => string | undefined;
  /** Socket.IO: to the step's duty room. */
  push: (event: EscalationStepEvent) => void;
  /** The webhook (EscalationNotifier.notifyStep), when configured. */
  notify?: (event: EscalationStepEvent) => void;
  journal: (record: ChainRecord) => void;
  log: Logger;
}

interface Running {
  alarm: AlarmEvent;
  hazardSource: string | undefined;
  policy: ChainPolicy;
  annunciatedAt: number;
  /** Steps sent so far. */
  sent: number;
  last?: EscalationStepEvent;
}

export class EscalationChain {
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly d: EscalationChainDeps) {}

  /** Feed every alarm transition (after it is journalled). */
  onAlarm(e: AlarmEvent): void {
    const r = this.running.get(e.id);
    if (e.state === 'unack' || e.state === 'rtn-unack') {
      const newRaise = e.state === 'unack' && (!r || r.alarm.state === 'rtn-unack');
      if (r && !newRaise) {
        r.alarm = e;
        return;
      }
      if (r) this.stop(r, e);
      if (e.state !== 'unack') return;
      const hazardSource = this.d.hazardSourceOf(e.id);
      const policy = this.d.policies.of(hazardSource);
      if (!policy.priorities.includes(e.priority)) return;
      this.running.set(e.id, { alarm: e, hazardSource, policy, annunciatedAt: e.ts, sent: 0 });
      return;
    }
    if (r) this.stop(r, e);
  }

  /** Sends every step that is due at `nowMs`; returns them. */
  tick(nowMs: number): EscalationStepEvent[] {
    const out: EscalationStepEvent[] = [];
    for (const r of this.running.values()) {
      const steps = r.policy.steps;
      while (r.sent < steps.length) {
        const step = steps[r.sent] as ChainPolicy['steps'][number];
        const unackedForMs = nowMs - r.annunciatedAt;
        if (unackedForMs < step.afterSeconds * 1000) break;
        r.sent++;
        const event: EscalationStepEvent = {
          alarm: r.alarm,
          ts: nowMs,
          unackedForMs,
          ...(r.hazardSource !== undefined ? { hazardSource: r.hazardSource } : {}),
          step: r.sent,
          steps: steps.length,
          duty: step.duty,
          annunciatedAt: r.annunciatedAt,
        };
        r.last = event;
        out.push(event);
        this.d.log.warn({ alarm: r.alarm.id, step: event.step, of: event.steps, duty: step.duty, unackedForS: Math.round(unackedForMs / 1000) }, 'alarm unacknowledged: escalation step');
        this.d.journal({ type: 'step', event });
        this.d.push(event);
        this.d.notify?.(event);
      }
    }
    return out;
  }

  /** The latest step of every alarm still waiting, for a display that connects now. */
  open(): EscalationStepEvent[] {
    return [...this.running.values()].flatMap((r) => (r.last ? [r.last] : []));
  }

  start(tickMs = 1000): void {
    this.timer ??= setInterval(() => this.tick(Date.now()), tickMs);
  }

  stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private stop(r: Running, e: AlarmEvent): void {
    this.running.delete(r.alarm.id);
    if (r.sent === 0) return;
    const by = e.state === 'acked' || e.state === 'normal' ? e.ackedBy : undefined;
    this.d.journal({ type: 'stopped', alarmId: r.alarm.id, ...(r.hazardSource !== undefined ? { hazardSource: r.hazardSource } : {}), ts: e.ts, annunciatedAt: r.annunciatedAt, stepsSent: r.sent, state: e.state, ...(by !== undefined ? { by } : {}) });
    this.d.log.info({ alarm: r.alarm.id, state: e.state, by, stepsSent: r.sent }, 'escalation chain stopped');
  }
}
