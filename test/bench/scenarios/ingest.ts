/*
 * Scenario 1 of the benchmark issue: the ingest ceiling of InfluxDB (raw
 * line-protocol batches over HTTP) and, in the same run, server ingest
 * (contract batches published to the server's embedded broker, counted in
 * InfluxDB until every reading is there).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage, type Reading } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import { freePort } from '../../harness/ports.js';
import { tempDir } from '../../harness/temp-dir.js';
import { fmt, REPO_ROOT, type Row } from '../report.js';
import { peakRss, processStats } from '../process-stats.js';
import type { BenchContext } from '../context.js';
import { profiledNodeArgs } from '../lib/children.js';

const TAGS = 5000;
const BATCH_POINTS = 5000;
const CEILING_WRITERS = 2;
const READINGS_PER_MESSAGE = 500;
const IN_FLIGHT = 64;

const tagId = (i: number): string => `bench.t${String(i).padStart(4, '0')}`;

async function influxQuery(influxd: TestInfluxd, db: string, q: string): Promise<unknown> {
  const res = await fetch(`${influxd.url}/query?db=${db}&q=${encodeURIComponent(q)}`, { method: 'POST' });
  return res.json();
}

/** CPU of a process over a piece of work, as a share of one core. */
async function withCpu<T>(pid: number | undefined, work: () => Promise<T>): Promise<{ result: T; cpuPercent: number }> {
  const c0 = pid ? processStats(pid).cpuSeconds : 0;
  const t0 = Date.now();
  const result = await work();
  const seconds = (Date.now() - t0) / 1000;
  return { result, cpuPercent: pid ? ((processStats(pid).cpuSeconds - c0) / seconds) * 100 : NaN };
}

async function ceiling(influxd: TestInfluxd, ceilingSeconds: number): Promise<number> {
  await influxQuery(influxd, '', 'CREATE DATABASE ceiling');
  const base = Date.now() - 3_600_000;
  let next = 0;
  let points = 0;
  const deadline = Date.now() + ceilingSeconds * 1000;
  const started = Date.now();
  const writer = async (): Promise<void> => {
    while (Date.now() < deadline) {
      const ts = base + next++;
      let body = '';
      for (let i = 0; i < BATCH_POINTS; i++) body += `reading,id=${tagId(i % TAGS)},site=b v=${(ts % 1000) + i / 10},q=0i ${ts}\n`;
      const res = await fetch(`${influxd.url}/write?db=ceiling&precision=ms`, { method: 'POST', body });
      if (res.status !== 204) throw new Error(`InfluxDB write failed: ${res.status} ${await res.text()}`);
      points += BATCH_POINTS;
    }
  };
  await Promise.all(Array.from({ length: CEILING_WRITERS }, writer));
  return points / ((Date.now() - started) / 1000);
}

interface ServerRun {
  rate: number;
  publishRate: number;
  cpuPercent: number;
  peakRssMb: number;
  influxCpuPercent: number;
  publisherCpuPercent: number;
}

async function serverIngest(influxd: TestInfluxd, serverReadings: number): Promise<ServerRun> {
  const dir = tempDir('bench-server');
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const config = path.join(dir.path, 'server.yaml');
  writeFileSync(
    config,
    `park: ${path.join(REPO_ROOT, 'seeds', 'park.yaml')}\ndataDir: ${dir.path}\nhttp: { port: ${httpPort} }\nmqtt: { embedded: { port: ${mqttPort} } }\ninflux: { url: ${influxd.databaseUrl('bench')} }\nlog: { level: warn }\n`,
  );
  const child = spawn(process.execPath, profiledNodeArgs('server', [path.join(REPO_ROOT, 'server', 'dist', 'main.js'), '--config', config]), { stdio: ['ignore', 'ignore', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!(await fetch(`http://127.0.0.1:${httpPort}/api/health`).then((r) => r.ok).catch(() => false))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('server did not start');
      await delay(100);
    }
    const messages: string[] = [];
    const base = Date.now() - 3_600_000;
    for (let m = 0; m < serverReadings / READINGS_PER_MESSAGE; m++) {
      const readings: Reading[] = [];
      for (let k = 0; k < READINGS_PER_MESSAGE; k++) {
        const n = m * READINGS_PER_MESSAGE + k;
        readings.push({ id: tagId(n % TAGS), ts: base + Math.floor(n / TAGS), v: n % 997, q: 'good' });
      }
      messages.push(encodeDataMessage({ gateway: 'gw-bench', seq: m + 1, readings }));
    }
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 });
    const cpu0 = processStats(child.pid as number).cpuSeconds;
    const influxPid = influxd.pid();
    const influxCpu0 = influxPid ? processStats(influxPid).cpuSeconds : 0;
    const self0 = process.cpuUsage();
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      let sent = 0;
      let acked = 0;
      const pump = (): void => {
        while (sent < messages.length && sent - acked < IN_FLIGHT) {
          client.publish(dataTopic('park/v1', 'gw-bench'), messages[sent++] as string, { qos: 1 }, (err) => {
            if (err) return reject(err);
            acked++;
            if (acked === messages.length) resolve();
            else pump();
          });
        }
      };
      pump();
    });
    const published = Date.now();
    // The end is seen on the server's own write counter: a count query over
    // the whole measurement every 100 ms would take InfluxDB's CPU from the
    // writes being measured. The count in InfluxDB afterwards is the proof.
    let written = 0;
    while (written < serverReadings) {
      if (Date.now() - published > 120_000) throw new Error(`only ${written} of ${serverReadings} readings written after 120 s`);
      const text = await fetch(`http://127.0.0.1:${httpPort}/metrics`).then((r) => r.text());
      written = Number(/^park_ingest_readings_written_total (\d+)/m.exec(text)?.[1] ?? 0);
      if (written < serverReadings) await delay(20);
    }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = processStats(child.pid as number).cpuSeconds - cpu0;
    const influxCpu = influxPid ? processStats(influxPid).cpuSeconds - influxCpu0 : NaN;
    const self = process.cpuUsage(self0);
    const selfCpu = (self.user + self.system) / 1e6;
    const r = (await influxQuery(influxd, 'bench', 'SELECT count("v") FROM "raw"."reading"')) as { results: { series?: { values: [string, number][] }[] }[] };
    const stored = r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
    if (stored !== serverReadings) throw new Error(`the server counted ${written} readings written, InfluxDB holds ${stored} of ${serverReadings}`);
    const run = { rate: serverReadings / seconds, publishRate: serverReadings / ((published - t0) / 1000), cpuPercent: (cpu / seconds) * 100, influxCpuPercent: (influxCpu / seconds) * 100, publisherCpuPercent: (selfCpu / seconds) * 100, peakRssMb: peakRss(child.pid as number) / 1024 ** 2 };
    await client.endAsync();
    return run;
  } finally {
    child.kill('SIGTERM');
    await exited;
    dir.remove();
  }
}

export async function ingestScenario(ctx: BenchContext): Promise<Row[]> {
  const ceilingSeconds = ctx.pick(10, 3, 1);
  const serverReadings = ctx.pick(1_500_000, 300_000, 20_000);
  const influxd = await startTestInfluxd();
  try {
    // InfluxDB's own CPU in both runs: on 2 cores the server and the
    // publisher take cores InfluxDB uses in the ceiling run, which bounds the ratio.
    const { result: ceil, cpuPercent: ceilInflux } = await withCpu(influxd.pid(), () => ceiling(influxd, ceilingSeconds));
    const server = await serverIngest(influxd, serverReadings);
    return [
      { scenario: 'ingest ceiling', metric: 'InfluxDB raw line protocol, points/s', value: fmt(ceil), ceiling: '—', ratio: '—', notes: `${BATCH_POINTS}-point batches, ${CEILING_WRITERS} writers, ${TAGS} series, ${ceilingSeconds} s; influxd CPU ${ceilInflux.toFixed(0)} % of one core` },
      {
        scenario: 'server ingest',
        metric: 'readings/s published → stored (zero loss, counted)',
        value: fmt(server.rate),
        ceiling: fmt(ceil),
        ratio: `${((server.rate / ceil) * 100).toFixed(0)} %`,
        notes: `${fmt(serverReadings)} readings in ${READINGS_PER_MESSAGE}-reading QoS 1 messages via the embedded broker; publish ${fmt(server.publishRate)}/s; server CPU ${server.cpuPercent.toFixed(0)} % of one core, peak RSS ${server.peakRssMb.toFixed(0)} MB; influxd CPU ${server.influxCpuPercent.toFixed(0)} % of one core, this process (the publisher) ${server.publisherCpuPercent.toFixed(0)} %`,
      },
    ];
  } finally {
    await influxd.stop();
  }
}
