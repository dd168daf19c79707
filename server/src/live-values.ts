import type { DataMessage, LiveReading } from '@park/protocol';

export type LiveValue = LiveReading;

/**
 * The latest reading of every tag, and which changed since the last
 * `takeChanged()`, for batched pushes. A replayed (older) reading never
 * overwrites a newer one.
 */
export class LiveValues {
  private readonly values = new Map<string, LiveValue>();
  private readonly changed = new Set<string>();

  apply(msg: DataMessage, receivedAt: number): void {
    for (const r of msg.readings) {
      const cur = this.values.get(r.id);
      if (cur) {
        if (r.ts < cur.ts) continue;
        cur.ts = r.ts;
        cur.v = r.v;
        cur.q = r.q;
        // Assigned, never deleted: `delete` turns the entry into a slow
        // dictionary object, and this runs for every reading the park sends.
        cur.err = r.err;
        cur.receivedAt = receivedAt;
      } else {
        this.values.set(r.id, entry(r.id, r.ts, r.v, r.q, r.err, receivedAt));
      }
      this.changed.add(r.id);
    }
  }

  get(id: string): LiveValue | undefined {
    return this.values.get(id);
  }

  all(): LiveValue[] {
    return [...this.values.values()].map(copy);
  }

  /** Ids of the tags changed since the previous call (or `takeChanged`), in the order they first changed. */
  takeChangedIds(): string[] {
    const ids = [...this.changed];
    this.changed.clear();
    return ids;
  }

  /** A copy of the latest reading of `id` (the table keeps changing). */
  copy(id: string): LiveValue | undefined {
    const v = this.values.get(id);
    return v === undefined ? undefined : copy(v);
  }

  /** Readings changed since the previous call (copies: the table keeps changing). */
  takeChanged(): LiveReading[] {
    const out: LiveReading[] = [];
    for (const id of this.changed) {
      const v = this.values.get(id);
      if (v) out.push(copy(v));
    }
    this.changed.clear();
    return out;
  }
}

/** Every entry gets the same fields in the same order (`err` undefined when none), so V8 keeps one fast shape for all. */
function entry(id: string, ts: number, v: number, q: LiveValue['q'], err: string | undefined, receivedAt: number): LiveValue {
  return { id, ts, v, q, err, receivedAt };
}

function copy(x: LiveValue): LiveValue {
  return entry(x.id, x.ts, x.v, x.q, x.err, x.receivedAt);
}
