import type { InfluxStore, StoredReading } from '@park/server';

/**
 * An InfluxDB that takes every batch into `written` (and the server's rollup
 * points into `rollupLines`), for tests about what
 * happens before it. Their backlog stays in memory: a reading read back
 * from the disk spool (a line of line protocol) fails the write.
 */
export function memoryStore(written: StoredReading[], rollupLines: string[] = []): InfluxStore {
  const store: Pick<InfluxStore, 'ensureSchema' | 'writeReadings' | 'rollupRange' | 'writeRollupBody'> = {
    ensureSchema: () => Promise.resolve(),
    writeReadings: (rows) => {
      for (const r of rows) {
        if (typeof r === 'string') return Promise.reject(new Error(`unexpected spilled reading ${r}`));
        written.push(r);
      }
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
