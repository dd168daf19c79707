import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeDataMessage } from '@park/protocol';
import { createLogger } from '@park/server';
import { Ingest } from '../../server/src/ingest/ingest.js';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { DEMO_PARK_FILE } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

// A bug in a consumer of validated messages (live table, alarm engine,
// incidents) must not stop ingest or lose the readings, and must show in health.
describe('ingest: a failing consumer', () => {
  let influxd: TestInfluxd;
  const spool = tempDir('consumer-fault');
  beforeAll(async () => {
    influxd = await startTestInfluxd();
  });
  afterAll(async () => {
    await influxd?.stop();
    spool.remove();
  });

  it('keeps ingesting, stores the readings, counts the fault and reports degraded health', async () => {
    const store = influxd.store('consumer');
    let calls = 0;
    const ingest = new Ingest({
      store,
      retention: { rawDays: 30, rollupDays: 400, eventDays: 1095 },
      spoolDir: spool.path,
      park: loadConfigFile(DEMO_PARK_FILE, parkSchema).value,
      log: createLogger('silent'),
      onData: () => {
        calls++;
        if (calls === 1) throw new Error('bug in a consumer');
      },
    });
    await ingest.start();
    const ts = Date.now() - 1000;
    for (const seq of [1, 2]) ingest.onMessage('park/v1', 'park/v1/gw-c/data', Buffer.from(encodeDataMessage({ gateway: 'gw-c', seq, readings: [{ id: 'c.t', ts: ts + seq, v: seq, q: 'good' }] })));
    expect(calls).toBe(2);
    expect(ingest.counters.consumerErrors).toBe(1);
    expect(await ingest.drain()).toBe(true);
    expect((await store.queryReadings(['c.t'], ts, ts + 10)).map((r) => r.v)).toEqual([1, 2]);
    expect(ingest.health()).toMatchObject({ status: 'degraded', detail: expect.stringContaining('1 messages failed') });
    await ingest.stop();
  });
});
