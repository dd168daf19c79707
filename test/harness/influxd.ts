import { startManagedInfluxd, parseInfluxUrl, InfluxStore } from '@park/server';
import { freePort } from './ports.js';
import { tempDir } from './temp-dir.js';

export interface TestInfluxd {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Database URL for INFLUX_URL / `influx.url`, e.g. `http://127.0.0.1:40123/test`. */
  databaseUrl(database?: string): string;
  store(database?: string): InfluxStore;
  stop(): Promise<void>;
}

/** A real influxd in a temp folder on free loopback ports. Call `stop()` in `afterAll`. */
export async function startTestInfluxd(): Promise<TestInfluxd> {
  const dir = tempDir('influxd');
  try {
    const influxd = await startManagedInfluxd({ dir: dir.path, httpPort: await freePort(), rpcPort: await freePort() });
    const databaseUrl = (database = 'park'): string => `${influxd.url}/${database}`;
    return {
      url: influxd.url,
      databaseUrl,
      store: (database) => new InfluxStore(parseInfluxUrl(databaseUrl(database))),
      stop: async () => {
        await influxd.stop();
        dir.remove();
      },
    };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
