import { describe, expect, it } from 'vitest';
import { readingLines, seriesKey } from '../../../server/src/influx/line-protocol.js';

describe('line protocol of readings', () => {
  it('writes a kept series key as it is, and makes one with escaped tags when a row has none', () => {
    const key = seriesKey('t.1', 'site a', 'hs,01');
    expect(key).toBe('reading,id=t.1,site=site\\ a,source=hs\\,01');
    const rows = [
      { id: 't.1', ts: 1_800_000_000_000, v: 1.5, q: 0, source: 'hs,01', site: 'site a', series: key },
      { id: 't.1', ts: 1_800_000_000_001, v: 2, q: 2, source: 'hs,01', site: 'site a' },
      { id: 't.2', ts: 1_800_000_000_002, v: -0.25, q: 1, source: '', site: '' },
    ];
    expect(readingLines(rows)).toBe(
      [
        'reading,id=t.1,site=site\\ a,source=hs\\,01 v=1.5,q=0i 1800000000000',
        'reading,id=t.1,site=site\\ a,source=hs\\,01 v=2,q=2i 1800000000001',
        'reading,id=t.2 v=-0.25,q=1i 1800000000002',
        '',
      ].join('\n'),
    );
  });
});
