/**
 * The ISA-18.2 / IEC 62682 alarm lifecycle as one pure function: given where
 * an alarm is and what happened, where it goes, or why that is refused. The
 * engine (engine.ts) calls it for every change and turns the result into a
 * transition record; storage, push and escalation subscribe to those. The
 * full table is in docs/alarms.md ("State machine").
 *
 * The visible `AlarmState` is derived from three facts kept apart, as in
 * OPC UA Alarms & Conditions: the condition (`active`, tracked in every
 * state), suppression by design, and the operator's choice (acknowledged,
 * shelved, out of service). Precedence: out-of-service > suppressed >
 * shelved > the annunciation states (normal, unack, acked, rtn-unack).
 *
 * Leaving shelved, suppressed or out-of-service lands in the state the
 * condition implies, never in a remembered one: active → `unack`
 * (annunciated again), inactive → `normal` (ISA-18.2 return paths).
 */

import type { AlarmState } from '@park/protocol';

/** What can happen to an alarm. */
export type LifecycleEvent =
  | 'raise'
  | 'clear'
  | 'ack'
  | 'shelve'
  | 'unshelve'
  | 'shelve-expired'
  | 'suppress'
  | 'unsuppress'
  | 'out-of-service'
  | 'in-service';

export const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = ['raise', 'clear', 'ack', 'shelve', 'unshelve', 'shelve-expired', 'suppress', 'unsuppress', 'out-of-service', 'in-service'];

/** The facts an alarm's state is made of. */
export interface Lifecycle {
  readonly state: AlarmState;
  /** The alarm condition after delays, tracked in every state. */
  readonly active: boolean;
  /**
   * Suppressed by design. Equals `state === 'suppressed'` except while out
   * of service, where it is remembered so that returning to service lands
   * in `suppressed` if the logic still says so.
   */
  readonly suppressed: boolean;
}

export type LifecycleResult = { ok: true; next: Lifecycle } | { ok: false; error: string };

function to(state: AlarmState, active: boolean, suppressed: boolean): LifecycleResult {
  return { ok: true, next: { state, active, suppressed } };
}

function refuse(error: string): LifecycleResult {
  return { ok: false, error };
}

/** The annunciation state a returning alarm lands in. */
function returnState(active: boolean): AlarmState {
  return active ? 'unack' : 'normal';
}

/** Why an operator action does not apply in `state` (shared wording). */
const NOT_ANNUNCIATED: Partial<Record<AlarmState, string>> = {
  shelved: 'the alarm is shelved',
  suppressed: 'the alarm is suppressed by design',
  'out-of-service': 'the alarm is out of service',
};

/**
 * Where `from` goes on `event`. `raise` on an active alarm and `clear` on an
 * inactive one return `from` unchanged (ok, nothing happens); every other
 * event that does not apply is refused with the reason.
 */
export function transition(from: Lifecycle, event: LifecycleEvent): LifecycleResult {
  const { state, active, suppressed } = from;
  switch (event) {
    case 'raise':
      if (active) return { ok: true, next: from };
      return to(state === 'normal' || state === 'rtn-unack' ? 'unack' : state, true, suppressed);
    case 'clear':
      if (!active) return { ok: true, next: from };
      return to(state === 'unack' ? 'rtn-unack' : state === 'acked' ? 'normal' : state, false, suppressed);
    case 'ack':
      switch (state) {
        case 'unack':
          return to('acked', active, suppressed);
        case 'rtn-unack':
          return to('normal', active, suppressed);
        case 'acked':
          return refuse('already acknowledged');
        case 'normal':
          return refuse('nothing to acknowledge: the alarm is normal');
        default:
          return refuse(`nothing to acknowledge: ${NOT_ANNUNCIATED[state] ?? state}`);
      }
    case 'shelve':
      switch (state) {
        case 'normal':
        case 'unack':
        case 'acked':
        case 'rtn-unack':
          return to('shelved', active, suppressed);
        case 'shelved':
          return refuse('already shelved');
        default:
          return refuse(`cannot shelve: ${NOT_ANNUNCIATED[state] ?? state}`);
      }
    case 'unshelve':
    case 'shelve-expired':
      if (state !== 'shelved') return refuse(`not shelved (state ${state})`);
      return to(returnState(active), active, suppressed);
    case 'suppress':
      if (suppressed) return refuse('already suppressed by design');
      return to(state === 'out-of-service' ? state : 'suppressed', active, true);
    case 'unsuppress':
      if (!suppressed) return refuse(`not suppressed (state ${state})`);
      return to(state === 'out-of-service' ? state : returnState(active), active, false);
    case 'out-of-service':
      if (state === 'out-of-service') return refuse('already out of service');
      return to('out-of-service', active, suppressed);
    case 'in-service':
      if (state !== 'out-of-service') return refuse(`not out of service (state ${state})`);
      return to(suppressed ? 'suppressed' : returnState(active), active, suppressed);
  }
}
