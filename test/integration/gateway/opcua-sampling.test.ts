import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { DataType, OPCUAServer, Variant } from 'node-opcua';
import { createLogger, gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { freePort } from '../../harness/ports.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, until, type Recorder } from './helpers.js';

// Issue 4: a tag's own `samplingIntervalMs` is requested for its monitored item; tags without one
// keep the device's `subscription.samplingIntervalMs`. Read back on the server: the revised
// sampling interval of every monitored item the gateway created.
const d = (en: string) => ({ zh: en, en });
const DEVICE_SAMPLING_MS = 500;

async function startServer(port: number) {
  const server = new OPCUAServer({ port, resourcePath: '/UA/sampling', allowAnonymous: true });
  await server.initialize();
  const space = server.engine.addressSpace;
  if (!space) throw new Error('no address space');
  const ns = space.getOwnNamespace();
  const folder = ns.addFolder(space.rootFolder.objects, { browseName: 'Plant' });
  // `Slow` cannot be sampled faster than once a second: the server revises any faster request.
  for (const [name, minimumSamplingInterval] of [
    ['Level', undefined],
    ['Pressure', undefined],
    ['Temperature', undefined],
    ['Trip', undefined],
    ['Slow', 1000],
  ] as const) {
    ns.addVariable({
      componentOf: folder,
      browseName: name,
      nodeId: `s=Plant.${name}`,
      dataType: DataType.Double,
      value: new Variant({ dataType: DataType.Double, value: name.length }),
      ...(minimumSamplingInterval !== undefined ? { minimumSamplingInterval } : {}),
    });
  }
  await server.start();
  return { server, endpoint: `opc.tcp://127.0.0.1:${port}/UA/sampling` };
}

/** Node id → revised sampling interval of every monitored item on the server. */
function serverSamplingIntervals(server: OPCUAServer): Map<string, number> {
  const out = new Map<string, number>();
  for (const session of server.engine.getSessions()) {
    for (const sub of session.publishEngine.subscriptions) {
      for (const handle of sub.getMonitoredItems().serverHandles) {
        const item = sub.getMonitoredItem(handle);
        if (item?.node) out.set(item.node.nodeId.toString(), item.samplingInterval);
      }
    }
  }
  return out;
}

describe('gateway: OPC UA sampling interval per monitored item (issue 4)', () => {
  let broker: TestBroker;
  let gw: RunningGateway;
  let rec: Recorder;
  let ua: Awaited<ReturnType<typeof startServer>>;
  const data = tempDir('gw-opcua-sampling');
  const logs: { msg: string; revised?: string[] }[] = [];

  const TAGS: { id: string; node: string; samplingIntervalMs?: number }[] = [
    { id: 'ua.level', node: 'Level', samplingIntervalMs: 100 },
    { id: 'ua.pressure', node: 'Pressure', samplingIntervalMs: 2000 },
    { id: 'ua.temperature', node: 'Temperature' },
    { id: 'ua.trip', node: 'Trip', samplingIntervalMs: 100 },
    { id: 'ua.slow', node: 'Slow', samplingIntervalMs: 200 },
  ];

  beforeAll(async () => {
    broker = await startTestAedes();
    ua = await startServer(await freePort());
    rec = await record(broker.url);
    const capture = new Writable({
      write(chunk: Buffer, _enc, cb) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logs.push(JSON.parse(line) as { msg: string; revised?: string[] });
        cb();
      },
    });
    const config = gatewayConfigFromObject({
      gateway: 'gw-ua-sampling',
      dataDir: data.path,
      mqtt: { url: broker.url },
      publish: { maxBatchDelayMs: 20 },
      devices: [
        {
          id: 'dcs',
          protocol: 'opcua',
          endpoint: ua.endpoint,
          subscription: { publishingIntervalMs: 100, samplingIntervalMs: DEVICE_SAMPLING_MS },
          tags: TAGS.map((t) => ({
            id: t.id,
            description: d(t.node),
            address: { nodeId: `ns=1;s=Plant.${t.node}`, ...(t.samplingIntervalMs !== undefined ? { samplingIntervalMs: t.samplingIntervalMs } : {}) },
          })),
        },
      ],
    });
    gw = await startGateway(config, createLogger('info', 'gw-ua-sampling', capture));
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await rec?.close();
    await ua?.server.shutdown(0);
    await broker?.stop();
    data.remove();
  });

  it('logs the sampling intervals in the subscription plan', () => {
    const plan = logs.find((l) => l.msg.startsWith('plan: ') && l.msg.includes(ua.endpoint));
    expect(plan?.msg).toContain('subscription of 5 monitored items (publishing 100 ms, sampling 100 ms (2 items), 2000 ms (1 item), 500 ms (1 item), 200 ms (1 item), queue 10)');
  });

  it('creates each monitored item with its own sampling interval, the device default for the others', async () => {
    await rec.waitFor('every tag good', () => TAGS.every((t) => rec.latest.get(t.id)?.q === 'good'), 20_000);
    for (const t of TAGS) expect(rec.latest.get(t.id)?.v, t.id).toBe(t.node.length);
    await until('the server holds all five monitored items', () => serverSamplingIntervals(ua.server).size === TAGS.length);
    const revised = serverSamplingIntervals(ua.server);
    expect(Object.fromEntries(revised)).toEqual({
      'ns=1;s=Plant.Level': 100,
      'ns=1;s=Plant.Pressure': 2000,
      'ns=1;s=Plant.Temperature': DEVICE_SAMPLING_MS,
      'ns=1;s=Plant.Trip': 100,
      // The node's MinimumSamplingInterval wins over the requested 200 ms.
      'ns=1;s=Plant.Slow': 1000,
    });
    // The gateway says which items the server revised, and only those.
    await until('the revision log line', () => logs.some((l) => l.msg === 'OPC UA sampling intervals revised by the server'));
    expect(logs.find((l) => l.msg === 'OPC UA sampling intervals revised by the server')?.revised).toEqual(['ua.slow: 200 → 1000 ms']);
    expect(rec.invalid).toEqual([]);
  }, 30_000);
});
