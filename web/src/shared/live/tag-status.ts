import type { CatalogueTag, Reading } from '@park/protocol';

// Pure rules for how one tag's latest reading is presented. Shared by every
// screen that shows live values, so a value looks the same everywhere.

/**
 * Where an analog value sits against its catalogue limits, for the display
 * colour and word only. `none`: not evaluated (no value, bad quality, a
 * discrete point, or no limits configured).
 *
 * This is NOT the alarm state. Until the server pushes alarms (`alarm`
 * events from its ISA-18.2 engine, with deadband, on/off delays, shelving and
 * priority), the wall derives this from the limits alone so that a value
 * beyond a limit is never shown as normal. Once alarms are pushed, the tile
 * colour must come from the alarm state and priority, and this stays only as
 * the position of the value in its band.
 */
export type LimitState = 'hh' | 'h' | 'normal' | 'l' | 'll' | 'none';

/** A value at or beyond a limit counts as beyond it (the tighter limit wins). */
export function limitStateOf(tag: CatalogueTag | undefined, reading: Reading | null): LimitState {
  if (!tag || !reading || reading.q === 'bad' || tag.kind === 'discrete') return 'none';
  const limits = tag.limits;
  if (!limits) return 'none';
  const v = reading.v;
  if (limits.hh !== undefined && v >= limits.hh) return 'hh';
  if (limits.ll !== undefined && v <= limits.ll) return 'll';
  if (limits.h !== undefined && v >= limits.h) return 'h';
  if (limits.l !== undefined && v <= limits.l) return 'l';
  return 'normal';
}

/** Decimals that suit the instrument: from its range span, else from the value's size. */
export function decimalsFor(tag: CatalogueTag | undefined, value: number): number {
  const span = tag?.range ? Math.abs(tag.range[1] - tag.range[0]) : Math.abs(value);
  if (span >= 1000) return 0;
  if (span >= 10) return 1;
  if (span >= 1) return 2;
  return 3;
}

const numberFormats = new Map<number, Intl.NumberFormat>();

/** ASCII digits, no grouping, fixed decimals: columns of values line up. */
export function formatNumber(value: number, decimals: number): string {
  let format = numberFormats.get(decimals);
  if (!format) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: false });
    numberFormats.set(decimals, format);
  }
  const text = format.format(value);
  return text === '-0' || /^-0\.0*$/.test(text) ? text.slice(1) : text;
}
