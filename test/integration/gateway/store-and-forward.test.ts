import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startEmbeddedBroker, type EmbeddedBroker } from '@park/server';
import { gatewayConfigFromObject, startGateway } from '@park/gateway';
import type { DataMessage } from '@park/protocol';
import { REPO_ROOT } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, until } from './helpers.js';
import { startModbusTestServer, type ModbusTestServer } from './modbus-test-server.js';

// Issue 4: broker stopped for 60 s under load, then started: every reading generated meanwhile
// arrives, replayed in order with seq continuity; the same after kill -9 of the gateway during
// the outage. SF_OUTAGE_S shortens the outage while working on this file.
const OUTAGE_MS = Number(process.env['SF_OUTAGE_S'] ?? 60) * 1000;
/** 200 registers, each new on every 50 ms poll: 4,000 readings/s. */
const TAGS = 200;
const TEST_TIMEOUT = OUTAGE_MS + 90_000;
const MAIN = path.join(REPO_ROOT, 'gateway', 'dist', 'main.js');

function device(port: number) {
  return {
    id: 'plc',
    protocol: 'modbus-tcp',
    host: '127.0.0.1',
    port,
    unitId: 1,
    pollIntervalMs: 50,
    tags: Array.from({ length: TAGS }, (_, i) => ({ id: `c${i}`, description: { zh: 'c', en: 'c' }, address: { table: 'holding', address: i } })),
  };
}

/** Seqs in a run of data messages: checks continuity and order per stream. */
function checkSeqs(msgs: DataMessage[]): { first: number; last: number; replayed: number; missing: number[] } {
  const seqs = new Set(msgs.map((m) => m.seq));
  const first = Math.min(...seqs);
  const last = Math.max(...seqs);
  const missing: number[] = [];
  for (let s = first; s <= last; s++) if (!seqs.has(s)) missing.push(s);
  for (const stream of [msgs.filter((m) => m.replay), msgs.filter((m) => !m.replay)]) {
    for (let i = 1; i < stream.length; i++) expect((stream[i] as DataMessage).seq).toBeGreaterThan((stream[i - 1] as DataMessage).seq);
  }
  return { first, last, replayed: msgs.filter((m) => m.replay).length, missing };
}

describe('gateway store-and-forward (issue 4)', () => {
  let server: ModbusTestServer;
  let ticker: NodeJS.Timeout;
  let counter = 0;

  beforeAll(async () => {
    server = await startModbusTestServer();
    // Counters that change every 10 ms: every poll yields a new reading of every tag.
    ticker = setInterval(() => {
      counter++;
      server.setRegisters(1, 'holding', 0, Array.from({ length: TAGS }, (_, i) => (counter + i) & 0xffff));
    }, 10);
  });
  afterAll(async () => {
    clearInterval(ticker);
    await server?.close();
  });

  // The two outages run side by side (own brokers, ports and data folders): each is a minute of waiting.
  it.concurrent('replays every reading of a broker outage in order, with seq continuity, while live data flows', async () => {
    const data = tempDir('gw-sf');
    let broker: EmbeddedBroker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    const port = broker.port;
    let rec = await record(broker.url);
    const gw = await startGateway(
      gatewayConfigFromObject({ gateway: 'gw-sf', dataDir: data.path, mqtt: { url: broker.url, reconnectMinMs: 1000, reconnectMaxMs: 1000 }, publish: { maxBatchDelayMs: 50 }, devices: [device(server.port)] }),
      await silentLog(),
    );
    let stopped = false;
    try {
      await rec.waitFor('live data', () => rec.data.length > 5);
      const dropped = rec.dropped();
      await broker.close();
      const stoppedAt = Date.now();
      await dropped;
      await rec.close();
      const before = [...rec.data];
      await until('outbox filling', () => Date.now() - stoppedAt > OUTAGE_MS && (gw.counters()['outboxMessages'] ?? 0) > 10, OUTAGE_MS + 10_000);
      const outboxed = gw.counters()['outboxedReadings'] ?? 0;
      broker = await startEmbeddedBroker({ host: '127.0.0.1', port });
      rec = await record(broker.url);
      await rec.waitFor('replay done and live again', () => rec.data.some((m) => !m.replay) && gw.counters()['outboxMessages'] === 0 && rec.data.filter((m) => m.replay).length > 0, 60_000);
      await rec.waitFor('a few more live messages', () => rec.data.filter((m) => !m.replay).length > 3);
      // A clean stop flushes the batcher and waits for the last PUBACKs: from then on the
      // gateway's counters say exactly how many readings it generated.
      await gw.stop();
      stopped = true;
      const c = gw.counters();
      const generated = (c['samples'] ?? 0) - (c['suppressed'] ?? 0);
      expect(c['outboxMessages']).toBe(0);
      expect(c['bufferDropped']).toBe(0);
      expect(c['outboxDroppedMessages']).toBe(0);
      const received = (): number => before.reduce((n, m) => n + m.readings.length, 0) + rec.data.reduce((n, m) => n + m.readings.length, 0);
      await rec.waitFor('every generated reading', () => received() >= generated, 20_000);
      const all = [...before, ...rec.data];
      const s = checkSeqs(all);
      expect(s.missing).toEqual([]);
      expect(s.replayed).toBeGreaterThan(10);
      // Every reading once: none lost, none doubled.
      expect(received()).toBe(generated);
      expect(new Set(all.flatMap((m) => m.readings.map((r) => `${r.id}@${r.ts}`))).size).toBe(generated);
      const replayedReadings = rec.data.filter((m) => m.replay).reduce((n, m) => n + m.readings.length, 0);
      expect(replayedReadings).toBeGreaterThanOrEqual(outboxed);
      expect(outboxed).toBeGreaterThan((TAGS * OUTAGE_MS) / 1000); // the outage really was under load
      expect(rec.invalid).toEqual([]);
    } finally {
      if (!stopped) await gw.stop();
      await rec.close();
      await broker.close();
      data.remove();
    }
  }, TEST_TIMEOUT);

  it.concurrent('keeps the outage readings and the seq through kill -9 of the gateway', async () => {
    const data = tempDir('gw-kill');
    let broker: EmbeddedBroker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    const port = broker.port;
    const configFile = path.join(data.path, 'gateway.yaml');
    writeFileSync(
      configFile,
      JSON.stringify({ gateway: 'gw-kill', dataDir: 'state', mqtt: { url: broker.url, reconnectMinMs: 1000, reconnectMaxMs: 1000 }, publish: { maxBatchDelayMs: 50 }, log: { level: 'info' }, devices: [device(server.port)] }),
    );
    const children: ChildProcess[] = [];
    const launch = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, [MAIN, '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('"msg":"gateway ready"')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${out}`)));
      });
      return child;
    };
    let rec = await record(broker.url);
    try {
      const first = await launch();
      await rec.waitFor('live data', () => rec.data.length > 5);
      const dropped = rec.dropped();
      await broker.close();
      await dropped;
      await rec.close();
      const before = [...rec.data];
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2)); // the outage itself: batches go to disk
      first.kill('SIGKILL');
      await new Promise((r) => first.once('exit', r));
      const second = await launch();
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      broker = await startEmbeddedBroker({ host: '127.0.0.1', port });
      rec = await record(broker.url);
      await rec.waitFor('replay and live', () => rec.data.filter((m) => m.replay).length > 10 && rec.data.filter((m) => !m.replay).length > 3, 60_000);
      // The replay has caught up when no seq is missing below the highest one seen.
      const missing = (): number[] => {
        const seqs = new Set([...before, ...rec.data].map((m) => m.seq));
        const out: number[] = [];
        for (let q = Math.min(...seqs); q < Math.max(...seqs); q++) if (!seqs.has(q)) out.push(q);
        return out;
      };
      await rec.waitFor('replay caught up', () => missing().length === 0, 60_000).catch(() => undefined);
      const s = checkSeqs([...before, ...rec.data]);
      expect(s.missing).toEqual([]);
      second.kill('SIGTERM');
      await new Promise((r) => second.once('exit', r));
    } finally {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await rec.close();
      await broker.close();
      data.remove();
    }
  }, TEST_TIMEOUT);
});
