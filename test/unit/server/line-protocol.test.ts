import { describe, expect, it } from 'vitest';
import { readingLines, readingLinesBody, seriesKey } from '../../../server/src/influx/line-protocol.js';

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

  it('sends exactly the bytes of the text: non-ASCII tags, shared and changing timestamps, any quality code', () => {
    const rows = [
      { id: 'a.温度', ts: 1_800_000_000_000, v: 0.1, q: 0, source: '罐区', site: 'é', series: seriesKey('a.温度', 'é', '罐区') },
      { id: 't.1', ts: 1_800_000_000_000, v: -1e-7, q: 2, source: 's', site: 'a' },
      { id: 't.1', ts: 1_800_000_000_005, v: 12345678.9, q: 12, source: 's', site: 'a' },
      { id: 'y', ts: 1, v: 1, q: 1, source: '', site: '中' },
    ];
    const body = readingLinesBody(rows);
    expect(body.toString('utf8')).toBe(readingLines(rows));
    expect(body.equals(Buffer.from(readingLines(rows)))).toBe(true);
  });

  it('grows its buffer when series keys are longer than estimated', () => {
    const long = seriesKey(`t.${'x'.repeat(300)}`, 'site', '源'.repeat(200));
    const rows = Array.from({ length: 50 }, (_, i) => ({ id: 'r', ts: 1_800_000_000_000 + i, v: i / 3, q: 0, source: '', site: '', series: i % 2 === 0 ? long : undefined }));
    expect(readingLinesBody(rows).toString('utf8')).toBe(readingLines(rows));
  });
});
