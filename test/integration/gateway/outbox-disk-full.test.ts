import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedBroker, type EmbeddedBroker } from '@park/server';
import { gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { freePort } from '../../harness/ports.js';
import { mountSmallDisk, type SmallDisk } from '../../harness/small-disk.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, until, type Recorder } from './helpers.js';
import { startModbusTestServer, type ModbusTestServer } from './modbus-test-server.js';

// Issue 9: the disk holding the outbox fills up while the broker is away.
// The gateway's data folder is a 256 KiB tmpfs (the project's machines run
// the tests as root); 100 changing registers polled every 50 ms fill it in
// seconds. Documented behaviour (docs/gateway.md): the gateway keeps
// reading and never stops, gives up the oldest waiting segments to store
// the newest batches, counts what it could not keep, says so, and when the
// broker is back replays what it kept and publishes live data again.
const TAGS = 100;

/**
 * A gateway polling TAGS changing registers every 50 ms, its data folder on a
 * tmpfs of `sizeBytes`, and no broker until the test starts one on `port`.
 */
function diskSuite(label: string, sizeBytes: number) {
  const dir = tempDir(label);
  const diskPath = path.join(dir.path, 'disk');
  const ctx = {
    port: 0,
    gw: undefined as RunningGateway | undefined,
    broker: undefined as EmbeddedBroker | undefined,
    rec: undefined as Recorder | undefined,
    async startGateway(id: string, segmentMB: number): Promise<RunningGateway> {
      ctx.port = await freePort();
      ctx.gw = await startGateway(
        gatewayConfigFromObject({
          gateway: id,
          dataDir: path.join(diskPath, 'state'),
          mqtt: { url: `mqtt://127.0.0.1:${ctx.port}`, reconnectMinMs: 500, reconnectMaxMs: 500 },
          publish: { maxBatchDelayMs: 50 },
          outbox: { segmentMB },
          devices: [
            {
              id: 'plc',
              protocol: 'modbus-tcp',
              host: '127.0.0.1',
              port: server.port,
              unitId: 1,
              pollIntervalMs: 50,
              tags: Array.from({ length: TAGS }, (_, i) => ({ id: `d${i}`, description: { zh: 'd', en: 'd' }, address: { table: 'holding', address: i } })),
            },
          ],
        }),
        await silentLog(),
      );
      return ctx.gw;
    },
    /**
     * Stops the gateway cleanly, then waits until every seq it took is
     * received, dropped for space, lost, or still in the outbox. Returns the
     * number of distinct seqs received.
     */
    async stopAndAccount(): Promise<number> {
      const g = ctx.gw;
      const r = ctx.rec;
      if (!g || !r) throw new Error('stopAndAccount: no gateway or recorder running');
      await g.stop();
      ctx.gw = undefined;
      const c = (name: string): number => g.counters()[name] ?? 0;
      const received = (): number => new Set(r.data.map((m) => m.seq)).size;
      const accounted = (): number => received() + c('outboxDroppedMessages') + c('outboxLostMessages') + c('outboxMessages');
      await until('every message accounted for', () => accounted() === c('nextSeq'), 20_000).catch((err: Error) => {
        throw new Error(`${err.message}: received ${received()}, ${JSON.stringify(g.counters())}`);
      });
      return received();
    },
  };
  let server: ModbusTestServer;
  let disk: SmallDisk | undefined;
  let ticker: NodeJS.Timeout;
  beforeAll(async () => {
    disk = mountSmallDisk(diskPath, sizeBytes);
    server = await startModbusTestServer();
    let counter = 0;
    ticker = setInterval(() => {
      counter++;
      server.setRegisters(1, 'holding', 0, Array.from({ length: TAGS }, (_, i) => (counter + i) & 0xffff));
    }, 10);
  });
  afterAll(async () => {
    clearInterval(ticker);
    await ctx.gw?.stop();
    await ctx.rec?.close();
    await ctx.broker?.close();
    await server?.close();
    disk?.unmount();
    dir.remove();
  });
  return ctx;
}

describe('gateway: the outbox disk fills up (issue 9)', () => {
  const ctx = diskSuite('gw-disk-full', 256 * 1024);

  it('keeps reading, drops the oldest waiting batches and counts what it loses, then replays what it kept', async () => {
    const g = await ctx.startGateway('gw-disk', 0.03);
    const c = (name: string): number => g.counters()[name] ?? 0;

    // No broker: batches go to the outbox until the disk is full, then the oldest segments go.
    await until('the disk full and old batches dropped', () => c('outboxDroppedMessages') > 0, 60_000);
    const samplesAtFull = c('samples');
    await until('reading goes on after the disk is full', () => c('samples') > samplesAtFull + TAGS * 10, 30_000);
    expect(c('outboxMessages')).toBeGreaterThan(0);

    // The broker comes back: what the outbox kept is replayed, and live data flows.
    ctx.broker = await startEmbeddedBroker({ host: '127.0.0.1', port: ctx.port });
    ctx.rec = await record(ctx.broker.url);
    const r = ctx.rec;
    await r.waitFor('replayed and live messages', () => r.data.some((m) => m.replay) && r.data.some((m) => !m.replay), 30_000);
    await until('the outbox emptied', () => c('outboxMessages') === 0, 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(g.counters())}`);
    });
    const received = await ctx.stopAndAccount();
    expect(c('outboxDroppedMessages') + c('outboxLostMessages')).toBeGreaterThan(0);
    expect(received).toBeGreaterThan(c('outboxDroppedMessages'));
    expect(r.invalid).toEqual([]);
  }, 180_000);
});

// The same with a disk smaller than one outbox segment: the segment being
// written is the only one there is, and it is the oldest. It must be given up
// for the newest batches too; keeping it lost every batch after it.
describe('gateway: an outbox disk with room for one segment (issue 9)', () => {
  const ctx = diskSuite('gw-disk-one-segment', 128 * 1024);

  it('gives up the one segment it has for the newest batches and replays those', async () => {
    // 1 MB segments on a 128 KiB disk: the disk fills inside the first segment.
    const g = await ctx.startGateway('gw-disk1', 1);
    const c = (name: string): number => g.counters()[name] ?? 0;

    await until('the disk full', () => c('outboxDroppedMessages') + c('outboxLostMessages') > 0, 60_000);
    // Every batch taken from here on is newer than anything the full segment held.
    const seqAtFull = c('nextSeq');
    await until('more batches after the disk filled', () => c('nextSeq') > seqAtFull + 20, 30_000);

    ctx.broker = await startEmbeddedBroker({ host: '127.0.0.1', port: ctx.port });
    ctx.rec = await record(ctx.broker.url);
    const r = ctx.rec;
    await until('the outbox emptied', () => c('outboxMessages') === 0 && r.data.some((m) => !m.replay), 30_000).catch((err: Error) => {
      throw new Error(`${err.message}: ${JSON.stringify(g.counters())}`);
    });
    const replayed = r.data.filter((m) => m.replay).map((m) => m.seq);
    expect(c('outboxDroppedMessages')).toBeGreaterThan(0);
    // The newest batches were kept: replays of seqs taken after the disk first filled.
    expect(replayed.filter((s) => s > seqAtFull).length).toBeGreaterThan(0);
    await ctx.stopAndAccount();
    expect(r.invalid).toEqual([]);
  }, 180_000);
});
