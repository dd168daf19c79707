import type { Reading } from '@park/protocol';
import type { LevelSample } from './plume.js';

/** How far back the level trend looks for the release rate. */
export const LEVEL_TREND_WINDOW_MS = 10 * 60_000;
/** A cap per tag, so a gateway sending fast cannot grow memory without bound. */
const MAX_SAMPLES_PER_TAG = 2000;

/**
 * The recent good readings of the vessel level tags the cards name, kept in
 * memory (LEVEL_TREND_WINDOW_MS by source time), so a release rate can be
 * estimated from the trend without a database round trip while the
 * commander waits. After a restart the trend needs a few minutes of data
 * again; until then the commander gives the rate.
 */
export class LevelHistory {
  private readonly byTag = new Map<string, LevelSample[]>();

  constructor(private readonly windowMs = LEVEL_TREND_WINDOW_MS) {}

  /** Keeps the good readings of `tags` (the level tags in use). */
  apply(readings: readonly Reading[], tags: ReadonlySet<string>): void {
    for (const r of readings) {
      if (!tags.has(r.id) || r.q !== 'good' || !Number.isFinite(r.v)) continue;
      let list = this.byTag.get(r.id);
      if (!list) this.byTag.set(r.id, (list = []));
      if (list.length > 0 && r.ts <= (list[list.length - 1] as LevelSample).ts) {
        // Out of order (a replay): insert in place; a repeated time replaces the value.
        const at = list.findIndex((s) => s.ts >= r.ts);
        if (list[at]?.ts === r.ts) list[at] = { ts: r.ts, v: r.v };
        else list.splice(at, 0, { ts: r.ts, v: r.v });
      } else list.push({ ts: r.ts, v: r.v });
      const newest = (list[list.length - 1] as LevelSample).ts;
      let drop = 0;
      while (drop < list.length && (list[drop] as LevelSample).ts < newest - this.windowMs) drop++;
      if (list.length - drop > MAX_SAMPLES_PER_TAG) drop = list.length - MAX_SAMPLES_PER_TAG;
      if (drop > 0) list.splice(0, drop);
    }
  }

  /** The readings of `tagId` within the window before `nowMs`, oldest first (a gateway clock a little ahead does not hide its newest readings). */
  samples(tagId: string, nowMs: number): LevelSample[] {
    return (this.byTag.get(tagId) ?? []).filter((s) => s.ts >= nowMs - this.windowMs);
  }
}
