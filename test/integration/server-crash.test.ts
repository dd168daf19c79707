import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { REPO_ROOT } from '../harness/park-server.js';
import { freePort } from '../harness/ports.js';
import { startTestMosquitto, type TestBroker } from '../harness/brokers.js';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { tempDir } from '../harness/temp-dir.js';

const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
const MESSAGES = 40;
const PER_MESSAGE = 500;

// With an external broker (Mosquitto) and the server's persistent session,
// `kill -9` of the server loses no reading the broker accepted: what the
// server had acknowledged is in its accept log (appended before the
// acknowledgement goes out) and is written after the restart; what it had not
// acknowledged, the broker delivers again.
describe('server: kill -9 loses nothing the broker accepted', () => {
  const dir = tempDir('crash');
  const children: ChildProcess[] = [];
  let broker: TestBroker | undefined;
  let influxd: TestInfluxd | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await broker?.stop();
    await influxd?.stop();
    dir.remove();
  });

  async function start(config: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, [MAIN, '--config', config], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('"server ready"')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${out}`)));
    });
    return child;
  }

  it('writes every acknowledged reading after a restart', async () => {
    broker = await startTestMosquitto({ extraConfig: 'max_queued_messages 100000' });
    influxd = await startTestInfluxd();
    const config = path.join(dir.path, 'server.yaml');
    writeFileSync(
      config,
      `park: ${path.join(REPO_ROOT, 'seeds', 'park.yaml')}\ndataDir: data\nhttp: { port: ${await freePort()} }\nmqtt: { url: ${broker.url}, clientId: park-crash-test }\ninflux: { url: ${influxd.databaseUrl('park')} }\nlog: { level: info }\n`,
    );
    const first = await start(config);
    const gw = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
    const ts0 = Date.now() - 60_000;
    for (let m = 0; m < MESSAGES; m++) {
      const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({ id: `crash.t${k}`, ts: ts0 + m, v: m * PER_MESSAGE + k, q: 'good' as const }));
      // Resolves on the PUBACK: from here on, the server owes us these readings.
      await gw.publishAsync(dataTopic('park/v1', 'gw-crash'), encodeDataMessage({ gateway: 'gw-crash', seq: m + 1, readings }), { qos: 1 });
    }
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    await gw.endAsync().catch(() => {});

    await start(config);
    const count = async (): Promise<number> => {
      const q = encodeURIComponent(`SELECT count("v") FROM "raw"."reading" WHERE time >= ${ts0}ms AND time < ${ts0 + MESSAGES}ms`);
      const res = (await (await fetch(`${influxd?.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
      return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    };
    await expect.poll(count, { timeout: 30_000, interval: 250 }).toBe(MESSAGES * PER_MESSAGE);
  });
});
