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

interface TagState {
  deadband: number;
  /** Last published. */
  sent?: Sample;
  sentAt: number;
  /** Latest sample, published or not. */
  latest?: Sample;
  /** Last value of a good or uncertain sample. */
  lastValue: number;
}

export class ReportFilter {
  private readonly tags = new Map<string, TagState>();
  suppressed = 0;

  constructor(
    deadbands: Iterable<[string, number]>,
    private readonly integrityPeriodMs: number,
  ) {
    for (const [id, deadband] of deadbands) this.tags.set(id, { deadband, sentAt: 0, lastValue: 0 });
  }

  /** The samples to publish out of `samples` (values of bad ones replaced). */
  filter(samples: readonly Sample[], now: number, out: Sample[] = []): Sample[] {
    for (const s0 of samples) {
      let st = this.tags.get(s0.id);
      if (!st) {
        st = { deadband: 0, sentAt: 0, lastValue: 0 };
        this.tags.set(s0.id, st);
      }
      let s = s0;
      if (s.q === 'bad' || !Number.isFinite(s.v)) s = { ...s, v: st.lastValue };
      else st.lastValue = s.v;
      st.latest = s;
      const last = st.sent;
      const due =
        last === undefined ||
        last.q !== s.q ||
        last.err !== s.err ||
        (st.deadband > 0 ? Math.abs(s.v - last.v) > st.deadband : s.v !== last.v) ||
        (this.integrityPeriodMs > 0 && now - st.sentAt >= this.integrityPeriodMs);
      if (due) {
        st.sent = s;
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
    for (const st of this.tags.values()) {
      if (!st.latest || now - st.sentAt < this.integrityPeriodMs) continue;
      const s: Sample = { ...st.latest, ts: now };
      st.sent = s;
      st.sentAt = now;
      out.push(s);
    }
    return out;
  }
}
