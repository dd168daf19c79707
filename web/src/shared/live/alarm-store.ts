import {
  type AlarmEscalationEvent,
  type AlarmEvent,
  type AlarmFloodEvent,
  type AlarmPriority,
  type AlarmState,
} from '@park/protocol';

// The active alarms of the park as the display knows them, outside React,
// fed by the socket manager: the snapshot's `alarms` at once, then every
// `alarm` transition, `escalation` and `flood` event. Changes are queued and
// committed together once per animation frame (with a timer as a fallback,
// so a hidden tab still keeps up); the sound is decided at once, when the
// event arrives, never delayed to a frame.
//
// Readers subscribe narrowly: one tag (the tile), the overview (the banner),
// the whole list (the alarms page).

/** States in which an alarm is annunciated: it shows in priority colour. */
export const ANNUNCIATED_STATES: readonly AlarmState[] = ['unack', 'acked', 'rtn-unack'];
/** Every state an active alarm can be in, in the order the display lists them. */
export const ACTIVE_STATES = ['unack', 'rtn-unack', 'acked', 'shelved', 'suppressed', 'out-of-service'] as const satisfies readonly AlarmState[];
export type ActiveState = (typeof ACTIVE_STATES)[number];

/** Priorities that sound when newly annunciated. */
export const AUDIBLE_PRIORITIES: readonly AlarmPriority[] = ['critical', 'high'];

export function isAnnunciated(state: AlarmState): boolean {
  return state === 'unack' || state === 'acked' || state === 'rtn-unack';
}

export function awaitsAck(state: AlarmState): boolean {
  return state === 'unack' || state === 'rtn-unack';
}

const PRIORITY_RANK: Readonly<Record<AlarmPriority, number>> = { critical: 0, high: 1, medium: 2, low: 3 };
const STATE_RANK: Readonly<Record<AlarmState, number>> = {
  unack: 0,
  'rtn-unack': 1,
  acked: 2,
  shelved: 3,
  suppressed: 4,
  'out-of-service': 5,
  normal: 6,
};

export function priorityRank(priority: AlarmPriority): number {
  return PRIORITY_RANK[priority];
}

export function stateRank(state: AlarmState): number {
  return STATE_RANK[state];
}

/**
 * Which of a tag's alarms the tile shows: annunciated before
 * shelved/suppressed/out of service, then the highest priority, then
 * unacknowledged before acknowledged.
 */
export function moreImportant(a: AlarmEvent, b: AlarmEvent): boolean {
  const annA = isAnnunciated(a.state) ? 0 : 1;
  const annB = isAnnunciated(b.state) ? 0 : 1;
  if (annA !== annB) return annA < annB;
  if (annA === 0 && a.priority !== b.priority) return PRIORITY_RANK[a.priority] < PRIORITY_RANK[b.priority];
  if (a.state !== b.state) return STATE_RANK[a.state] < STATE_RANK[b.state];
  if (a.priority !== b.priority) return PRIORITY_RANK[a.priority] < PRIORITY_RANK[b.priority];
  return a.ts > b.ts;
}

/** One tag's alarm as its tile shows it, or null when none is active. */
export interface TagAlarm {
  readonly alarm: AlarmEvent;
  /** How many alarms of this tag are active (HH and H together: 2). */
  readonly count: number;
}

export interface FloodState {
  readonly area: string;
  readonly count: number;
  readonly peak: number;
  readonly startedAt: number;
  readonly ts: number;
}

export interface EscalationNotice {
  readonly alarm: AlarmEvent;
  readonly ts: number;
  readonly unackedForMs: number;
}

export interface AlarmOverview {
  /** Annunciated alarms (unack, acked, rtn-unack) per priority. */
  readonly byPriority: Readonly<Record<AlarmPriority, number>>;
  /** Active alarms per state. */
  readonly byState: Readonly<Record<ActiveState, number>>;
  /** Waiting for an acknowledgement (unack + rtn-unack) per priority. */
  readonly unackByPriority: Readonly<Record<AlarmPriority, number>>;
  readonly total: number;
  /** The most recently annunciated alarm still waiting for an acknowledgement. */
  readonly newestUnack: AlarmEvent | null;
  /** Areas (sites) in an alarm flood now, from `flood` events. */
  readonly floods: readonly FloodState[];
  /** Escalated alarms still unacknowledged, newest first. */
  readonly escalations: readonly EscalationNotice[];
  /** Whether any snapshot has arrived (false: the counts are not known yet). */
  readonly known: boolean;
}

export interface AlarmStoreOptions {
  readonly requestFrame?: (callback: () => void) => void;
  /** Called at once for an alarm newly annunciated (into `unack`); `fromSnapshot` for those found in a snapshot. */
  readonly onAnnunciation?: (alarm: AlarmEvent, fromSnapshot: boolean) => void;
}

/** What a snapshot says besides the alarms: floods going on now, open escalations (commanders and admins only). */
export interface SnapshotAlarmExtras {
  readonly floods?: readonly AlarmFloodEvent[];
  readonly escalations?: readonly AlarmEscalationEvent[];
}

export interface AlarmStore {
  /** Replaces everything: a display connecting mid-flood or mid-escalation shows it at once. */
  applySnapshot(alarms: readonly AlarmEvent[], extras?: SnapshotAlarmExtras): void;
  applyEvent(event: AlarmEvent): void;
  applyEscalation(event: AlarmEscalationEvent): void;
  applyFlood(event: AlarmFloodEvent): void;
  flush(): void;
  clear(): void;

  subscribeTag(tagId: string, listener: () => void): () => void;
  getTagAlarm(tagId: string): TagAlarm | null;
  subscribe(listener: () => void): () => void;
  /** Active alarms, highest priority first, then newest first. A new array after every change. */
  getList(): readonly AlarmEvent[];
  getOverview(): AlarmOverview;
  get(alarmId: string): AlarmEvent | undefined;
}

const FALLBACK_COMMIT_MS = 250;
const MAX_ESCALATIONS = 20;

function zeroPriorities(): Record<AlarmPriority, number> {
  return { critical: 0, high: 0, medium: 0, low: 0 };
}

function zeroStates(): Record<ActiveState, number> {
  return { unack: 0, 'rtn-unack': 0, acked: 0, shelved: 0, suppressed: 0, 'out-of-service': 0 };
}

const EMPTY_OVERVIEW: AlarmOverview = {
  byPriority: zeroPriorities(),
  byState: zeroStates(),
  unackByPriority: zeroPriorities(),
  total: 0,
  newestUnack: null,
  floods: [],
  escalations: [],
  known: false,
};

export function compareAlarms(a: AlarmEvent, b: AlarmEvent): number {
  return PRIORITY_RANK[a.priority] - PRIORITY_RANK[b.priority] || b.raisedAt - a.raisedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export function createAlarmStore(options: AlarmStoreOptions = {}): AlarmStore {
  const requestFrame = options.requestFrame ?? ((callback: () => void) => void requestAnimationFrame(callback));
  /** Active alarms (state not `normal`) by id. */
  const alarms = new Map<string, AlarmEvent>();
  /** tagId → ids of its active alarms. */
  const byTag = new Map<string, Set<string>>();
  const tagView = new Map<string, TagAlarm>();
  const floods = new Map<string, FloodState>();
  let escalations: EscalationNotice[] = [];
  let known = false;

  const dirtyTags = new Set<string>();
  let dirty = false;
  let scheduled = false;
  let fallbackTimer: ReturnType<typeof setTimeout> | undefined;

  let list: readonly AlarmEvent[] = [];
  let overview: AlarmOverview = EMPTY_OVERVIEW;

  const tagListeners = new Map<string, Set<() => void>>();
  const listeners = new Set<() => void>();

  function schedule(): void {
    dirty = true;
    if (scheduled) return;
    scheduled = true;
    requestFrame(flush);
    fallbackTimer = setTimeout(flush, FALLBACK_COMMIT_MS);
  }

  function put(event: AlarmEvent): void {
    const previous = alarms.get(event.id);
    if (previous && previous.tagId !== event.tagId) removeFromTag(previous);
    if (event.state === 'normal') {
      if (previous) {
        alarms.delete(event.id);
        removeFromTag(previous);
      }
    } else {
      alarms.set(event.id, event);
      let ids = byTag.get(event.tagId);
      if (!ids) {
        ids = new Set();
        byTag.set(event.tagId, ids);
      }
      ids.add(event.id);
    }
    dirtyTags.add(event.tagId);
  }

  function removeFromTag(event: AlarmEvent): void {
    const ids = byTag.get(event.tagId);
    if (!ids) return;
    ids.delete(event.id);
    if (ids.size === 0) byTag.delete(event.tagId);
    dirtyTags.add(event.tagId);
  }

  function recomputeTag(tagId: string): boolean {
    const ids = byTag.get(tagId);
    const before = tagView.get(tagId);
    if (!ids || ids.size === 0) {
      if (!before) return false;
      tagView.delete(tagId);
      return true;
    }
    let best: AlarmEvent | undefined;
    for (const id of ids) {
      const alarm = alarms.get(id);
      if (alarm && (!best || moreImportant(alarm, best))) best = alarm;
    }
    if (!best) return false;
    if (before && before.alarm === best && before.count === ids.size) return false;
    tagView.set(tagId, { alarm: best, count: ids.size });
    return true;
  }

  function recompute(): void {
    const byPriority = zeroPriorities();
    const unackByPriority = zeroPriorities();
    const byState = zeroStates();
    let newestUnack: AlarmEvent | null = null;
    const all: AlarmEvent[] = [];
    for (const alarm of alarms.values()) {
      all.push(alarm);
      if (alarm.state !== 'normal') byState[alarm.state]++;
      if (isAnnunciated(alarm.state)) byPriority[alarm.priority]++;
      if (awaitsAck(alarm.state)) {
        unackByPriority[alarm.priority]++;
        if (!newestUnack || alarm.raisedAt > newestUnack.raisedAt || (alarm.raisedAt === newestUnack.raisedAt && alarm.ts > newestUnack.ts)) newestUnack = alarm;
      }
    }
    all.sort(compareAlarms);
    list = all;
    // An escalation stays on screen while its alarm still waits for an acknowledgement.
    escalations = escalations.filter((notice) => {
      const current = alarms.get(notice.alarm.id);
      return current !== undefined && awaitsAck(current.state) && current.raisedAt === notice.alarm.raisedAt;
    });
    overview = {
      byPriority,
      byState,
      unackByPriority,
      total: all.length,
      newestUnack,
      floods: [...floods.values()].sort((a, b) => a.area.localeCompare(b.area)),
      escalations: [...escalations],
      known,
    };
  }

  function flush(): void {
    scheduled = false;
    clearTimeout(fallbackTimer);
    if (!dirty) return;
    dirty = false;
    const changedTags: string[] = [];
    for (const tagId of dirtyTags) if (recomputeTag(tagId)) changedTags.push(tagId);
    dirtyTags.clear();
    recompute();
    for (const tagId of changedTags) {
      const set = tagListeners.get(tagId);
      if (set) for (const listener of set) listener();
    }
    for (const listener of listeners) listener();
  }

  return {
    applySnapshot(snapshotAlarms, extras = {}) {
      const wasUnack = new Set<string>();
      for (const alarm of alarms.values()) if (alarm.state === 'unack') wasUnack.add(`${alarm.id}@${alarm.raisedAt}`);
      for (const alarm of alarms.values()) dirtyTags.add(alarm.tagId);
      alarms.clear();
      byTag.clear();
      for (const alarm of snapshotAlarms) put(alarm);
      // The snapshot is the truth now: floods and escalations as the server holds them.
      floods.clear();
      for (const flood of extras.floods ?? []) {
        if (flood.type === 'flood-start') floods.set(flood.area, { area: flood.area, count: flood.count, peak: flood.peak, startedAt: flood.startedAt, ts: flood.ts });
      }
      escalations = [...(extras.escalations ?? [])]
        .sort((a, b) => b.ts - a.ts)
        .slice(0, MAX_ESCALATIONS)
        .map((e) => ({ alarm: e.alarm, ts: e.ts, unackedForMs: e.unackedForMs }));
      // Alarms raised while the link was down (or standing at login) are
      // still owed their annunciation.
      for (const alarm of alarms.values()) {
        if (alarm.state === 'unack' && !wasUnack.has(`${alarm.id}@${alarm.raisedAt}`)) options.onAnnunciation?.(alarm, true);
      }
      known = true;
      schedule();
      flush();
    },

    applyEvent(event) {
      const previous = alarms.get(event.id);
      // Transitions of one alarm have strictly rising `ts`: an older one is late, not news.
      if (previous && previous.ts > event.ts) return;
      put(event);
      if (event.state === 'unack' && previous?.state !== 'unack') options.onAnnunciation?.(event, false);
      schedule();
    },

    applyEscalation(event) {
      escalations = [{ alarm: event.alarm, ts: event.ts, unackedForMs: event.unackedForMs }, ...escalations.filter((n) => n.alarm.id !== event.alarm.id)].slice(0, MAX_ESCALATIONS);
      schedule();
    },

    applyFlood(event) {
      if (event.type === 'flood-start' || (event.type !== 'flood-end' && floods.has(event.area))) {
        floods.set(event.area, { area: event.area, count: event.count, peak: event.peak, startedAt: event.startedAt, ts: event.ts });
      } else {
        floods.delete(event.area);
      }
      schedule();
    },

    flush,

    clear() {
      for (const alarm of alarms.values()) dirtyTags.add(alarm.tagId);
      alarms.clear();
      byTag.clear();
      floods.clear();
      escalations = [];
      known = false;
      schedule();
      flush();
      overview = EMPTY_OVERVIEW;
    },

    subscribeTag(tagId, listener) {
      let set = tagListeners.get(tagId);
      if (!set) {
        set = new Set();
        tagListeners.set(tagId, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) tagListeners.delete(tagId);
      };
    },
    getTagAlarm: (tagId) => tagView.get(tagId) ?? null,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getList: () => list,
    getOverview: () => overview,
    get: (alarmId) => alarms.get(alarmId),
  };
}
