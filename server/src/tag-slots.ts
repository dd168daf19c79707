import type { ParkConfig } from '@park/protocol/config';
import type { AlarmSlot, AlarmTagRef } from './alarms/engine.js';
import { seriesKey } from './influx/line-protocol.js';
import type { LiveEntry, LiveSlot } from './live-values.js';

/**
 * One record per tag of the park model, found once per reading by the
 * ingest and handed on with the message, so that the stages after it (line
 * protocol, live table, alarm engine) need no lookup of their own. At
 * 100,000 readings a second a lookup in a table of 100,000 tags costs
 * 200–400 ns, mostly cache misses; the path used to make four per reading.
 * Each stage fills its own field on first use.
 */
export class TagSlot implements LiveSlot, AlarmSlot {
  live: LiveEntry | null = null;
  alarmTag: AlarmTagRef | null | undefined = undefined;
  /**
   * The slot of the reading that followed this tag's last time. A gateway
   * sends its tags in much the same order every poll, so the next reading's
   * slot is usually this one: checking it costs a comparison of two short
   * strings instead of a lookup in the table of every tag.
   */
  next: TagSlot | undefined = undefined;
  /** UTF-8 bytes of `series`: room for a line is reserved before it is written. */
  readonly seriesBytes: number;
  constructor(
    readonly id: string,
    readonly site: string,
    /** Hazard source, '' when none. */
    readonly source: string,
    /** Line-protocol measurement and tags, escaped once here instead of per reading. */
    readonly series: string,
    /** 0, 1, 2 … in order of creation: the tag's place in column-wise tables (the live rollup). */
    readonly index: number,
  ) {
    this.seriesBytes = Buffer.byteLength(series);
  }
}

export function tagSlotsOf(park: ParkConfig): Map<string, TagSlot> {
  const slots = new Map<string, TagSlot>();
  for (const site of park.sites) {
    for (const device of site.devices) {
      for (const tag of device.tags) {
        const source = tag.hazardSource ?? '';
        slots.set(tag.id, new TagSlot(tag.id, site.id, source, seriesKey(tag.id, site.id, source), slots.size));
      }
    }
  }
  return slots;
}
