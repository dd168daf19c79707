import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import type { RunningGateway } from '@park/gateway';
import { makeTestCertificates, startTestMosquitto, type TestCertificates, type TestMosquitto } from '../../harness/brokers.js';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import { connectAndPublishAtOnce } from '../../harness/mqtt-raw-client.js';
import { DEMO_PARK_FILE, startParkServer, type TestParkServer } from '../../harness/park-server.js';
import { startSiteGateway } from '../../harness/simulated-gateway.js';
import { tempDir } from '../../harness/temp-dir.js';
import { countStored, until } from './chain-harness.js';

// Issue 9, access to the broker: Mosquitto with a TLS listener (a
// certificate from the park's CA), a password file and no anonymous access,
// for a site that gives its clients passwords instead of certificates (the
// recommended setup, client certificates and an ACL file, is
// mqtt-client-certs-acl.test.ts). The server and the demo gateway gw-b connect with their
// own users over mqtts:// and a reading goes from the simulated devices into
// InfluxDB; a client without credentials is refused and what it publishes
// never reaches the server; a wrong password is refused; a client that does
// not trust the park's CA does not get as far as the login.

const USERS = { 'park-server': 'server-secret-1', 'gw-b': 'gateway-secret-1', sentinel: 'sentinel-secret-1' };

describe('MQTT over TLS with users: Mosquitto, the server and a gateway', () => {
  const dir = tempDir('mqtt-tls');
  let certs: TestCertificates;
  let broker: TestMosquitto;
  let influxd: TestInfluxd;
  let park: TestParkServer;
  let sims: RunningSimulators;
  let gateway: RunningGateway;
  const db = (): string => influxd.databaseUrl('park');

  beforeAll(async () => {
    certs = makeTestCertificates(dir.path);
    broker = await startTestMosquitto({ users: USERS, tls: certs });
    influxd = await startTestInfluxd();
    park = await startParkServer({ broker, influxd, mqtt: { username: 'park-server', password: USERS['park-server'], tls: { caFile: certs.caFile } } });
    const model = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    sims = await startSimulators({ park: model, seed: 3, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: false });
    const gwDir = path.join(dir.path, 'gw-b');
    mkdirSync(gwDir);
    gateway = await startSiteGateway({
      model,
      sims,
      gateway: 'gw-b',
      site: 'b',
      protocol: 'modbus-tcp',
      dataDir: gwDir,
      mqttUrl: broker.url,
      extra: { mqtt: { url: broker.url, username: 'gw-b', password: USERS['gw-b'], tls: { ca: certs.caFile }, reconnectMinMs: 200, reconnectMaxMs: 1000 }, publish: { maxBatchDelayMs: 100 } },
    });
  }, 90_000);

  afterAll(async () => {
    await gateway?.stop();
    await sims?.stop();
    await park?.stop();
    await influxd?.stop();
    await broker?.stop();
    dir.remove();
  }, 30_000);

  it('the server and gateway gw-b connect over mqtts:// with their users, and the gateway readings reach InfluxDB', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
    expect(health.components['mqtt']).toMatchObject({ status: 'ok', detail: broker.url });
    const since = Date.now() - 60_000;
    await until('gw-b readings stored', async () => (await countStored(db(), 'b.', since, Date.now() + 60_000)) > 0, 30_000, 250);
    expect(park.server.ingest.counters.messages).toBeGreaterThan(0);
    expect(gateway.counters()['readingsPublished']).toBeGreaterThan(0);
  });

  it('a client without credentials is refused, and what it publishes never reaches the server', async () => {
    const before = { ...park.server.ingest.counters, rejected: { ...park.server.ingest.counters.rejected } };
    const ts = Date.now() - 5000;
    const intruder = encodeDataMessage({ gateway: 'gw-b', seq: 1, readings: [{ id: 'b.intruder.t1', ts, v: 99, q: 'good' }] });
    // CONNECT without credentials and, without waiting for the answer, a PUBLISH: what a careless or hostile client would do.
    const { connack } = await connectAndPublishAtOnce({ port: broker.port, tls: { ca: certs.ca } }, `intruder-${process.pid}`, dataTopic('park/v1', 'gw-b'), intruder);
    // 5: not authorised (MQTT 3.1.1 CONNACK).
    expect(connack).toBe(5);
    await expect(mqtt.connectAsync(broker.url, { ca: certs.ca, reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized/i);

    // A sentinel from an authorised client, sent after the intruder was shut out: once it is stored, the intruder's message would have been too.
    const sentinel = await mqtt.connectAsync(broker.url, { ca: certs.ca, username: 'sentinel', password: USERS.sentinel, reconnectPeriod: 0 });
    await sentinel.publishAsync(dataTopic('park/v1', 'gw-sentinel'), encodeDataMessage({ gateway: 'gw-sentinel', seq: 1, readings: [{ id: 'b.sentinel.t1', ts, v: 1, q: 'good' }] }), { qos: 1 });
    await sentinel.endAsync();
    await until('sentinel stored', async () => (await countStored(db(), 'b.sentinel.', ts, ts)) === 1, 20_000, 100);
    expect(await countStored(db(), 'b.intruder.', ts - 1000, ts + 1000)).toBe(0);
    // Nothing of the intruder's was even counted as a reject.
    expect(park.server.ingest.counters.rejected).toEqual(before.rejected);
  });

  it('a wrong password is refused, and a client that does not trust the park CA fails the TLS handshake', async () => {
    await expect(mqtt.connectAsync(broker.url, { ca: certs.ca, username: 'gw-b', password: 'not-the-password', reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, { ca: certs.ca, username: 'nobody', password: USERS['gw-b'], reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/Not authorized/i);
    await expect(mqtt.connectAsync(broker.url, { username: 'gw-b', password: USERS['gw-b'], reconnectPeriod: 0, connectTimeout: 5000 })).rejects.toThrow(/self[- ]signed certificate|unable to (verify|get local issuer)/i);
    // The right password over plain MQTT to the TLS listener gets nowhere either.
    await expect(mqtt.connectAsync(broker.url.replace('mqtts:', 'mqtt:'), { username: 'gw-b', password: USERS['gw-b'], reconnectPeriod: 0, connectTimeout: 3000 })).rejects.toThrow();
  });
});
