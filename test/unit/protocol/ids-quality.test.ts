import { describe, expect, it } from 'vitest';
import {
  ALARM_ID_PATTERN,
  DEVICE_ID_PATTERN,
  GATEWAY_ID_PATTERN,
  QUALITIES,
  QUALITY_CODE,
  QUALITY_FROM_CODE,
  TAG_ID_PATTERN,
  isAlarmId,
  isDeviceId,
  isGatewayId,
  isQuality,
  isTagId,
  qualityFromCode,
  qualityToCode,
} from '@park/protocol';

// [string, gateway, device, tag]
const ID_CASES: [string, boolean, boolean, boolean][] = [
  ['gw-a', true, true, true],
  ['a.hs01.t101.level', false, true, true],
  ['plc_b-3', true, true, true],
  ['0', true, true, true],
  ['', false, false, false],
  ['-a', false, false, false],
  ['_a', false, false, false],
  ['.a', false, false, false],
  ['A', false, false, false],
  ['gw a', false, false, false],
  ['gw/a', false, false, false],
  ['gw+a', false, false, false],
  ['gw#a', false, false, false],
  ['gw"a', false, false, false],
  ['gé', false, false, false],
  ['g'.repeat(64), true, true, true],
  ['g'.repeat(65), false, false, true],
  ['t'.repeat(128), false, false, true],
  ['t'.repeat(129), false, false, false],
  ['a..b.', false, true, true],
];

describe('ids', () => {
  it.each(ID_CASES)('%j: gateway %s, device %s, tag %s', (s, gateway, device, tag) => {
    expect([isGatewayId(s), isDeviceId(s), isTagId(s)]).toEqual([gateway, device, tag]);
    // The fast checks and the documented patterns agree.
    expect([GATEWAY_ID_PATTERN.test(s), DEVICE_ID_PATTERN.test(s), TAG_ID_PATTERN.test(s)]).toEqual([gateway, device, tag]);
  });

  it('never accepts a non-string', () => {
    for (const x of [undefined, null, 1, {}, []]) {
      expect([isGatewayId(x), isDeviceId(x), isTagId(x), isAlarmId(x)]).toEqual([false, false, false, false]);
    }
  });

  it.each([
    ['a.hs01.t101.level:hh', true],
    ['3f2c1a9e-6b7d-4c1e-9a2b-1d2e3f4a5b6c', true],
    ['gw-a:gateway-offline', true],
    ['a/b', false],
    ['a b', false],
    [':hh', false],
    ['x'.repeat(201), false],
  ])('alarm id %j: %s', (s, ok) => {
    expect(isAlarmId(s)).toBe(ok);
    expect(ALARM_ID_PATTERN.test(s)).toBe(ok);
  });
});

describe('quality', () => {
  it('encodes good, uncertain, bad as 0, 1, 2 (ordered by severity)', () => {
    expect(QUALITY_CODE).toEqual({ good: 0, uncertain: 1, bad: 2 });
    expect(QUALITY_FROM_CODE).toEqual({ 0: 'good', 1: 'uncertain', 2: 'bad' });
    expect(QUALITIES).toEqual(['good', 'uncertain', 'bad']);
  });

  it('maps both ways', () => {
    for (const q of QUALITIES) {
      expect(qualityFromCode(qualityToCode(q))).toBe(q);
      expect(QUALITY_FROM_CODE[QUALITY_CODE[q]]).toBe(q);
      expect(QUALITIES[qualityToCode(q)]).toBe(q);
      expect(isQuality(q)).toBe(true);
    }
  });

  it.each([[-1], [3], [0.5], [Number.NaN]])('has no quality for code %s', (code) => {
    expect(qualityFromCode(code)).toBeUndefined();
  });

  it.each([['ok'], ['GOOD'], [0], [null]])('%j is not a quality', (x) => {
    expect(isQuality(x)).toBe(false);
  });
});
