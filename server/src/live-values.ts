import type { DataMessage, LiveReading } from '@park/protocol';

export type LiveValue = LiveReading;

/**
 * The table's own record of a tag. Handed to a consumer that sends the
 * latest values later (`takeChangedEntries`), read through `snapshotOf`;
 * never changed outside this module.
 */
export interface LiveEntry {
  readonly id: string;
}

class Entry implements LiveEntry {
  // `declare`: no field definitions before the constructor runs. A defined
  // field starts as `undefined`, and V8 then keeps the number fields as
  // pointers to boxed numbers: every reading allocated a new box per field,
  // kept by a long-lived entry until the tag's next reading, so promoted to
  // the old generation (1.6 MB/s at 100,000 readings/s) and collected by
  // full garbage collections that held the event loop.
  declare readonly id: string;
  declare ts: number;
  declare v: number;
  declare q: LiveValue['q'];
  /** Assigned, never deleted: `delete` turns an object into a slow dictionary, and this runs for every reading. */
  declare err: string | undefined;
  declare receivedAt: number;
  /** In the changed list already: a flag instead of a set keyed by id, one lookup less per reading. */
  declare changed: boolean;
  constructor(id: string, ts: number, v: number, q: LiveValue['q'], err: string | undefined, receivedAt: number) {
    this.id = id;
    // V8 gives a field the representation of the first value stored in it.
    // Were the first value a whole number, `v` would be a small-integer
    // field, and the first fractional value of any tag would change the
    // shape of every entry, each migrated at its next touch (100,000 tags:
    // hundreds of milliseconds in one stretch). Stored as doubles from the
    // start, the numbers are kept unboxed in place and the shape never changes.
    this.ts = 0.5;
    this.v = 0.5;
    this.q = q;
    this.err = err;
    this.receivedAt = 0.5;
    this.changed = false;
    this.ts = ts;
    this.v = v;
    this.receivedAt = receivedAt;
  }
}

/**
 * The entries changed between two takes: `entries[0..count)`, in the order
 * they first changed. Give it back (`giveBack`) once sent: its array is then
 * filled again.
 */
export interface ChangedEntries {
  readonly entries: readonly LiveEntry[];
  readonly count: number;
}

/** Lists kept for reuse; more pushes than this in flight means displays are not keeping up anyway. */
const SPARE_LISTS = 8;

/**
 * Where a caller that has its own per-tag record keeps this table's entry
 * of the tag, so that a reading costs no lookup here. Starts null; a slot
 * belongs to one table.
 */
export interface LiveSlot {
  live: LiveEntry | null;
}

/**
 * The latest reading of every tag, and which changed since the last take,
 * for batched pushes. A replayed (older) reading never overwrites a newer
 * one. At 100,000 readings a second every hash lookup per reading counts
 * (a lookup in a table of 100,000 costs 200–400 ns, mostly cache misses):
 * a reading costs one.
 */
export class LiveValues {
  private readonly values = new Map<string, Entry>();
  /**
   * Entries changed since the last take, `changed[0..changedCount)`. The
   * array is reused, never emptied: at 100,000 tags a push lists 25,000
   * entries, and an array grown to that size anew four times a second is
   * allocated where V8 puts large objects, in the old generation, so that
   * each one left to a full collection.
   */
  private changed: Entry[] = [];
  private changedCount = 0;
  private readonly spare: Entry[][] = [];

  /** `slots`, when given, holds a per-tag record for each reading (see `LiveSlot`). */
  apply(msg: DataMessage, receivedAt: number, slots?: readonly (LiveSlot | undefined)[]): void {
    const readings = msg.readings;
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as DataMessage['readings'][number];
      const slot = slots?.[i];
      let cur = slot?.live as Entry | null | undefined;
      if (cur == null) {
        cur = this.values.get(r.id);
        if (cur !== undefined && slot !== undefined) slot.live = cur;
      }
      if (cur) {
        if (r.ts < cur.ts) continue;
        cur.ts = r.ts;
        cur.v = r.v;
        cur.q = r.q;
        cur.err = r.err;
        cur.receivedAt = receivedAt;
      } else {
        this.values.set(r.id, (cur = new Entry(r.id, r.ts, r.v, r.q, r.err, receivedAt)));
      }
      if (!cur.changed) {
        cur.changed = true;
        this.changed[this.changedCount++] = cur;
      }
    }
  }

  /** A copy of the latest reading of `id` (the table keeps changing). */
  get(id: string): LiveValue | undefined {
    const e = this.values.get(id);
    return e === undefined ? undefined : snapshot(e);
  }

  all(): LiveValue[] {
    const out: LiveValue[] = [];
    for (const e of this.values.values()) out.push(snapshot(e));
    return out;
  }

  /**
   * The entries changed since the previous take, in the order they first
   * changed. Read them with `snapshotOf` when sending: each then gives the
   * latest reading of its tag.
   */
  takeChangedEntries(): ChangedEntries {
    const entries = this.changed;
    const count = this.changedCount;
    for (let i = 0; i < count; i++) (entries[i] as Entry).changed = false;
    this.changed = this.spare.pop() ?? [];
    this.changedCount = 0;
    return { entries, count };
  }

  /** A list from `takeChangedEntries`, sent: its array is filled again by later changes. */
  giveBack(list: ChangedEntries): void {
    const entries = list.entries as Entry[];
    // Given back twice, one array would serve two lists at once.
    if (this.spare.length < SPARE_LISTS && entries !== this.changed && !this.spare.includes(entries)) this.spare.push(entries);
  }

  /** The latest reading of an entry from `takeChangedEntries`, as a copy. */
  snapshotOf(entry: LiveEntry): LiveValue {
    return streamed(entry as Entry);
  }

  /** Readings changed since the previous take (copies: the table keeps changing). */
  takeChanged(): LiveReading[] {
    const list = this.takeChangedEntries();
    const out: LiveReading[] = [];
    for (let i = 0; i < list.count; i++) out.push(streamed(list.entries[i] as Entry));
    this.giveBack(list);
    return out;
  }
}

/** Every copy gets the same fields in the same order (`err` undefined when none), so V8 keeps one fast shape for all. */
function snapshot(x: Entry): LiveValue {
  return { id: x.id, ts: x.ts, v: x.v, q: x.q, err: x.err, receivedAt: x.receivedAt };
}

/**
 * The same copy from an object literal of its own. V8 learns per literal
 * whether its objects live long: those of `all()` (a display's snapshot, a
 * whole table kept at once) do, and from then on it allocated the copies
 * that `values` pushes make and drop at once (100,000 a second) straight
 * into the old generation, to be found there only by full collections.
 */
function streamed(x: Entry): LiveValue {
  return { id: x.id, ts: x.ts, v: x.v, q: x.q, err: x.err, receivedAt: x.receivedAt };
}
