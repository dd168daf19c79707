import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createLogger, serverConfigFromObject, startServer, type RunningServer } from '@park/server';
import { startTestInfluxd, type TestInfluxd } from './influxd.js';
import { startTestAedes, type TestBroker } from './brokers.js';
import { tempDir } from './temp-dir.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_PARK_FILE = path.join(REPO_ROOT, 'seeds', 'park.yaml');

export interface TestParkServer {
  url: string;
  mqttUrl: string;
  server: RunningServer;
  influxd: TestInfluxd;
  broker: TestBroker;
  stop(): Promise<void>;
}

/**
 * The real server on a free port with a real influxd and a real (embedded)
 * broker, each on free loopback ports, serving the built web app when there
 * is one. Logs go nowhere unless TEST_LOG_LEVEL is set.
 */
export interface ParkServerOptions {
  park?: string;
  database?: string;
  /** Use this influxd (kept running by the caller) instead of starting one. */
  influxd?: TestInfluxd;
  /** Use this data folder (kept by the caller), e.g. to restart a server on its spool. */
  dataDir?: string;
  /** Use this broker (kept running by the caller) instead of starting an embedded one. */
  broker?: TestBroker;
  /** Extra `mqtt` options of the server config, e.g. `{ sharedGroup: 'g', clientId: 's1' }`. */
  mqtt?: Record<string, unknown>;
  /** Other top-level sections of the server config, e.g. `{ alarms: { escalation: { afterSeconds: 1 } } }`. */
  config?: Record<string, unknown>;
}

export async function startParkServer(options: ParkServerOptions = {}): Promise<TestParkServer> {
  const ownData = options.dataDir === undefined ? tempDir('server') : undefined;
  const data = { path: options.dataDir ?? (ownData as { path: string }).path, remove: () => ownData?.remove() };
  const ownInfluxd = options.influxd === undefined;
  const influxd = options.influxd ?? (await startTestInfluxd());
  let broker: TestBroker | undefined;
  try {
    broker = options.broker ?? (await startTestAedes());
    const config = serverConfigFromObject(
      {
        park: options.park ?? DEMO_PARK_FILE,
        dataDir: data.path,
        demo: true,
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { url: broker.url, ...options.mqtt },
        influx: { url: influxd.databaseUrl(options.database ?? 'park') },
        log: { level: process.env['TEST_LOG_LEVEL'] ?? 'silent' },
        hazards: { register: 'seeds/hazard-register.yaml', catalogue: 'seeds/gb18218-2018.yaml', obligations: 'seeds/major-hazard-obligations.yaml' },
        emergency: { cards: 'seeds/cards', map: 'seeds/park-map.yaml' },
        ...options.config,
      },
      'test server config',
      REPO_ROOT,
    );
    const server = await startServer(config, createLogger(config.log.level));
    const b = broker;
    return {
      url: server.url,
      mqttUrl: b.url,
      server,
      influxd,
      broker: b,
      stop: async () => {
        await server.stop();
        if (!options.broker) await b.stop();
        if (ownInfluxd) await influxd.stop();
        data.remove();
      },
    };
  } catch (err) {
    if (!options.broker) await broker?.stop();
    if (ownInfluxd) await influxd.stop();
    data.remove();
    throw err;
  }
}
