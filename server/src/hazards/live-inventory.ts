import type { LiveReading } from '@park/protocol';
import type { LiveMeasure, RegisteredUnit, VesselShape } from './register.js';

/**
 * The live inventory of a major hazard installation: each vessel's content in
 * tonnes from its weight or level tag, summed per inventory item and set
 * against the design maximum q the unit is graded with (GB 18218-2018 4.2.2
 * grades the design maximum, so a live total above it means the register is
 * out of date or the vessel is over-filled: both need a safety engineer).
 *
 * A vessel whose tag is missing, not good or older than `maxAgeMs` has no
 * live content; the item's total then counts only the vessels that have one
 * and says which are missing, so a partial sum is never shown as the whole.
 */

export interface VesselLive {
  id: string;
  tag: string;
  measures: LiveMeasure['measures'];
  /** The tag's value and unit as read (t or %). */
  value: number | null;
  unit: 't' | '%';
  quality: 'good' | 'uncertain' | 'bad' | 'missing' | 'stale';
  /** Source time of the reading, ms. */
  ts: number | null;
  /** Content, t; null without a usable reading. */
  tonnes: number | null;
  /** Content over the vessel's design capacity (volume × density × maxFill), when that is known. */
  fractionOfCapacity: number | null;
}

export interface ItemLive {
  id: string;
  designMaxT: number;
  /** Sum over the vessels with a usable reading, t. */
  liveT: number | null;
  /** liveT / designMaxT. */
  fraction: number | null;
  /** True when every vessel gave a usable reading. */
  complete: boolean;
  /** Vessels without a usable reading (or without a live measure). */
  missing: string[];
  /** liveT above the design maximum the unit is graded with. */
  overDesign: boolean;
  /** Q of the item's substance, t, from the grading: liveT / Q is its live share of S. */
  Q: number;
  vessels: VesselLive[];
}

export interface UnitLiveInventory {
  unit: string;
  /** When it was computed, ms. */
  at: number;
  items: ItemLive[];
  /** Σ liveT / Q over the items: the identification sum on the live inventory (design S for comparison). */
  liveS: number | null;
  designS: number;
  complete: boolean;
}

/** Readings older than this are stale here: twice the gateways' default integrity period. */
export const DEFAULT_MAX_AGE_MS = 120_000;

/** Fraction of a vessel's volume filled at fractional level h (0…1) of its height or diameter. */
export function volumeFraction(shape: VesselShape, h: number): number {
  const x = Math.min(1, Math.max(0, h));
  switch (shape) {
    case 'vertical-cylinder':
      return x;
    case 'sphere':
      // Spherical cap of height x·D over the sphere: x²(3 − 2x).
      return x * x * (3 - 2 * x);
    case 'horizontal-cylinder': {
      // Circular segment of the cross-section: (θ − sin θ) / 2π with θ = 2·acos(1 − 2x).
      const theta = 2 * Math.acos(1 - 2 * x);
      return (theta - Math.sin(theta)) / (2 * Math.PI);
    }
  }
}

/** Volume in m³ at `levelPct` from a strapping table (linear between its rows). */
export function strappedVolume(table: readonly (readonly [number, number])[], levelPct: number): number {
  const first = table[0] as readonly [number, number];
  if (levelPct <= first[0]) return first[1];
  for (let i = 1; i < table.length; i++) {
    const [l1, v1] = table[i] as readonly [number, number];
    if (levelPct <= l1) {
      const [l0, v0] = table[i - 1] as readonly [number, number];
      return v0 + ((v1 - v0) * (levelPct - l0)) / (l1 - l0);
    }
  }
  return (table[table.length - 1] as readonly [number, number])[1];
}

/** Tonnes in the vessel for one reading of its live tag. */
export function tonnesOf(measure: LiveMeasure, value: number): number {
  if (measure.measures === 'inventory') return value;
  const volume = measure.strapping ? strappedVolume(measure.strapping, value) : measure.volumeM3 * volumeFraction(measure.shape, value / 100);
  return volume * measure.densityTPerM3;
}

export function unitLiveInventory(unit: RegisteredUnit, valueOf: (tagId: string) => LiveReading | undefined, now: number, maxAgeMs = DEFAULT_MAX_AGE_MS): UnitLiveInventory {
  const Qof = new Map(unit.calculation.terms.map((t) => [t.id, t.Q.value]));
  const items = unit.items.map((item): ItemLive => {
    const vessels = item.vessels.map((v): VesselLive => {
      const m = v.live;
      const capacity = v.volumeM3 !== undefined && v.densityTPerM3 !== undefined && v.maxFill !== undefined ? v.volumeM3 * v.densityTPerM3 * v.maxFill : undefined;
      if (!m) return { id: v.id, tag: '', measures: 'inventory', value: null, unit: 't', quality: 'missing', ts: null, tonnes: null, fractionOfCapacity: null };
      const r = valueOf(m.tag);
      const unitOf: VesselLive['unit'] = m.measures === 'inventory' ? 't' : '%';
      const base = { id: v.id, tag: m.tag, measures: m.measures, unit: unitOf };
      if (!r) return { ...base, value: null, quality: 'missing', ts: null, tonnes: null, fractionOfCapacity: null };
      const value = typeof r.v === 'number' ? r.v : null;
      const stale = now - r.receivedAt > maxAgeMs;
      const quality: VesselLive['quality'] = stale ? 'stale' : r.q;
      // Uncertain readings still count (the instrument says so, the display marks it); bad and stale do not.
      const usable = value !== null && Number.isFinite(value) && (quality === 'good' || quality === 'uncertain');
      const tonnes = usable ? tonnesOf(m, value) : null;
      return { ...base, value, quality, ts: r.ts, tonnes, fractionOfCapacity: tonnes !== null && capacity ? tonnes / capacity : null };
    });
    const counted = vessels.filter((v) => v.tonnes !== null);
    const liveT = counted.length > 0 ? counted.reduce((n, v) => n + (v.tonnes as number), 0) : null;
    const missing = vessels.filter((v) => v.tonnes === null).map((v) => v.id);
    return {
      id: item.id,
      designMaxT: item.designMaxT,
      liveT,
      fraction: liveT !== null ? liveT / item.designMaxT : null,
      complete: vessels.length > 0 && missing.length === 0,
      missing,
      overDesign: liveT !== null && liveT > item.designMaxT,
      Q: Qof.get(item.id) ?? Number.NaN,
      vessels,
    };
  });
  const counted = items.filter((i) => i.liveT !== null);
  return {
    unit: unit.id,
    at: now,
    items,
    liveS: counted.length > 0 ? counted.reduce((n, i) => n + (i.liveT as number) / i.Q, 0) : null,
    designS: unit.calculation.identification.S.value,
    complete: items.every((i) => i.complete),
  };
}
