import path from 'node:path';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { GATEWAY_ID_PATTERN, MAX_READINGS_PER_MESSAGE } from '@park/protocol';
import {
  ConfigError,
  deviceListSchema,
  envOverrides,
  loadConfigFile,
  parkSchema,
  parseConfigText,
  type DeviceConfig,
  type EnvBinding,
  type ParkConfig,
} from '@park/protocol/config';
import type { ConfigWorkerResult } from './config-worker.js';

/**
 * The gateway's configuration file (`npm run gateway -- --config FILE`).
 * Paths inside it are relative to the file's folder. Every option and its
 * default is documented in docs/gateway.md; `seeds/gateway-a.yaml` is a
 * commented sample.
 */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const int = (min: number, max: number) => z.number().int().min(min).max(max);

export const gatewayConfigSchema = z.strictObject({
  /** This gateway's id: one MQTT topic level, e.g. `gw-a`. */
  gateway: z.string().regex(GATEWAY_ID_PATTERN, 'must be 1–64 lower-case letters, digits, "-" or "_", e.g. gw-a'),
  /** The park model file; its sites whose `gateway` is this id (or the one named by `site`) are read. */
  park: z.string().min(1).optional(),
  /** Read only this site of the park model (default: every site whose `gateway` is this gateway's id). */
  site: z.string().min(1).optional(),
  /** Devices defined here, for a standalone edge box (same schema as the park model's devices). */
  devices: deviceListSchema.default([]),
  /** State of this gateway: outbox, seq, OPC UA certificates. Default `data/<gateway>` beside this file. */
  dataDir: z.string().min(1).optional(),
  mqtt: z
    .strictObject({
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, 'must be a broker URL such as mqtt://127.0.0.1:1883').default('mqtt://127.0.0.1:1883'),
      username: z.string().optional(),
      password: z.string().optional(),
      /** Default `park-<gateway>`. */
      clientId: z.string().min(1).max(128).optional(),
      topicRoot: z.string().regex(/^[^#+\s$][^#+\s]*$/, 'must be an MQTT topic prefix without wildcards, e.g. park/v1').default('park/v1'),
      keepaliveS: int(5, 3600).default(30),
      connectTimeoutMs: int(500, 120_000).default(10_000),
      /** Reconnect back-off: first delay, doubled per failure up to the maximum (with jitter). */
      reconnectMinMs: int(100, 600_000).default(500),
      reconnectMaxMs: int(100, 600_000).default(30_000),
      /** A QoS 1 publish not acknowledged within this is treated as a broken link: reconnect, batch to the outbox. */
      ackTimeoutMs: int(500, 600_000).default(10_000),
      /** Live data messages awaiting PUBACK at once; beyond it readings wait in the buffer. */
      maxInFlight: int(1, 10_000).default(64),
      tls: z
        .strictObject({
          /** PEM files; relative to this file. */
          ca: z.string().min(1).optional(),
          cert: z.string().min(1).optional(),
          key: z.string().min(1).optional(),
          rejectUnauthorized: z.boolean().default(true),
        })
        .optional(),
    })
    .prefault({}),
  publish: z
    .strictObject({
      /** A data message is sent when this many readings wait… */
      maxBatchReadings: int(1, MAX_READINGS_PER_MESSAGE).default(500),
      /** …or when the oldest has waited this long. */
      maxBatchDelayMs: int(0, 60_000).default(100),
      /** Every tag is re-sent at least this often even when unchanged. 0 turns it off. */
      integrityPeriodMs: int(0, 86_400_000).default(60_000),
      /** The status message (device states, counters) is refreshed this often, and on every device state change. */
      statusIntervalMs: int(1000, 3_600_000).default(30_000),
      /** Readings held in memory between drivers and publisher; the oldest are dropped and counted past it. */
      bufferReadings: int(1000, 10_000_000).default(200_000),
    })
    .prefault({}),
  outbox: z
    .strictObject({
      /** Disk space of the store-and-forward outbox; the oldest batches are dropped (and counted) past it. */
      maxMB: z.number().min(1).max(1_000_000).default(256),
      /** Size at which a segment file is closed and a new one started. */
      segmentMB: z.number().min(0.01).max(1024).default(4),
      /** Replayed messages awaiting PUBACK at once, beside live traffic. */
      replayInFlight: int(1, 1000).default(16),
    })
    .prefault({}),
  metrics: z
    .strictObject({
      /** Port of the local HTTP `/metrics` (Prometheus text); unset: no HTTP listener. 0 picks a free port. */
      port: int(0, 65535).optional(),
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default('info') }).prefault({}),
});

export type GatewayConfigFile = z.output<typeof gatewayConfigSchema>;

/** The configuration with paths made absolute and the devices to read resolved. */
export interface GatewayConfig extends Omit<GatewayConfigFile, 'park' | 'site' | 'devices' | 'dataDir'> {
  configFile: string;
  dataDir: string;
  /** Every device this gateway reads, from the park model and inline. */
  devices: DeviceConfig[];
  parkModel?: ParkConfig;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
}

export const GATEWAY_ENV: readonly EnvBinding[] = [
  { name: 'MQTT_URL', path: ['mqtt', 'url'], type: 'string' },
  { name: 'DATA_DIR', path: ['dataDir'], type: 'string' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
];

/** Loads and checks a gateway config and the park file it names; throws `ConfigError`. */
export function loadGatewayConfig(file: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const loaded = loadConfigFile(file, gatewayConfigSchema, { overrides: envOverrides(env, GATEWAY_ENV) });
  return resolveGatewayConfig(loaded.value, file, loaded.dir, env);
}

/**
 * `loadGatewayConfig` in a worker thread, for the command. The YAML parser
 * keeps a node with source ranges for every scalar: a park model of 10,000
 * tags (3 MB) costs it over 100 MB of heap and seconds of CPU, and in the
 * main thread that garbage would stay in the process (V8 gives it back only
 * after a full collection, which an idle gateway may not run for half a
 * minute or more). A park written as JSON is read without that parser
 * (`parseConfigText`), yet still leaves tens of MB of garbage.
 * The worker's heap goes with the worker; the result is the plain
 * configuration, cloned. The park model itself is not carried over.
 */
export function loadGatewayConfigInWorker(file: string, env: NodeJS.ProcessEnv = process.env): Promise<GatewayConfig> {
  return new Promise((resolve, reject) => {
    // A small young generation: the parser's garbage dies young (as for the server's park worker, server/src/config.ts).
    const worker = new Worker(new URL('./config-worker.js', import.meta.url), { workerData: { file, env: { ...env } }, resourceLimits: { maxYoungGenerationSizeMb: 4 } });
    let settled = false;
    worker.once('message', (r: ConfigWorkerResult) => {
      settled = true;
      if (r.ok) resolve(fromClone(r.config));
      else reject('problems' in r ? new ConfigError(r.problems) : new Error(r.error));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`configuration worker exited with code ${code} without a result`));
    });
  });
}

/** A structured clone turns Buffers into plain Uint8Arrays. */
function fromClone(c: GatewayConfig): GatewayConfig {
  if (!c.tls) return c;
  const buf = (u: Uint8Array | undefined): Buffer | undefined => (u ? Buffer.from(u.buffer, u.byteOffset, u.byteLength) : undefined);
  return { ...c, tls: { ca: buf(c.tls.ca), cert: buf(c.tls.cert), key: buf(c.tls.key), rejectUnauthorized: c.tls.rejectUnauthorized } };
}

/** For tests and embedding: a config given as an object, validated the same way. */
export function gatewayConfigFromObject(value: unknown, label = 'gateway config', baseDir = process.cwd(), park?: ParkConfig): GatewayConfig {
  const parsed = parseConfigText(JSON.stringify(value), label, gatewayConfigSchema);
  return resolveGatewayConfig(parsed, label, baseDir, {}, park);
}

function resolveGatewayConfig(value: GatewayConfigFile, file: string, dir: string, env: NodeJS.ProcessEnv, parkGiven?: ParkConfig): GatewayConfig {
  let parkModel = parkGiven;
  if (!parkModel && value.park !== undefined) {
    const parkFile = path.resolve(dir, value.park);
    const fromCwd = path.relative(process.cwd(), parkFile);
    parkModel = loadConfigFile(fromCwd && !fromCwd.startsWith('..') ? fromCwd : parkFile, parkSchema).value;
  }
  const devices: DeviceConfig[] = [];
  if (parkModel) {
    const sites = parkModel.sites.filter((s) => (value.site !== undefined ? s.id === value.site : s.gateway === value.gateway));
    if (sites.length === 0) {
      const reason =
        value.site !== undefined
          ? `site "${value.site}" is not in the park model (it has ${parkModel.sites.map((s) => `"${s.id}"`).join(', ')})`
          : `no site of the park model has gateway: ${value.gateway} (set site: to choose one)`;
      throw new ConfigError([{ file, path: value.site !== undefined ? 'site' : 'gateway', reason }]);
    }
    for (const s of sites) devices.push(...s.devices);
  } else if (value.site !== undefined) {
    throw new ConfigError([{ file, path: 'site', reason: 'needs park: the park model file the site is in' }]);
  }
  const parkIds = new Set(devices.map((d) => d.id));
  const parkTags = new Set(devices.flatMap((d) => d.tags.map((t) => t.id)));
  const problems: { file: string; path: string; reason: string }[] = [];
  value.devices.forEach((d, i) => {
    if (parkIds.has(d.id)) problems.push({ file, path: `devices[${i}].id`, reason: `device "${d.id}" is already defined in the park model` });
    d.tags.forEach((t, ti) => {
      if (parkTags.has(t.id)) problems.push({ file, path: `devices[${i}].tags[${ti}].id`, reason: `tag "${t.id}" is already defined in the park model` });
    });
  });
  devices.push(...value.devices);
  if (devices.length === 0) problems.push({ file, path: 'devices', reason: 'no devices to read: name a park model (park:) or list devices:' });
  if (value.mqtt.reconnectMaxMs < value.mqtt.reconnectMinMs) problems.push({ file, path: 'mqtt.reconnectMaxMs', reason: `must be at least mqtt.reconnectMinMs (${value.mqtt.reconnectMinMs})` });
  if (problems.length > 0) throw new ConfigError(problems);

  const dataDir = env['DATA_DIR'] ? path.resolve(env['DATA_DIR']) : path.resolve(dir, value.dataDir ?? path.join('data', value.gateway));
  let tls: GatewayConfig['tls'];
  if (value.mqtt.tls) {
    const t = value.mqtt.tls;
    const read = (key: 'ca' | 'cert' | 'key'): Buffer | undefined => {
      const f = t[key];
      if (f === undefined) return undefined;
      try {
        return readFileSync(path.resolve(dir, f));
      } catch (err) {
        throw new ConfigError([{ file, path: `mqtt.tls.${key}`, reason: `cannot read ${f}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }]);
      }
    };
    tls = { ca: read('ca'), cert: read('cert'), key: read('key'), rejectUnauthorized: t.rejectUnauthorized };
  }
  const { park: _p, site: _s, devices: _d, dataDir: _dd, ...rest } = value;
  return { ...rest, configFile: path.resolve(file), dataDir, devices, ...(parkModel ? { parkModel } : {}), ...(tls ? { tls } : {}) };
}

const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
