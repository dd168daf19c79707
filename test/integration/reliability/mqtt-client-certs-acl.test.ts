import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, encodeMetaMessage, encodeStatusMessage, metaTopic, statusTopic } from '@park/protocol';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type RunningSimulators } from '@park/simulators';
import type { RunningGateway } from '@park/gateway';
import { issueClientCertificate, makeTestCertificates, startTestMosquitto, type TestCertificates, type TestClientCertificate, type TestMosquitto } from '../../harness/brokers.js';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import { connectAndPublishAtOnce } from '../../harness/mqtt-raw-client.js';
import { DEMO_PARK_FILE, REPO_ROOT, startParkServer, type TestParkServer } from '../../harness/park-server.js';
import { startSiteGateway } from '../../harness/simulated-gateway.js';
import { tempDir } from '../../harness/temp-dir.js';
import { countStored, login, until } from './chain-harness.js';

// Issue 9, access to the broker as docs/deploy.md recommends it: Mosquitto
// with a TLS listener that requires a client certificate of the park's CA,
// takes the certificate's common name as the user name, and an ACL file that
// lets each gateway publish under its own topic level only. The listener
// settings and the ACL file are read from docs/deploy.md, so the documented
// config is the tested one. The test makes its own CA, a broker certificate
// and client certificates for the server, the demo gateway gw-b and a second
// gateway gw-a, and a second CA that signs a certificate named gw-b.
//
// Shown: the server and gw-b connect with their certificates alone and
// gw-b's readings reach InfluxDB; a client without a certificate, with one of
// the other CA, or with the broker's own (a server certificate), gets no TLS
// session and what it sends never reaches the server; gw-b publishing data,
// status, meta or a last will as gw-a reaches nothing, while its own data is
// stored; a gateway subscribing to every data topic receives nothing, even
// when it claims the server's user name.

const ROOT = 'park/v1';
const DEPLOY_MD = path.join(REPO_ROOT, 'docs', 'deploy.md');

/** The fenced block of docs/deploy.md whose first line is `# <file>`, without that line. */
function documentedFile(file: string): string[] {
  const md = readFileSync(DEPLOY_MD, 'utf8');
  const start = md.indexOf(`\`\`\`\n# ${file}`);
  if (start < 0) throw new Error(`docs/deploy.md has no code block starting with "# ${file}"`);
  const body = md.slice(md.indexOf('\n', start) + 1, md.indexOf('\n```', start + 3));
  return body.split('\n').slice(1);
}

describe('Mosquitto with client certificates and the ACL file of docs/deploy.md', () => {
  const dir = tempDir('mqtt-certs-acl');
  let certs: TestCertificates;
  const client: Record<'server' | 'gwA' | 'gwB' | 'otherCaGwB', TestClientCertificate> = {} as never;
  let broker: TestMosquitto;
  let influxd: TestInfluxd;
  let park: TestParkServer;
  let sims: RunningSimulators;
  let gateway: RunningGateway;
  /** Every message the server's MQTT client handed to the ingest, as `topic payload`. */
  let reachedServer: () => string[];
  const db = (): string => influxd.databaseUrl('park');
  const opened: MqttClient[] = [];

  /** An MQTT.js client over TLS, trusting the park's CA, with this certificate (or none). */
  const connectAs = async (cert: TestClientCertificate | undefined, options: IClientOptions = {}): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(broker.url, { ca: certs.ca, ...(cert ? { cert: cert.cert, key: cert.key } : {}), reconnectPeriod: 0, connectTimeout: 5000, ...options });
    opened.push(c);
    return c;
  };

  beforeAll(async () => {
    certs = makeTestCertificates(dir.path);
    client.server = issueClientCertificate(certs, dir.path, 'park-server');
    client.gwA = issueClientCertificate(certs, dir.path, 'gw-a');
    client.gwB = issueClientCertificate(certs, dir.path, 'gw-b');
    const otherCaDir = path.join(dir.path, 'other-ca');
    mkdirSync(otherCaDir);
    client.otherCaGwB = issueClientCertificate(makeTestCertificates(otherCaDir), otherCaDir, 'gw-b');

    const aclFile = path.join(dir.path, 'park.acl');
    writeFileSync(aclFile, documentedFile('/etc/mosquitto/park.acl').join('\n') + '\n');
    const paths: Record<string, string> = {
      '/etc/mosquitto/certs/park-ca.pem': certs.caFile,
      '/etc/mosquitto/certs/broker.pem': certs.certFile,
      '/etc/mosquitto/certs/broker.key': certs.keyFile,
      '/etc/mosquitto/park.acl': aclFile,
    };
    const listener = documentedFile('/etc/mosquitto/conf.d/park.conf');
    expect(listener).toContain('listener 8883');
    const listenerConfig = listener
      .filter((l) => !l.startsWith('listener '))
      .map((l) => {
        const [key, value] = l.split(' ', 2);
        if (value?.startsWith('/etc/')) {
          const replaced = paths[value];
          if (!replaced) throw new Error(`docs/deploy.md names ${value}, which this test does not provide`);
          return `${key} ${replaced}`;
        }
        return l;
      });
    broker = await startTestMosquitto({ listenerConfig });
    influxd = await startTestInfluxd();
    park = await startParkServer({ broker, influxd, mqtt: { tls: { caFile: certs.caFile, certFile: client.server.certFile, keyFile: client.server.keyFile } } });
    const spy = vi.spyOn(park.server.ingest, 'onMessage');
    reachedServer = () => spy.mock.calls.map(([, topic, payload]) => `${topic} ${payload.toString('utf8')}`);

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
      extra: { mqtt: { url: broker.url, tls: { ca: certs.caFile, cert: client.gwB.certFile, key: client.gwB.keyFile }, reconnectMinMs: 200, reconnectMaxMs: 1000 }, publish: { maxBatchDelayMs: 100 } },
    });
  }, 90_000);

  afterAll(async () => {
    for (const c of opened) await c.endAsync(true);
    await gateway?.stop();
    await sims?.stop();
    await park?.stop();
    await influxd?.stop();
    await broker?.stop();
    dir.remove();
  }, 30_000);

  /** A data message of `gateway` with one reading, published by `c`; resolves once the server has stored it. */
  const publishAndAwaitStored = async (c: MqttClient, gateway: string, id: string, ts: number): Promise<void> => {
    await c.publishAsync(dataTopic(ROOT, gateway), encodeDataMessage({ gateway, seq: 1, readings: [{ id, ts, v: 1, q: 'good' }] }), { qos: 1 });
    await until(`${id} stored`, async () => (await countStored(db(), id, ts, ts)) === 1, 20_000, 100);
  };

  it('the server and gw-b connect with their certificates alone (common name = user), and the gateway readings reach InfluxDB', async () => {
    expect(broker.url).toMatch(/^mqtts:\/\/127\.0\.0\.1:\d+$/);
    const health = (await (await fetch(`${park.url}/api/health`)).json()) as { components: Record<string, { status: string; detail: string }> };
    expect(health.components['mqtt']).toMatchObject({ status: 'ok', detail: broker.url });
    const since = Date.now() - 60_000;
    await until('gw-b readings stored', async () => (await countStored(db(), 'b.', since, Date.now() + 60_000)) > 0, 30_000, 250);
    expect(gateway.counters()['readingsPublished']).toBeGreaterThan(0);
    // Mosquitto took the user names from the certificates: neither client sent one.
    expect(broker.log()).toMatch(/New client connected from \S+ as park-server \(.*u'park-server'\)/);
    expect(broker.log()).toMatch(/New client connected from \S+ as park-gw-b \(.*u'gw-b'\)/);
  });

  it('a client without a certificate, with one of another CA, or with a server certificate gets no session, and what it sends never reaches the server', async () => {
    const rejectedBefore = { ...park.server.ingest.counters.rejected };
    const ts = Date.now() - 5000;
    const intruder = encodeDataMessage({ gateway: 'gw-b', seq: 1, readings: [{ id: 'b.intruder.t1', ts, v: 99, q: 'good' }] });
    // The TLS alert the broker sends for each.
    const attempts: [string, ConnectionOptions, RegExp][] = [
      ['no certificate', { ca: certs.ca }, /alert certificate required/],
      ['a gw-b certificate of another CA', { ca: certs.ca, cert: client.otherCaGwB.cert, key: client.otherCaGwB.key }, /alert unknown ca/],
      // Signed by the park's CA, but for a server (extendedKeyUsage serverAuth): no client certificate.
      ["the broker's own certificate", { ca: certs.ca, cert: readFileSync(certs.certFile), key: readFileSync(certs.keyFile) }, /alert unsupported certificate/],
    ];
    for (const [what, tls, alert] of attempts) {
      // CONNECT and a PUBLISH sent at once, right after the handshake, as a careless or hostile client would.
      const r = await connectAndPublishAtOnce({ port: broker.port, tls }, `intruder-${process.pid}`, dataTopic(ROOT, 'gw-b'), intruder, { username: 'park-server', password: 'guess' });
      expect({ what, connack: r.connack }).toEqual({ what, connack: undefined });
      expect(r.error, what).toMatch(alert);
    }
    await expect(connectAs(undefined, { username: 'gw-b', password: 'x' })).rejects.toThrow(/certificate required/i);
    await expect(connectAs(client.otherCaGwB)).rejects.toThrow(/unknown ca/i);

    // A sentinel from an authorised client, sent after the intruders were shut out: once it is stored, their messages would have been too.
    await publishAndAwaitStored(await connectAs(client.gwA), 'gw-a', 'a.sentinel.t1', ts);
    expect(await countStored(db(), 'b.intruder.', ts - 1000, ts + 1000)).toBe(0);
    expect(reachedServer().filter((m) => m.includes('b.intruder'))).toEqual([]);
    expect(park.server.ingest.counters.rejected).toEqual(rejectedBefore);
  });

  it('gw-b cannot publish data, status, meta or a last will as gw-a, and its own data is stored', async () => {
    const ts = Date.now() - 4000;
    const rejectedBefore = { ...park.server.ingest.counters.rejected };
    const messagesBefore = park.server.ingest.counters.messages;
    const forgedStatus = encodeStatusMessage({ gateway: 'gw-a', state: 'offline', ts, version: 'forged-status', devices: {} });
    const forgedMeta = encodeMetaMessage({ gateway: 'gw-a', ts, tags: [{ id: 'a.forged.meta', device: 'a-plc', kind: 'analog', unit: 'm', description: 'forged', source: 'modbus:a-plc/1/hr/0' }] });
    const forgedData = encodeDataMessage({ gateway: 'gw-a', seq: 1, readings: [{ id: 'a.forged.t1', ts, v: 666, q: 'good' }] });

    // MQTT 3.1.1, as the gateway speaks it: the broker acknowledges and drops, so the sentinel below tells.
    const forger = await connectAs(client.gwB, { clientId: 'gw-b-forger' });
    await forger.publishAsync(dataTopic(ROOT, 'gw-a'), forgedData, { qos: 1 });
    await forger.publishAsync(statusTopic(ROOT, 'gw-a'), forgedStatus, { qos: 1, retain: true });
    await forger.publishAsync(metaTopic(ROOT, 'gw-a'), forgedMeta, { qos: 1, retain: true });
    // MQTT 5: the refusal is in the PUBACK (reason code 135, not authorised).
    const forger5 = await connectAs(client.gwB, { clientId: 'gw-b-forger5', protocolVersion: 5 });
    for (const [topic, payload] of [[dataTopic(ROOT, 'gw-a'), forgedData], [statusTopic(ROOT, 'gw-a'), forgedStatus], [metaTopic(ROOT, 'gw-a'), forgedMeta]] as const) {
      await expect(forger5.publishAsync(topic, payload, { qos: 1 }), topic).rejects.toThrow(/Not authorized/);
    }

    // A last will on gw-a's topic: another connection with the same client id takes the session over, and
    // Mosquitto publishes the old connection's will. Then gw-a's own will, the same way: once it has reached
    // the server, the forged one (queued for the server's session before it) would have too.
    const willOf = (version: string): IClientOptions['will'] => ({ topic: statusTopic(ROOT, 'gw-a'), payload: Buffer.from(encodeStatusMessage({ gateway: 'gw-a', state: 'offline', ts, version, devices: {} })), qos: 1, retain: false });
    await connectAs(client.gwB, { clientId: 'gw-b-will', will: willOf('forged-will') });
    await connectAs(client.gwB, { clientId: 'gw-b-will' });
    await connectAs(client.gwA, { clientId: 'gw-a-will', will: willOf('genuine-will') });
    await connectAs(client.gwA, { clientId: 'gw-a-will' });

    // gw-b's own data from the forging connection, after everything it sent above: the server's session gets messages in order.
    await publishAndAwaitStored(forger, 'gw-b', 'b.sentinel.acl', ts);
    await until('the genuine will reached the server', () => reachedServer().some((m) => m.includes('genuine-will')), 20_000, 100);
    expect(reachedServer().filter((m) => m.includes('forged'))).toEqual([]);
    expect(await countStored(db(), 'a.forged.', ts - 1000, ts + 1000)).toBe(0);
    // Only gw-b's sentinel and the gateway's own data were counted; nothing was even rejected.
    expect(park.server.ingest.counters.rejected).toEqual(rejectedBefore);
    expect(park.server.ingest.counters.messages).toBeGreaterThan(messagesBefore);
    const cookie = await login(park.url, 'viewer', 'demo-viewer');
    const gateways = (await (await fetch(`${park.url}/api/gateways`, { headers: { cookie } })).json()) as { gateway: string; version: string }[];
    expect(gateways.find((g) => g.gateway === 'gw-a')?.version).toBe('genuine-will');
  });

  it('a gateway subscribing to every data topic receives nothing, even when it gives the server user name', async () => {
    const received: string[] = [];
    const spy = await connectAs(client.gwB, { clientId: 'gw-b-spy', username: 'park-server' });
    spy.on('message', (topic) => received.push(topic));
    // Mosquitto 2.0 grants such subscriptions and applies the ACL to every message it would deliver.
    const granted = await spy.subscribeAsync([`${ROOT}/+/data`, `${ROOT}/#`, '#'], { qos: 1 });
    expect(granted.map((g) => g.qos)).toEqual([1, 1, 1]);
    const ts = Date.now() - 3000;
    // gw-a's data, which the server does read, and gw-b's own (the running gateway keeps publishing too).
    await publishAndAwaitStored(await connectAs(client.gwA), 'gw-a', 'a.spied.t1', ts);
    await publishAndAwaitStored(await connectAs(client.gwB), 'gw-b', 'b.spied.t1', ts);
    // One more round trip on the spy's connection: Mosquitto writes a client's packets in order,
    // so anything queued for it when those messages were published would have arrived before this SUBACK.
    await spy.subscribeAsync(`${ROOT}/gw-b/status`, { qos: 1 });
    expect(received).toEqual([]);
    expect(broker.log()).toMatch(/as gw-b-spy \(.*u'gw-b'\)/);
  });
});
