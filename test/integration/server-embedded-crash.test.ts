import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { REPO_ROOT } from '../harness/park-server.js';
import { freePort } from '../harness/ports.js';
import { startTestInfluxd, type TestInfluxd } from '../harness/influxd.js';
import { tempDir } from '../harness/temp-dir.js';

const MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
const GATEWAYS = 4;
/** Messages per gateway in each of the two bursts. */
const MESSAGES = 5;
const PER_MESSAGE = 500;
const PER_BURST = GATEWAYS * MESSAGES * PER_MESSAGE;

// With the embedded broker, the broker and the server are one process: a
// PUBACK the broker sent is the server's promise. Two bursts of 10,000
// readings each, every message of a burst in flight at once (as gateways
// empty their outboxes): the first from gateways that connect while the
// server is still starting, the second once it is ready. `kill -9` right
// after the last PUBACK must lose none of them: each was in the accept log
// before its PUBACK went out, and is written after the restart on the same
// data folder.
describe('server with its embedded broker: kill -9 loses nothing acknowledged', () => {
  const dir = tempDir('embedded-crash');
  const children: ChildProcess[] = [];
  let influxd: TestInfluxd | undefined;
  const gateways: MqttClient[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gw) => gw.endAsync(true)));
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
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

  async function count(id: string, from: number, to: number): Promise<number> {
    const q = encodeURIComponent(`SELECT count("v") FROM "raw"."reading" WHERE "id" =~ /^${id}/ AND time >= ${from}ms AND time < ${to}ms`);
    const res = (await (await fetch(`${influxd?.url}/query?db=park&q=${q}`)).json()) as { results: { series?: { values: [string, number][] }[] }[] };
    return res.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
  }

  async function metric(httpUrl: string, name: string): Promise<number> {
    const text = await (await fetch(`${httpUrl}/metrics`)).text();
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`no ${name} in /metrics`);
    return Number(m[1]);
  }

  it('writes every reading the embedded broker acknowledged after a restart', async () => {
    influxd = await startTestInfluxd();
    const [httpPort, mqttPort] = [await freePort(), await freePort()];
    const httpUrl = `http://127.0.0.1:${httpPort}`;
    const mqttUrl = `mqtt://127.0.0.1:${mqttPort}`;
    const config = path.join(dir.path, 'server.yaml');
    writeFileSync(
      config,
      `park: ${path.join(REPO_ROOT, 'seeds', 'park.yaml')}\ndataDir: data\nhttp: { port: ${httpPort} }\nmqtt: { embedded: { host: 127.0.0.1, port: ${mqttPort} } }\ninflux: { url: ${influxd.databaseUrl('park')} }\nlog: { level: info }\n`,
    );
    // The gateways retry until the broker takes connections (refused until then), and publish their first burst on connecting.
    const ts0 = Date.now() - 60_000;
    const publish = (g: number, phase: number): Promise<unknown> => {
      const gateway = `gw-ecrash-${g}`;
      return Promise.all(
        Array.from({ length: MESSAGES }, (_, m) => {
          const ts = ts0 + phase * MESSAGES + m;
          const readings = Array.from({ length: PER_MESSAGE }, (_, k) => ({ id: `ecrash.g${g}.t${k}`, ts, v: m * PER_MESSAGE + k, q: 'good' as const }));
          // Resolves on the PUBACK: from then on the server owes these readings.
          return gateways[g]?.publishAsync(dataTopic('park/v1', gateway), encodeDataMessage({ gateway, seq: phase * MESSAGES + m + 1, readings }), { qos: 1 });
        }),
      );
    };
    for (let g = 0; g < GATEWAYS; g++) gateways.push(mqtt.connect(mqttUrl, { clientId: `gw-ecrash-${g}`, reconnectPeriod: 25 }).on('error', () => {}));
    const whileStarting = Promise.all(gateways.map((gw, g) => new Promise((resolve) => gw.once('connect', resolve)).then(() => publish(g, 0))));
    const first = await start(config);
    await whileStarting;
    await Promise.all(gateways.map((_, g) => publish(g, 1)));
    const exited = new Promise((r) => first.once('exit', r));
    first.kill('SIGKILL');
    await exited;
    await Promise.all(gateways.map((gw) => gw.endAsync(true)));
    gateways.length = 0;

    await start(config);
    // What the accept log gave back was queued before "server ready": an empty backlog means it is written.
    await expect.poll(() => metric(httpUrl, 'park_ingest_backlog_readings'), { timeout: 30_000, interval: 100 }).toBe(0);
    expect({
      whileStarting: await count('ecrash\\.g', ts0, ts0 + MESSAGES),
      whenReady: await count('ecrash\\.g', ts0 + MESSAGES, ts0 + 2 * MESSAGES),
    }).toEqual({ whileStarting: PER_BURST, whenReady: PER_BURST });
  });
});
