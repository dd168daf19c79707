import { startManagedInfluxd, parseInfluxUrl, InfluxStore, type ManagedInfluxd } from '@park/server';
import { freePort } from './ports.js';
import { tempDir } from './temp-dir.js';

export interface TestInfluxd {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  /** Database URL for INFLUX_URL / `influx.url`, e.g. `http://127.0.0.1:40123/test`. */
  databaseUrl(database?: string): string;
  store(database?: string): InfluxStore;
  /** Stops the influxd process, keeping its data and ports (an outage). */
  pause(): Promise<void>;
  /** Starts it again on the same ports with the same data. */
  resume(): Promise<void>;
  stop(): Promise<void>;
  /** The running influxd's process id (for CPU figures), undefined while paused. */
  pid(): number | undefined;
}

/** A real influxd in a temp folder on free loopback ports. Call `stop()` in `afterAll`. */
export async function startTestInfluxd(): Promise<TestInfluxd> {
  const dir = tempDir('influxd');
  try {
    const options = { dir: dir.path, httpPort: await freePort(), rpcPort: await freePort() };
    let influxd: ManagedInfluxd | undefined = await startManagedInfluxd(options);
    const url = influxd.url;
    const databaseUrl = (database = 'park'): string => `${url}/${database}`;
    return {
      url,
      databaseUrl,
      store: (database) => new InfluxStore(parseInfluxUrl(databaseUrl(database))),
      pause: async () => {
        await influxd?.stop();
        influxd = undefined;
      },
      pid: () => influxd?.pid,
      resume: async () => {
        influxd ??= await startManagedInfluxd(options);
      },
      stop: async () => {
        await influxd?.stop();
        dir.remove();
      },
    };
  } catch (err) {
    dir.remove();
    throw err;
  }
}
