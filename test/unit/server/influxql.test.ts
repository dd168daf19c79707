import { describe, expect, it } from 'vitest';
import { influxString } from '../../../server/src/influx/influxql.js';

describe('InfluxQL string literals', () => {
  it.each([
    ['plain', 'a.hs01.t101.level', "'a.hs01.t101.level'"],
    ['a quote', "x' OR 1=1 --", "'x\\' OR 1=1 --'"],
    ['a trailing backslash, which must not end the literal', 'zhang\\', "'zhang\\\\'"],
    ['a backslash before a quote', "\\' OR '1'='1", "'\\\\\\' OR \\'1\\'=\\'1'"],
    ['a newline', 'a\nb', "'a\\nb'"],
  ])('quotes %s', (_what, value, expected) => {
    expect(influxString(value)).toBe(expected);
  });
});
