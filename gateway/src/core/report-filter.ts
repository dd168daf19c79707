import type { Sample } from './types.js';

/**
 * Report by exception. A sample passes when it is the tag's first, when its
 * quality or error changed, when its value moved by more than the tag's
 * deadband from the last value *published* (so a slow drift is still
 * reported), or when the tag was last published `integrityPeriodMs` ago or
 * more. `resendDue()` re-sends tags that produced no sample for the integrity
 * period (subscription tags whose value did not change), stamped with the
 * current time, so a late subscriber learns every value within one period.
 *
 * A bad sample carries the last value read (0 if none) instead of the
 * driver's NaN, as the contract asks.
 */

/**
 * Per tag, in plain fields rather than the Sample objects themselves: a sample kept here lives
 * for a whole poll period, long enough for V8 to move it to the old generation, so keeping
 * objects made every poll leave a tag's worth of old-generation garbage behind (the heap then
 * grows between full collections by the size of all samples of a period).
 */
interface TagState {
  readonly id: string;
  deadband: number;
  /** Last published: whether any, value, quality, error, when. */
  sent: boolean;
  sentV: number;
  sentQ: Sample['q'];
  sentErr: string | undefined;
  sentAt: number;
  /** Latest sample, published or not (for integrity re-sends). */
  latest: boolean;
  latestV: number;
  latestQ: Sample['q'];
  latestErr: string | undefined;
  /** Last value of a good or uncertain sample. */
  lastValue: number;
}

function newState(id: string, deadband: number): TagState {
  return { id, deadband, sent: false, sentV: 0, sentQ: 'good', sentErr: undefined, sentAt: 0, latest: false, latestV: 0, latestQ: 'good', latestErr: undefined, lastValue: 0 };
}

// V8 gives a field the representation of the first value stored in it. Left
// to the zeros above and to whole-number readings, the value fields would be
// small integers, and the first fractional reading of any tag would change
// the shape of every tag's state, each migrated at its next touch: 100,000
// tags held one poll for hundreds of milliseconds. One state written with
// fractions here fixes them as doubles before any real one exists.
{
  const warm = newState('', 0.5);
  warm.sentV = warm.sentAt = warm.latestV = warm.lastValue = 0.5;
}

/** Batches shorter than this are looked up tag by tag. */
const MIN_RUN = 8;

export class ReportFilter {
  private readonly tags = new Map<string, TagState>();
  /**
   * The same states in a list, for `resendDue`'s walk over every tag each
   * second: iterating the map made two objects per tag (10 MB a second at
   * 100,000 tags), a loop over an array none.
   */
  private readonly all: TagState[] = [];
  /**
   * Per first tag id, the states of the latest batch that began with it. A
   * driver sends the same tags in the same order at every poll of a block,
   * and a lookup in a table of 100,000 tags costs 200–400 ns (cache
   * misses): a batch that matches its run costs one lookup, its ids
   * compared by identity (the driver's own strings).
   */
  private readonly runs = new Map<string, TagState[]>();
  /** States held by `runs`; bounded, since batches that vary (OPC UA notifications) would each leave a run. */
  private runStates = 0;
  suppressed = 0;

  constructor(
    deadbands: Iterable<[string, number]>,
    private readonly integrityPeriodMs: number,
  ) {
    for (const [id, deadband] of deadbands) {
      const st = this.tags.get(id);
      if (st) st.deadband = deadband;
      else this.add(newState(id, deadband));
    }
  }

  private add(st: TagState): TagState {
    this.tags.set(st.id, st);
    this.all.push(st);
    return st;
  }

  private stateOf(id: string): TagState {
    return this.tags.get(id) ?? this.add(newState(id, 0));
  }

  /** The state of each sample's tag, in order. */
  private statesOf(samples: readonly Sample[]): readonly TagState[] {
    const n = samples.length;
    const first = samples[0];
    if (first === undefined) return [];
    if (n >= MIN_RUN) {
      const run = this.runs.get(first.id);
      if (run !== undefined && run.length === n) {
        let i = 0;
        while (i < n && (run[i] as TagState).id === (samples[i] as Sample).id) i++;
        if (i === n) return run;
      }
    }
    const states = new Array<TagState>(n);
    for (let i = 0; i < n; i++) states[i] = this.stateOf((samples[i] as Sample).id);
    if (n >= MIN_RUN) {
      this.runStates += n - (this.runs.get(first.id)?.length ?? 0);
      this.runs.set(first.id, states);
      if (this.runStates > 2 * this.tags.size) {
        this.runs.clear();
        this.runStates = 0;
      }
    }
    return states;
  }

  /** The samples to publish out of `samples` (values of bad ones replaced). */
  filter(samples: readonly Sample[], now: number, out: Sample[] = []): Sample[] {
    const states = this.statesOf(samples);
    for (let i = 0; i < samples.length; i++) {
      const s0 = samples[i] as Sample;
      const st = states[i] as TagState;
      let s = s0;
      if (s.q === 'bad' || !Number.isFinite(s.v)) s = { ...s, v: st.lastValue };
      else st.lastValue = s.v;
      st.latest = true;
      st.latestV = s.v;
      st.latestQ = s.q;
      st.latestErr = s.err;
      const due =
        !st.sent ||
        st.sentQ !== s.q ||
        st.sentErr !== s.err ||
        (st.deadband > 0 ? Math.abs(s.v - st.sentV) > st.deadband : s.v !== st.sentV) ||
        (this.integrityPeriodMs > 0 && now - st.sentAt >= this.integrityPeriodMs);
      if (due) {
        st.sent = true;
        st.sentV = s.v;
        st.sentQ = s.q;
        st.sentErr = s.err;
        st.sentAt = now;
        out.push(s);
      } else {
        this.suppressed++;
      }
    }
    return out;
  }

  /** Tags not published for the integrity period: their latest sample, stamped `now`. */
  resendDue(now: number): Sample[] {
    const out: Sample[] = [];
    if (this.integrityPeriodMs <= 0) return out;
    for (let i = 0; i < this.all.length; i++) {
      const st = this.all[i] as TagState;
      if (!st.latest || now - st.sentAt < this.integrityPeriodMs) continue;
      const id = st.id;
      const s: Sample = st.latestErr === undefined ? { id, ts: now, v: st.latestV, q: st.latestQ } : { id, ts: now, v: st.latestV, q: st.latestQ, err: st.latestErr };
      st.sent = true;
      st.sentV = s.v;
      st.sentQ = s.q;
      st.sentErr = s.err;
      st.sentAt = now;
      out.push(s);
    }
    return out;
  }
}
