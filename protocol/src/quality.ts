/**
 * Reading quality. On the wire (MQTT, Socket.IO) it is a word; in InfluxDB
 * the `q` field is an integer, ordered by severity so that `max(q)` over a
 * rollup window is the worst quality seen in it.
 */

export type Quality = 'good' | 'uncertain' | 'bad';
export type QualityCode = 0 | 1 | 2;

/** All qualities, best first; the index is the integer code. */
export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** Word → integer code for the InfluxDB `q` field. */
export const QUALITY_CODE: Readonly<Record<Quality, QualityCode>> = { good: 0, uncertain: 1, bad: 2 };

/** Integer code → word (the inverse of QUALITY_CODE). */
export const QUALITY_FROM_CODE: Readonly<Record<QualityCode, Quality>> = { 0: 'good', 1: 'uncertain', 2: 'bad' };

export function isQuality(s: unknown): s is Quality {
  return s === 'good' || s === 'uncertain' || s === 'bad';
}

export function qualityToCode(q: Quality): QualityCode {
  return QUALITY_CODE[q];
}

/** The quality for an integer code, or undefined for any other value. */
export function qualityFromCode(code: number): Quality | undefined {
  return code === 0 ? 'good' : code === 1 ? 'uncertain' : code === 2 ? 'bad' : undefined;
}
