/**
 * Alarm flood detection per area (DOMAIN.md §7.3, EEMUA 191 / ISA-18.2): a
 * flood starts when more than `startAbove` alarms were annunciated in the
 * rolling window, and ends when fewer than `endBelow` remain in it. The two
 * thresholds give hysteresis, so a flood does not flap at one count.
 *
 * Both edges are timed exactly: a start at the annunciation that crosses the
 * threshold, an end at the moment the annunciation that brings the count
 * below `endBelow` leaves the window (its time + the window), even when the
 * detector only learns of it at a later tick.
 */

/** One flood edge, reported by `AlarmEngine.tick`. */
export interface FloodEvent {
  type: 'flood-start' | 'flood-end';
  /** The area (site id) the flood is in. */
  area: string;
  /** When the edge happened (engine clock, ms): see the module comment. */
  ts: number;
  /** Annunciations in the window at `ts` (after the edge). */
  count: number;
  /** When this flood started (equals `ts` on `flood-start`). */
  startedAt: number;
  /** Most annunciations in the window during this flood so far. */
  peak: number;
}

/** The flood state of one area, for KPIs and the display. */
export interface FloodStatus {
  area: string;
  inFlood: boolean;
  /** Annunciations in the window as of the last update. */
  count: number;
  /** Start of the current flood; null when not in flood. */
  since: number | null;
  /** Floods started in this area since the engine started. */
  floods: number;
}

class AreaWindow {
  /** Annunciation times, oldest first, from `head` on. */
  times: number[] = [];
  head = 0;
  inFlood = false;
  startedAt = 0;
  peak = 0;
  floods = 0;

  constructor(readonly area: string) {}

  get count(): number {
    return this.times.length - this.head;
  }
}

export class FloodDetector {
  private readonly areas = new Map<string, AreaWindow>();
  private queue: FloodEvent[] = [];

  constructor(
    readonly windowMs: number,
    readonly startAbove: number,
    readonly endBelow: number,
  ) {}

  /** Records an annunciation in `area` at `ts`; true when it started a flood there. */
  annunciated(area: string, ts: number): boolean {
    let w = this.areas.get(area);
    if (!w) {
      w = new AreaWindow(area);
      this.areas.set(area, w);
    }
    this.expire(w, ts);
    w.times.push(ts);
    const count = w.count;
    if (w.inFlood) {
      if (count > w.peak) w.peak = count;
    } else if (count > this.startAbove) {
      w.inFlood = true;
      w.startedAt = ts;
      w.peak = count;
      w.floods++;
      this.queue.push({ type: 'flood-start', area, ts, count, startedAt: ts, peak: count });
      return true;
    }
    return false;
  }

  /** Moves every area's window to `nowMs` (ends floods whose count fell below the end threshold). */
  advance(nowMs: number): void {
    for (const w of this.areas.values()) this.expire(w, nowMs);
  }

  /** Flood edges since the last call, oldest first. */
  drain(): FloodEvent[] {
    const out = this.queue;
    this.queue = [];
    return out;
  }

  /** Annunciations in the window, in one area or all (as of the last update). */
  count(area?: string): number {
    if (area !== undefined) return this.areas.get(area)?.count ?? 0;
    let n = 0;
    for (const w of this.areas.values()) n += w.count;
    return n;
  }

  status(): FloodStatus[] {
    return [...this.areas.values()].map((w) => ({ area: w.area, inFlood: w.inFlood, count: w.count, since: w.inFlood ? w.startedAt : null, floods: w.floods }));
  }

  private expire(w: AreaWindow, nowMs: number): void {
    const times = w.times;
    while (w.head < times.length) {
      const t = times[w.head] as number;
      const leaves = t + this.windowMs;
      if (leaves > nowMs) break;
      w.head++;
      if (w.inFlood && w.count < this.endBelow) {
        w.inFlood = false;
        this.queue.push({ type: 'flood-end', area: w.area, ts: leaves, count: w.count, startedAt: w.startedAt, peak: w.peak });
      }
    }
    if (w.head > 1024 && w.head * 2 > times.length) {
      w.times = times.slice(w.head);
      w.head = 0;
    }
  }
}
