import type { CatalogueTag, LiveReading, ParkSummary, Reading, Snapshot, ValuesEvent } from '@park/protocol';
import { limitStateOf, type LimitState } from './tag-status';

// The live value table of the display, outside React (after Zigbee2MQTT
// WindFront's store): the socket manager applies `snapshot` and `values` as
// they come; the subscribers are told, and the summary recounted, on the
// next animation frame. Components subscribe to ONE tag (subscribeTag/
// getTag), so a commit re-renders only the tiles whose tag changed, whatever
// the number of tags.
//
// A batch changes every tile on screen at once; rendering them all (React,
// style, layout, paint) in one frame, after committing 5,000 values in the
// same task, made that frame a task of 20–30 ms, which a busy machine
// stretched past 50 ms. So the values are committed in the socket's message
// task, and the subscribers told in slices of NOTIFY_PER_FRAME tags per
// animation frame: a wall of 100 tiles is up to date within three frames.
//
// Staleness is judged on the server's clock: every reading carries the
// server's receive time (`receivedAt`) and every `values` batch the server's
// send time, which gives the offset between the two clocks, so a browser
// with a wrong clock neither hides nor invents stale values.

export interface TagLive {
  /** The latest reading, or null before the first one. */
  readonly reading: Reading | null;
  /** When the server received the latest reading of this tag (`receivedAt`, server clock, ms). */
  readonly updatedAtServerMs: number | null;
  /** No update for longer than `staleAfterMs` (server clock). */
  readonly stale: boolean;
  readonly limit: LimitState;
}

export interface Catalogue {
  /** The park's structure: site and hazard-source names. */
  readonly park: ParkSummary | null;
  /** Site id → name; hazard source id → name (ids are unique within the park). */
  readonly siteNames: ReadonlyMap<string, { zh: string; en: string }>;
  readonly hazardNames: ReadonlyMap<string, { zh: string; en: string }>;
  /** In the server's order (the park model's order). */
  readonly tags: readonly CatalogueTag[];
  readonly byId: ReadonlyMap<string, CatalogueTag>;
}

/** Counts over all tags, for a summary that covers what is scrolled out of view. */
export interface LiveSummary {
  readonly total: number;
  readonly noData: number;
  readonly bad: number;
  readonly uncertain: number;
  readonly stale: number;
  /** Beyond hh or ll. */
  readonly beyondOuter: number;
  /** Beyond h or l but not hh/ll. */
  readonly beyondInner: number;
}

export interface LiveStore {
  applySnapshot(snapshot: Snapshot): void;
  /** Commits a batch now; its subscribers are told from the next animation frame on. */
  applyValues(batch: ValuesEvent): void;
  /** Tells every subscriber of a changed tag now, and recounts the summary. */
  flush(): void;
  /**
   * Re-evaluates staleness of every tag; the store calls it every second
   * while started (a hidden tab runs no animation frames, so its
   * subscribers are told here, at once).
   */
  sweepStale(): void;
  /** Forgets everything (logout). */
  clear(): void;
  /** Runs the staleness timer; returns a stop function. */
  start(): () => void;

  subscribeTag(id: string, listener: () => void): () => void;
  getTag(id: string): TagLive;
  subscribeCatalogue(listener: () => void): () => void;
  getCatalogue(): Catalogue | null;
  subscribeSummary(listener: () => void): () => void;
  getSummary(): LiveSummary;
  /** Estimated server clock now (ms). */
  serverNowMs(): number;
  /**
   * The tag's recent values for a sparkline, oldest first: one point per
   * SPARK_BUCKET_MS of source time (the latest value of each), over at most
   * SPARK_WINDOW_MS; a bad reading is a gap (`v` NaN). Read by the tiles in
   * view only: a tile re-renders when its tag changes anyway.
   */
  recentValues(id: string, sinceMs: number): SparkPoint[];
}

export interface SparkPoint {
  /** Source time (ms). */
  readonly ts: number;
  /** NaN: bad quality, a gap in the line. */
  readonly v: number;
}

/** How far back a tile's sparkline reaches. */
export const SPARK_WINDOW_MS = 5 * 60_000;
/** One point per this much source time: 60 points over the window, whatever the update rate. */
export const SPARK_BUCKET_MS = 5_000;
const SPARK_CAPACITY = SPARK_WINDOW_MS / SPARK_BUCKET_MS;

/**
 * A fixed ring of (time, value) pairs for one tag, allocated on the tag's
 * first reading: recording costs O(1) per committed reading, nothing is
 * drawn for tiles out of view, and memory is bounded (60 pairs per tag).
 */
class SparkRing {
  private readonly ts = new Float64Array(SPARK_CAPACITY);
  private readonly v = new Float64Array(SPARK_CAPACITY);
  private start = 0;
  private count = 0;

  push(ts: number, v: number): void {
    if (this.count > 0) {
      const last = (this.start + this.count - 1) % SPARK_CAPACITY;
      const lastTs = this.ts[last] ?? 0;
      // Replays and late readings are history, not part of the live glance.
      if (ts < lastTs) return;
      if (Math.floor(ts / SPARK_BUCKET_MS) === Math.floor(lastTs / SPARK_BUCKET_MS)) {
        this.ts[last] = ts;
        this.v[last] = v;
        return;
      }
    }
    if (this.count < SPARK_CAPACITY) {
      const at = (this.start + this.count) % SPARK_CAPACITY;
      this.ts[at] = ts;
      this.v[at] = v;
      this.count++;
    } else {
      this.ts[this.start] = ts;
      this.v[this.start] = v;
      this.start = (this.start + 1) % SPARK_CAPACITY;
    }
  }

  since(fromMs: number): SparkPoint[] {
    const out: SparkPoint[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (this.start + i) % SPARK_CAPACITY;
      const ts = this.ts[at] ?? 0;
      if (ts >= fromMs) out.push({ ts, v: this.v[at] ?? Number.NaN });
    }
    return out;
  }
}

export interface LiveStoreOptions {
  readonly staleAfterMs: number;
  readonly requestFrame?: (callback: () => void) => void;
  readonly nowMs?: () => number;
}

const STALE_SWEEP_INTERVAL_MS = 1_000;
/**
 * Subscribed tags re-rendered per animation frame. A tile costs about 0.2 ms
 * of main thread (render, commit, style, layout, paint) on top of a frame's
 * own few milliseconds, so a slice stays well inside a 16 ms frame, and a
 * large wall is still whole within a few hundred milliseconds.
 */
const NOTIFY_PER_FRAME = 40;
const NO_VALUE: TagLive = { reading: null, updatedAtServerMs: null, stale: false, limit: 'none' };
const EMPTY_SUMMARY: LiveSummary = { total: 0, noData: 0, bad: 0, uncertain: 0, stale: 0, beyondOuter: 0, beyondInner: 0 };

/** The server's receive time; a server without `receivedAt` gives the fallback. */
function receivedAtOf(reading: Reading | LiveReading, fallback: number): number {
  const at = (reading as Partial<LiveReading>).receivedAt;
  return typeof at === 'number' && Number.isFinite(at) ? at : fallback;
}

export function createLiveStore(options: LiveStoreOptions): LiveStore {
  const staleAfterMs = options.staleAfterMs;
  const requestFrame = options.requestFrame ?? ((callback: () => void) => void requestAnimationFrame(callback));
  const nowMs = options.nowMs ?? Date.now;

  let catalogue: Catalogue | null = null;
  const values = new Map<string, TagLive>();
  const sparks = new Map<string, SparkRing>();
  /** Subscribed tags committed but not yet told, in commit order. */
  const unnotified = new Set<string>();
  let frameRequested = false;
  /** server clock − browser clock, from the latest message that carried the server's time. */
  let clockOffsetMs = 0;
  let summary: LiveSummary = EMPTY_SUMMARY;
  /** Values changed since the summary was last counted. */
  let summaryDirty = false;

  const tagListeners = new Map<string, Set<() => void>>();
  const catalogueListeners = new Set<() => void>();
  const summaryListeners = new Set<() => void>();

  function serverNowMs(): number {
    return nowMs() + clockOffsetMs;
  }

  function isStale(updatedAtServerMs: number | null, serverNow: number): boolean {
    return updatedAtServerMs !== null && serverNow - updatedAtServerMs > staleAfterMs;
  }

  function notifyTag(id: string): void {
    const listeners = tagListeners.get(id);
    if (listeners) for (const listener of listeners) listener();
  }

  function notifyAllTags(): void {
    unnotified.clear();
    for (const listeners of tagListeners.values()) for (const listener of listeners) listener();
  }

  function scheduleFrame(): void {
    if (frameRequested) return;
    frameRequested = true;
    requestFrame(onFrame);
  }

  /** Tells the subscribers of at most `budget` changed tags; the rest wait for the next frame. */
  function notifySome(budget: number): void {
    let left = budget;
    for (const id of unnotified) {
      if (left <= 0) break;
      unnotified.delete(id);
      // A tile unmounted since the commit needs nothing; a new one read the value when it mounted.
      if (!tagListeners.has(id)) continue;
      notifyTag(id);
      left--;
    }
  }

  function markChanged(id: string): void {
    if (tagListeners.has(id)) unnotified.add(id);
  }

  function recountSummary(): void {
    summaryDirty = false;
    let noData = 0;
    let bad = 0;
    let uncertain = 0;
    let stale = 0;
    let beyondOuter = 0;
    let beyondInner = 0;
    for (const live of values.values()) {
      if (!live.reading) noData++;
      else if (live.reading.q === 'bad') bad++;
      else if (live.reading.q === 'uncertain') uncertain++;
      if (live.stale) stale++;
      if (live.limit === 'hh' || live.limit === 'll') beyondOuter++;
      else if (live.limit === 'h' || live.limit === 'l') beyondInner++;
    }
    const next: LiveSummary = { total: values.size, noData, bad, uncertain, stale, beyondOuter, beyondInner };
    const same = (Object.keys(next) as (keyof LiveSummary)[]).every((key) => next[key] === summary[key]);
    if (same) return;
    summary = next;
    for (const listener of summaryListeners) listener();
  }

  function record(reading: Reading): void {
    let ring = sparks.get(reading.id);
    if (!ring) {
      ring = new SparkRing();
      sparks.set(reading.id, ring);
    }
    ring.push(reading.ts, reading.q === 'bad' ? Number.NaN : reading.v);
  }

  function flush(): void {
    if (summaryDirty) recountSummary();
    notifySome(Infinity);
  }

  function onFrame(): void {
    frameRequested = false;
    if (summaryDirty) recountSummary();
    notifySome(NOTIFY_PER_FRAME);
    if (unnotified.size > 0) scheduleFrame();
  }

  function sweepStale(): void {
    const serverNow = serverNowMs();
    let turned = false;
    for (const [id, live] of values) {
      const stale = isStale(live.updatedAtServerMs, serverNow);
      if (stale !== live.stale) {
        values.set(id, { ...live, stale });
        markChanged(id);
        turned = true;
      }
    }
    if (turned || summaryDirty) recountSummary();
    if (unnotified.size === 0) return;
    // A hidden tab runs no animation frames: its tiles are told at once. A
    // visible one gets slices, also when a stopped feed turns every tile
    // stale in the same second.
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') notifySome(Infinity);
    else scheduleFrame();
  }

  return {
    applySnapshot(snapshot) {
      unnotified.clear();
      clockOffsetMs = snapshot.ts - nowMs();
      const byId = new Map<string, CatalogueTag>();
      for (const tag of snapshot.tags) byId.set(tag.id, tag);
      const siteNames = new Map<string, { zh: string; en: string }>();
      const hazardNames = new Map<string, { zh: string; en: string }>();
      const park = snapshot.park ?? null;
      for (const site of park?.sites ?? []) {
        siteNames.set(site.id, site.name);
        for (const hazard of site.hazardSources) hazardNames.set(hazard.id, hazard.name);
      }
      catalogue = { park, siteNames, hazardNames, tags: [...byId.values()], byId };
      values.clear();
      // The rings are kept across a reconnect's snapshot: the minutes before the link dropped still count.
      for (const tag of catalogue.tags) values.set(tag.id, NO_VALUE);
      const serverNow = serverNowMs();
      for (const reading of snapshot.values) {
        // The server's receive time; an older server without it: the source
        // time (never later than the snapshot), the best estimate there is.
        const updatedAtServerMs = receivedAtOf(reading, Math.min(reading.ts, snapshot.ts));
        values.set(reading.id, {
          reading,
          updatedAtServerMs,
          stale: isStale(updatedAtServerMs, serverNow),
          limit: limitStateOf(byId.get(reading.id), reading),
        });
        record(reading);
      }
      for (const listener of catalogueListeners) listener();
      notifyAllTags();
      recountSummary();
    },

    applyValues(batch) {
      clockOffsetMs = batch.ts - nowMs();
      if (batch.readings.length === 0) return;
      const serverNow = serverNowMs();
      for (const reading of batch.readings) {
        const serverMs = receivedAtOf(reading, batch.ts);
        values.set(reading.id, {
          reading,
          updatedAtServerMs: serverMs,
          stale: isStale(serverMs, serverNow),
          limit: limitStateOf(catalogue?.byId.get(reading.id), reading),
        });
        record(reading);
        markChanged(reading.id);
      }
      summaryDirty = true;
      scheduleFrame();
    },

    flush,
    sweepStale,

    clear() {
      unnotified.clear();
      values.clear();
      sparks.clear();
      catalogue = null;
      for (const listener of catalogueListeners) listener();
      notifyAllTags();
      recountSummary();
    },

    start() {
      const timer = setInterval(sweepStale, STALE_SWEEP_INTERVAL_MS);
      // A hidden tab runs no animation frames and few timers: commit at once when shown.
      const onVisibility = (): void => {
        if (document.visibilityState === 'visible') sweepStale();
      };
      document.addEventListener('visibilitychange', onVisibility);
      return () => {
        clearInterval(timer);
        document.removeEventListener('visibilitychange', onVisibility);
      };
    },

    subscribeTag(id, listener) {
      let listeners = tagListeners.get(id);
      if (!listeners) {
        listeners = new Set();
        tagListeners.set(id, listeners);
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) tagListeners.delete(id);
      };
    },
    getTag: (id) => values.get(id) ?? NO_VALUE,
    subscribeCatalogue(listener) {
      catalogueListeners.add(listener);
      return () => catalogueListeners.delete(listener);
    },
    getCatalogue: () => catalogue,
    subscribeSummary(listener) {
      summaryListeners.add(listener);
      return () => summaryListeners.delete(listener);
    },
    getSummary: () => summary,
    serverNowMs,
    recentValues: (id, sinceMs) => sparks.get(id)?.since(sinceMs) ?? [],
  };
}
