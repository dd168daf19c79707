import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Reading } from '@park/protocol';
import { parkSchema, parseConfigText, type TagConfig } from '@park/protocol/config';
import { AlarmEngine, NO_TRANSITIONS, type AlarmSlot } from '../../../server/src/alarms/engine.js';
import { rulesFromPark } from '../../../server/src/alarms/rules.js';
import { T0 } from './helpers.js';

const demo = parseConfigText(readFileSync(new URL('../../../seeds/park.yaml', import.meta.url), 'utf8'), 'seeds/park.yaml', parkSchema);

/** A value inside every limit of `tag` (discrete: 0; valve open feedback: 1). */
function insideValue(tag: TagConfig): number {
  if (tag.kind === 'discrete') return tag.id.endsWith('_open') ? 1 : 0; // valves stand open: no feedback mismatch
  const l = tag.limits;
  const lo = Math.max(l?.l ?? Number.NEGATIVE_INFINITY, l?.ll ?? Number.NEGATIVE_INFINITY, tag.range?.[0] ?? Number.NEGATIVE_INFINITY);
  const hi = Math.min(l?.h ?? Number.POSITIVE_INFINITY, l?.hh ?? Number.POSITIVE_INFINITY, tag.range?.[1] ?? Number.POSITIVE_INFINITY);
  if (Number.isFinite(lo) && Number.isFinite(hi)) return (lo + hi) / 2;
  return Number.isFinite(lo) ? lo + 1 : Number.isFinite(hi) ? hi - 1 : 0;
}

describe('hot path', () => {
  it('1,000,000 readings inside limits allocate no transitions (the shared empty result every time)', () => {
    const engine = new AlarmEngine(rulesFromPark(demo));
    // One reading object per tag of the demo park, reused (only ts moves), each inside every limit.
    const readings: Reading[] = demo.sites.flatMap((site) => site.devices.flatMap((device) => device.tags.map((tag) => ({ id: tag.id, ts: T0, v: insideValue(tag), q: 'good' as const }))));
    expect(readings.length).toBeGreaterThan(10);
    const n = 1_000_000;
    let other = 0;
    for (let i = 0; i < n; i++) {
      const r = readings[i % readings.length] as Reading;
      r.ts = T0 + Math.floor(i / readings.length);
      if (engine.onReading(r, r.ts) !== NO_TRANSITIONS) other++;
      if (i % 100_000 === 0) engine.tick(r.ts);
    }
    expect(other).toBe(0);
    expect(engine.counters()).toMatchObject({ readings: n, transitions: 0, invalidReadings: 0, unknownTagReadings: 0 });
    expect(engine.active()).toEqual([]);
  });
});

describe('a caller keeping the engine state of each tag in its own slot', () => {
  it('gets the same transitions as one looking every tag up, and a slot once looked up is used', () => {
    const rules = rulesFromPark(demo);
    const byLookup = new AlarmEngine(rules);
    const bySlot = new AlarmEngine(rules);
    const tag = rules.find((r) => r.kind === 'hh')?.tagId as string;
    expect(tag).toBeDefined();
    const slot: AlarmSlot = { alarmTag: undefined };
    const unknown: AlarmSlot = { alarmTag: undefined };
    const values = [0, 1e9, 1e9, 0, -1e9, 0];
    for (const [i, v] of values.entries()) {
      const r: Reading = { id: tag, ts: T0 + i * 1000, v, q: 'good' };
      const a = byLookup.onReading(r, r.ts);
      const b = bySlot.onReading(r, r.ts, false, slot);
      expect(b.map((t) => [t.event.id, t.event.state, t.cause])).toEqual(a.map((t) => [t.event.id, t.event.state, t.cause]));
      expect(bySlot.onReading({ id: 'no.such.tag', ts: r.ts, v, q: 'good' }, r.ts, false, unknown)).toBe(NO_TRANSITIONS);
    }
    expect(slot.alarmTag).toBeTruthy();
    expect(unknown.alarmTag).toBeNull();
    expect(bySlot.active()).toEqual(byLookup.active());
    expect(bySlot.counters()).toMatchObject({ unknownTagReadings: values.length, transitions: byLookup.counters().transitions });
    expect(byLookup.counters().transitions).toBeGreaterThan(0);
  });
});
