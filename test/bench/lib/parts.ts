import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fleetPark } from '@park/simulators';
import { freePort } from '../../harness/ports.js';
import { REPO_ROOT } from '../report.js';
import { spawnChild, waitUntil, type BenchChild } from './children.js';

/**
 * The parts under measurement, started as on site: the built commands
 * (`simulators/dist/main.js`, `gateway/dist/main.js`, `server/dist/main.js`)
 * as child processes, so that /proc gives each one's own CPU and memory.
 */

export const GATEWAY_ID = 'gw-fleet';
export const PROBE_SITE = 'probe';
/** Probe tags alarm above this; fleet values stay below 10000. */
export const PROBE_LIMIT_H = 10_000;

export interface Fleet {
  child: BenchChild;
  modbusPort: number;
  opcuaPort: number;
  controlUrl: string;
  startupMs: number;
}

export async function startFleet(o: { devices: number; points: number; opcuaVariables: number }): Promise<Fleet> {
  const [modbusPort, opcuaPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawnChild('fleet simulators', process.execPath, [
    path.join(REPO_ROOT, 'simulators', 'dist', 'main.js'),
    '--fleet',
    '--devices', String(o.devices),
    '--points', String(o.points),
    '--opcua-variables', String(o.opcuaVariables),
    '--modbus-port', String(modbusPort),
    '--opcua-port', String(opcuaPort),
    '--control-port', String(controlPort),
    '--no-rtu',
    '--log-level', 'warn',
  ]);
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  try {
    await waitUntil('fleet simulators ready', async () => (await fetch(`${controlUrl}/api/sim/points/${o.devices > 0 ? 'fleet.m001.p00001' : 'fleet.ua.v000001'}`)).ok, 180_000, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, modbusPort, opcuaPort, controlUrl, startupMs: performance.now() - child.spawnedAt };
}

export interface BenchParkOptions {
  /** Modbus units and float32 points per unit the gateway reads (a prefix of the fleet). */
  devices: number;
  points: number;
  opcuaVariables: number;
  modbusPort: number;
  opcuaPort: number;
  pollIntervalMs?: number;
  /** 2: one float32 per request, i.e. no block coalescing. */
  maxRegistersPerRead?: number;
  opcuaSamplingMs?: number;
  /** Tags moved to a site of their own with an H limit, for alarm latency. */
  probes?: readonly string[];
}

/** Writes the fleet as a park file for the gateway and the server; returns its path and tag count. */
export function writeBenchPark(file: string, o: BenchParkOptions): { file: string; tags: number } {
  const park = fleetPark({ devices: o.devices, points: o.points, opcuaVariables: o.opcuaVariables, modbusPort: o.modbusPort, opcuaPort: o.opcuaPort });
  const site = park.sites[0];
  if (!site) throw new Error('fleet park without a site');
  const probes = new Set(o.probes ?? []);
  const probeDevices: typeof site.devices = [];
  let tags = 0;
  for (const d of site.devices) {
    if (d.protocol === 'modbus-tcp') {
      if (o.pollIntervalMs !== undefined) d.pollIntervalMs = o.pollIntervalMs;
      if (o.maxRegistersPerRead !== undefined) d.maxRegistersPerRead = o.maxRegistersPerRead;
      const moved = d.tags.filter((t) => probes.has(t.id));
      if (moved.length > 0) {
        d.tags = d.tags.filter((t) => !probes.has(t.id));
        for (const t of moved) t.limits = { h: PROBE_LIMIT_H, deadband: 0 };
        probeDevices.push({ ...d, id: `probe-${d.id}`, tags: moved });
      }
    } else if (d.protocol === 'opcua' && o.opcuaSamplingMs !== undefined) {
      d.subscription = { publishingIntervalMs: o.opcuaSamplingMs, samplingIntervalMs: o.opcuaSamplingMs, queueSize: 1 };
    }
    tags += d.tags.length;
  }
  if (probeDevices.length > 0) {
    park.sites.push({ id: PROBE_SITE, name: { zh: '报警探针', en: 'Alarm probes' }, gateway: GATEWAY_ID, hazardSources: [], devices: probeDevices });
    tags += probeDevices.reduce((n, d) => n + d.tags.length, 0);
  }
  // JSON is YAML: the config loaders read it as it is.
  writeFileSync(file, JSON.stringify(park));
  return { file, tags };
}

export interface Gateway {
  child: BenchChild;
  metricsUrl: string;
  /** Spawn → "gateway ready" (drivers started, plan made, MQTT started). */
  startupMs: number;
}

export async function startGateway(dir: string, parkFile: string, mqttUrl: string): Promise<Gateway> {
  const config = path.join(dir, 'gateway.yaml');
  writeFileSync(
    config,
    JSON.stringify({ gateway: GATEWAY_ID, park: parkFile, dataDir: path.join(dir, 'gateway-data'), mqtt: { url: mqttUrl }, metrics: { port: 0 }, log: { level: 'info' } }),
  );
  const child = spawnChild('gateway', process.execPath, [path.join(REPO_ROOT, 'gateway', 'dist', 'main.js'), '--config', config]);
  try {
    const ready = await child.waitForLine(/"msg":"gateway ready"/, 120_000);
    const metricsUrl = (JSON.parse(ready.line) as { metrics?: string }).metrics;
    if (!metricsUrl) throw new Error(`gateway ready without a metrics URL: ${ready.line}`);
    return { child, metricsUrl, startupMs: ready.at - child.spawnedAt };
  } catch (err) {
    await child.stop();
    throw err;
  }
}

export interface Server {
  child: BenchChild;
  httpUrl: string;
  mqttUrl: string;
  startupMs: number;
}

export async function startServer(dir: string, parkFile: string, influxUrl: string): Promise<Server> {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'server.yaml');
  writeFileSync(
    config,
    JSON.stringify({ park: parkFile, dataDir: path.join(dir, 'server-data'), demo: true, http: { host: '127.0.0.1', port: httpPort }, mqtt: { embedded: { host: '127.0.0.1', port: mqttPort } }, influx: { url: influxUrl }, log: { level: 'warn' } }),
  );
  const child = spawnChild('server', process.execPath, [path.join(REPO_ROOT, 'server', 'dist', 'main.js'), '--config', config]);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  try {
    await waitUntil('server health', async () => (await fetch(`${httpUrl}/api/health`)).ok, 120_000, child);
  } catch (err) {
    await child.stop();
    throw err;
  }
  return { child, httpUrl, mqttUrl: `mqtt://127.0.0.1:${mqttPort}`, startupMs: performance.now() - child.spawnedAt };
}

export async function influxCount(influxBase: string, db: string): Promise<number> {
  const res = await fetch(`${influxBase}/query?db=${db}&q=${encodeURIComponent('SELECT count("v") FROM "raw"."reading"')}`, { method: 'POST' });
  const r = (await res.json()) as { results: { series?: { values: [string, number][] }[] }[] };
  return r.results[0]?.series?.[0]?.values[0]?.[1] ?? 0;
}
