import path from 'node:path';
import type { ServerConfig } from '../config.js';
import { InfluxStore } from '../influx/influx-store.js';
import { DEFAULT_DATABASE, parseInfluxUrl } from '../influx/influx-url.js';
import { startManagedInfluxd, type ManagedInfluxd } from '../influx/influxd-process.js';
import { formatReports, verifyJournals } from './journal-chains.js';

/**
 * `park-server verify-journal`: checks every journal chain in the server's
 * InfluxDB. With a config whose InfluxDB is managed, the running server's
 * influxd is used; when none answers (the server is stopped), one is started
 * on the data folder for the check and stopped after it.
 */
export async function verifyJournalCommand(target: { config: ServerConfig } | { influxUrl: string }): Promise<{ ok: boolean; text: string }> {
  let managed: ManagedInfluxd | undefined;
  try {
    let url: string;
    if ('influxUrl' in target) {
      url = target.influxUrl;
    } else if (target.config.influx.url) {
      url = target.config.influx.url;
    } else {
      const m = target.config.influx.managed;
      const base = `http://127.0.0.1:${m.httpPort}`;
      url = `${base}/${DEFAULT_DATABASE}`;
      if (!(await new InfluxStore(parseInfluxUrl(url)).ping(1500).catch(() => false))) {
        managed = await startManagedInfluxd({ dir: path.join(target.config.dataDir, 'influxdb'), httpPort: m.httpPort, rpcPort: m.rpcPort, binary: m.binary, gcPercent: m.gcPercent, cacheSnapshotMB: m.cacheSnapshotMB });
      }
    }
    const store = new InfluxStore(parseInfluxUrl(url), { requestTimeoutMs: 60_000 });
    return formatReports(await verifyJournals(store));
  } finally {
    await managed?.stop();
  }
}
