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
        if (r.err !== undefined) cur.err = r.err;
        else delete cur.err;
        cur.receivedAt = receivedAt;
      } else {
        this.values.set(r.id, { ...r, receivedAt });
      }
      this.changed.add(r.id);
    }
  }

  get(id: string): LiveValue | undefined {
    return this.values.get(id);
  }

  all(): LiveValue[] {
    return [...this.values.values()].map((v) => ({ ...v }));
  }

  /** Readings changed since the previous call (copies: the table keeps changing). */
  takeChanged(): LiveReading[] {
    const out: LiveReading[] = [];
    for (const id of this.changed) {
      const v = this.values.get(id);
      if (v) out.push({ ...v });
    }
    this.changed.clear();
    return out;
  }
}
