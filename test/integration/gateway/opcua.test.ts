import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, OPCUAServer, StatusCodes, Variant, type UAVariable } from 'node-opcua';
import { gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { startTestAedes, type TestBroker } from '../../harness/brokers.js';
import { tempDir } from '../../harness/temp-dir.js';
import { record, silentLog, type Recorder } from './helpers.js';

// Issue 4: OPC UA subscriptions against an in-test server: values with source time, status codes
// mapped to quality with the status name, and a server that goes away and returns.
const d = (en: string) => ({ zh: en, en });

async function startServer(port: number, dir: string) {
  const server = new OPCUAServer({ port, resourcePath: '/UA/test', serverCertificateManager: undefined, nodeset_filename: undefined, allowAnonymous: true } as ConstructorParameters<typeof OPCUAServer>[0]);
  void dir;
  await server.initialize();
  const ns = server.engine.addressSpace!.getOwnNamespace();
  const folder = ns.addFolder(server.engine.addressSpace!.rootFolder.objects, { browseName: 'Plant' });
  const vars: Record<string, UAVariable> = {};
  for (const [name, dataType, value] of [
    ['Level', DataType.Double, 42.5],
    ['Trip', DataType.Boolean, true],
    ['Count', DataType.Int32, 7],
  ] as const) {
    vars[name] = ns.addVariable({ componentOf: folder, browseName: name, nodeId: `s=Plant.${name}`, dataType, value: new Variant({ dataType, value }) });
  }
  await server.start();
  return { server, vars, endpoint: `opc.tcp://127.0.0.1:${port}/UA/test` };
}

describe('gateway: OPC UA (issue 4)', () => {
  let broker: TestBroker;
  let gw: RunningGateway;
  let rec: Recorder;
  let ua: Awaited<ReturnType<typeof startServer>>;
  let port: number;
  const data = tempDir('gw-opcua');

  beforeAll(async () => {
    broker = await startTestAedes();
    const { freePort } = await import('../../harness/ports.js');
    port = await freePort();
    ua = await startServer(port, data.path);
    rec = await record(broker.url);
    const config = gatewayConfigFromObject({
      gateway: 'gw-ua',
      dataDir: data.path,
      mqtt: { url: broker.url },
      publish: { maxBatchDelayMs: 20 },
      devices: [
        {
          id: 'dcs',
          protocol: 'opcua',
          endpoint: ua.endpoint,
          subscription: { publishingIntervalMs: 100, samplingIntervalMs: 50 },
          tags: [
            { id: 'ua.level', unit: 'm', description: d('level'), address: { nodeId: 'ns=1;s=Plant.Level' } },
            { id: 'ua.trip', kind: 'discrete', description: d('trip'), address: { nodeId: 'ns=1;s=Plant.Trip' } },
            { id: 'ua.count', description: d('count'), address: { nodeId: 'ns=1;s=Plant.Count', browsePath: '/1:Plant/1:Count' } },
            { id: 'ua.missing', description: d('missing'), address: { nodeId: 'ns=1;s=Plant.Missing' } },
          ],
        },
      ],
    });
    gw = await startGateway(config, await silentLog());
  }, 60_000);

  afterAll(async () => {
    await gw?.stop();
    await rec?.close();
    await ua?.server.shutdown(0);
    await broker?.stop();
    data.remove();
  });

  it('publishes monitored items with good quality and the source timestamp; a refused node is bad with its status name', async () => {
    await rec.waitFor('all four tags', () => ['ua.level', 'ua.trip', 'ua.count', 'ua.missing'].every((id) => rec.latest.has(id)), 20_000);
    expect(rec.latest.get('ua.level')).toMatchObject({ v: 42.5, q: 'good' });
    expect(rec.latest.get('ua.trip')).toMatchObject({ v: 1, q: 'good' });
    expect(rec.latest.get('ua.count')).toMatchObject({ v: 7, q: 'good' });
    expect(rec.latest.get('ua.missing')).toMatchObject({ q: 'bad', err: 'BadNodeIdUnknown' });
    const sourceTs = new Date(Math.floor(Date.now() / 1000) * 1000 + 5000); // distinct from any receive time
    ua.vars['Level']!.setValueFromSource(new Variant({ dataType: DataType.Double, value: 43 }), StatusCodes.Good, sourceTs);
    await rec.waitFor('new level', () => rec.latest.get('ua.level')?.v === 43);
    expect(rec.latest.get('ua.level')?.ts).toBe(sourceTs.getTime());
  }, 30_000);

  it('maps status codes to uncertain and bad with the status name', async () => {
    ua.vars['Count']!.setValueFromSource(new Variant({ dataType: DataType.Int32, value: 8 }), StatusCodes.UncertainLastUsableValue);
    await rec.waitFor('uncertain', () => rec.latest.get('ua.count')?.q === 'uncertain');
    expect(rec.latest.get('ua.count')).toMatchObject({ v: 8, err: 'UncertainLastUsableValue' });
    ua.vars['Count']!.setValueFromSource(new Variant({ dataType: DataType.Int32, value: 9 }), StatusCodes.BadSensorFailure);
    await rec.waitFor('bad', () => rec.latest.get('ua.count')?.q === 'bad');
    expect(rec.latest.get('ua.count')).toMatchObject({ err: 'BadSensorFailure' });
  });

  it('turns the tags bad when the server goes away and resumes when it returns', async () => {
    await ua.server.shutdown(0);
    await rec.waitFor('tags bad', () => rec.latest.get('ua.level')?.q === 'bad' && rec.latest.get('ua.trip')?.q === 'bad', 20_000);
    await rec.waitFor('status error', () => rec.status.some((s) => s.devices['dcs']?.startsWith('error:') === true));
    ua = await startServer(port, data.path);
    await rec.waitFor('tags good again', () => rec.latest.get('ua.level')?.q === 'good' && rec.latest.get('ua.level')?.v === 42.5, 30_000);
    expect(rec.invalid).toEqual([]);
  }, 60_000);
});
