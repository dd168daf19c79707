import type { MessageKey } from '../i18n/messages';

// Discrete points are shown as words, never as 0/1. The catalogue does not
// (yet) say what each state means, so the meaning is taken from the last
// segment of the tag id, as the park model names them (`…sis_trip`,
// `…xv_open`, `…gd01.alarm1`). Unknown names fall back to ON (1) / OFF (0).
// `abnormal` marks the state that needs attention (shown with a symbol and a
// frame, not colour alone). When the server's catalogue carries state texts
// per tag, they replace this table.

type DiscreteKey = Extract<MessageKey, `discrete.${string}`>;

export interface DiscreteMeaning {
  readonly on: DiscreteKey;
  readonly off: DiscreteKey;
  /** The value (0 or 1) that is abnormal, or null when neither is (valve positions). */
  readonly abnormal: 0 | 1 | null;
}

const TRIP: DiscreteMeaning = { on: 'discrete.trip', off: 'discrete.normal', abnormal: 1 };
const BYPASS: DiscreteMeaning = { on: 'discrete.bypass', off: 'discrete.notBypassed', abnormal: 1 };
const OPEN: DiscreteMeaning = { on: 'discrete.open', off: 'discrete.notOpen', abnormal: null };
const CLOSED: DiscreteMeaning = { on: 'discrete.closed', off: 'discrete.notClosed', abnormal: null };
const GDS_LEVEL_1: DiscreteMeaning = { on: 'discrete.gdsLevel1', off: 'discrete.normal', abnormal: 1 };
const GDS_LEVEL_2: DiscreteMeaning = { on: 'discrete.gdsLevel2', off: 'discrete.normal', abnormal: 1 };
const FAULT: DiscreteMeaning = { on: 'discrete.fault', off: 'discrete.normal', abnormal: 1 };
const GENERIC: DiscreteMeaning = { on: 'discrete.on', off: 'discrete.off', abnormal: null };

const BY_SUFFIX: ReadonlyArray<readonly [RegExp, DiscreteMeaning]> = [
  [/(^|_)trip$/, TRIP],
  [/(^|_)bypass$/, BYPASS],
  [/(^|_)open$/, OPEN],
  [/(^|_)closed$/, CLOSED],
  [/^alarm1$/, GDS_LEVEL_1],
  [/^alarm2$/, GDS_LEVEL_2],
  [/(^|_)fault$/, FAULT],
];

export function discreteMeaning(tagId: string): DiscreteMeaning {
  const last = tagId.slice(tagId.lastIndexOf('.') + 1);
  for (const [pattern, meaning] of BY_SUFFIX) if (pattern.test(last)) return meaning;
  return GENERIC;
}
