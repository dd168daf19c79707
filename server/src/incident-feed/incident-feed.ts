import type { AlarmEvent, AlarmPriority, AlarmState } from '@park/protocol';

/**
 * The commanders' incident feed: one incident per installation (hazard
 * source) at a time, de-duplicated. The first alarm of at least
 * `openPriority` in an installation without an open incident opens one;
 * every other alarm of the installation that becomes active while it is open
 * joins it (whatever its priority: it is part of the same event); the
 * incident closes when none of its alarms demands attention any more, i.e.
 * all are back to normal and acknowledged (shelved, suppressed and
 * out-of-service alarms do not keep it open: someone decided about them).
 *
 * Pure state: fed with the active alarm table after each batch of
 * transitions (the same hook the risk colours use), it returns what changed.
 * Journalling, pushing and restoring are the caller's (incident-feed-service).
 */

export interface FeedAlarm {
  id: string;
  priority: AlarmPriority;
  state: AlarmState;
  message: string;
  raisedAt: number;
  /** When it joined the incident. */
  joinedAt: number;
  firstOut?: boolean;
}

export interface FeedIncident {
  /** `${hazardSource}-${openedAt}`: unique, and the same after a restart. */
  id: string;
  hazardSource: string;
  site: string;
  state: 'open' | 'closed';
  openedAt: number;
  closedAt?: number;
  /** The alarm that opened it. */
  firstAlarm: string;
  /** Highest priority among its alarms. */
  priority: AlarmPriority;
  alarms: FeedAlarm[];
}

export interface FeedChange {
  type: 'opened' | 'joined' | 'updated' | 'closed';
  incident: FeedIncident;
  /** For `joined` and `updated`: the alarm concerned. */
  alarmId?: string;
}

const RANK: Record<AlarmPriority, number> = { critical: 4, high: 3, medium: 2, low: 1 };
/** States in which an alarm still asks for an operator: active, or returned but not acknowledged. */
const DEMANDING: ReadonlySet<AlarmState> = new Set<AlarmState>(['unack', 'acked', 'rtn-unack']);

export interface IncidentFeedOptions {
  /** Installation of an alarm id; alarms without one (gateway offline) stay out of the feed. */
  hazardSourceOf: (alarmId: string) => string | undefined;
  siteOf: (hazardSource: string) => string;
  /** Lowest priority that opens an incident (default `high`). */
  openPriority?: AlarmPriority;
  /** Closed incidents kept for the feed (newest first). */
  keepClosed?: number;
}

export class IncidentFeed {
  private readonly open = new Map<string, FeedIncident>();
  private closed: FeedIncident[] = [];
  private readonly openRank: number;
  private readonly keepClosed: number;

  constructor(private readonly o: IncidentFeedOptions) {
    this.openRank = RANK[o.openPriority ?? 'high'];
    this.keepClosed = o.keepClosed ?? 200;
  }

  /** Brings the feed in step with the active alarm table; returns the changes in order. */
  update(active: readonly AlarmEvent[], now: number): FeedChange[] {
    const changes: FeedChange[] = [];
    const byHs = new Map<string, AlarmEvent[]>();
    for (const a of active) {
      if (!DEMANDING.has(a.state)) continue;
      const hs = this.o.hazardSourceOf(a.id);
      if (!hs) continue;
      let list = byHs.get(hs);
      if (!list) byHs.set(hs, (list = []));
      list.push(a);
    }

    for (const [hs, incident] of [...this.open]) {
      const now_ = byHs.get(hs) ?? [];
      const current = new Map(now_.map((a) => [a.id, a]));
      for (const m of incident.alarms) {
        const a = current.get(m.id);
        const state: AlarmState = a ? a.state : 'normal';
        if (state !== m.state || (a && a.raisedAt !== m.raisedAt)) {
          m.state = state;
          if (a) {
            m.raisedAt = a.raisedAt;
            m.message = a.message;
            if (a.firstOut) m.firstOut = true;
          }
          changes.push({ type: 'updated', incident, alarmId: m.id });
        }
      }
      // Joining in the order they were raised (then by id): the same order after any batching.
      for (const a of [...now_].sort((x, y) => x.raisedAt - y.raisedAt || x.id.localeCompare(y.id))) {
        if (incident.alarms.some((m) => m.id === a.id)) continue;
        incident.alarms.push(toMember(a, now));
        changes.push({ type: 'joined', incident, alarmId: a.id });
      }
      incident.priority = highest(incident.alarms);
      if (!incident.alarms.some((m) => DEMANDING.has(m.state))) {
        incident.state = 'closed';
        incident.closedAt = now;
        this.open.delete(hs);
        this.closed.unshift(incident);
        if (this.closed.length > this.keepClosed) this.closed.length = this.keepClosed;
        changes.push({ type: 'closed', incident });
      }
    }

    for (const [hs, list] of byHs) {
      if (this.open.has(hs)) continue;
      if (!list.some((a) => RANK[a.priority] >= this.openRank && a.state !== 'rtn-unack')) continue;
      // The cause first: a first-out alarm, else the earliest raised.
      const sorted = [...list].sort((a, b) => Number(b.firstOut === true) - Number(a.firstOut === true) || a.raisedAt - b.raisedAt || a.id.localeCompare(b.id));
      const first = sorted[0] as AlarmEvent;
      const openedAt = Math.min(...list.map((a) => a.raisedAt));
      const incident: FeedIncident = {
        id: `${hs}-${openedAt}`,
        hazardSource: hs,
        site: this.o.siteOf(hs),
        state: 'open',
        openedAt,
        firstAlarm: first.id,
        priority: highest(list),
        alarms: sorted.map((a) => toMember(a, now)),
      };
      this.open.set(hs, incident);
      changes.push({ type: 'opened', incident });
    }
    return changes;
  }

  /** Puts back incidents found in the journal at start, before the first `update`. */
  restore(incidents: readonly FeedIncident[]): void {
    for (const i of incidents) {
      if (i.state === 'open') this.open.set(i.hazardSource, structuredClone(i));
      else this.closed.push(structuredClone(i));
    }
    this.closed.sort((a, b) => (b.closedAt ?? 0) - (a.closedAt ?? 0));
  }

  /** Open incidents first (newest first), then closed ones. */
  list(filter: { hazardSource?: string; state?: 'open' | 'closed' } = {}): FeedIncident[] {
    const open = [...this.open.values()].sort((a, b) => b.openedAt - a.openedAt);
    return [...open, ...this.closed].filter((i) => (!filter.hazardSource || i.hazardSource === filter.hazardSource) && (!filter.state || i.state === filter.state));
  }

  get(id: string): FeedIncident | undefined {
    return this.list().find((i) => i.id === id);
  }
}

function toMember(a: AlarmEvent, now: number): FeedAlarm {
  return { id: a.id, priority: a.priority, state: a.state, message: a.message, raisedAt: a.raisedAt, joinedAt: now, ...(a.firstOut ? { firstOut: true } : {}) };
}

function highest(alarms: readonly { priority: AlarmPriority }[]): AlarmPriority {
  let best: AlarmPriority = 'low';
  for (const a of alarms) if (RANK[a.priority] > RANK[best]) best = a.priority;
  return best;
}
