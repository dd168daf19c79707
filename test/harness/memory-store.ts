import type { InfluxStore, StoredReading } from '@park/server';

/**
 * Readings back from the line protocol the server writes
 * (`reading,id=…[,site=…][,source=…] v=…,q=…i <ms>`), for tests that look
 * at what was stored. Tag values with escaped characters are unescaped.
 */
export function parseReadingLines(body: Buffer | string): StoredReading[] {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const out: StoredReading[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    // Fields start after the first space that is not escaped.
    const m = /^((?:[^ \\]|\\.)*) v=([^,]+),q=(-?\d+)i (-?\d+)$/.exec(line);
    if (!m) throw new Error(`not a reading line: ${JSON.stringify(line)}`);
    const tags: Record<string, string> = {};
    for (const part of (m[1] as string).split(/(?<!\\),/).slice(1)) {
      const eq = part.indexOf('=');
      tags[part.slice(0, eq)] = part.slice(eq + 1).replace(/\\(.)/g, '$1');
    }
    out.push({ id: tags.id ?? '', site: tags.site ?? '', source: tags.source ?? '', v: Number(m[2]), q: Number(m[3]), ts: Number(m[4]), series: m[1] as string });
  }
  return out;
}

/**
 * An InfluxDB that takes every batch into `written` (and the server's rollup
 * points into `rollupLines`), for tests about what happens before it.
 */
export function memoryStore(written: StoredReading[], rollupLines: string[] = []): InfluxStore {
  const store: Pick<InfluxStore, 'ensureSchema' | 'writeLines' | 'rollupRange' | 'writeRollupBody'> = {
    ensureSchema: () => Promise.resolve(),
    writeLines: (body) => {
      written.push(...parseReadingLines(body));
      return Promise.resolve();
    },
    rollupRange: () => Promise.resolve(0),
    writeRollupBody: (body) => {
      rollupLines.push(...body.toString('utf8').split('\n').filter(Boolean));
      return Promise.resolve();
    },
  };
  return store as InfluxStore;
}
