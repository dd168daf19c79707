import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { ConfigError, envOverrides, loadConfigFile, parseConfigText, parkSchema, type EnvBinding, type ParkConfig } from '@park/protocol/config';
import { existsSync, readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { ROLES } from '@park/protocol';
import { PASSWORD_HASH_PATTERN } from './auth/passwords.js';
import { loadHazardRegister, type HazardRegister } from './hazards/register.js';
import { loadObligations, type ObligationsData } from './hazards/obligations.js';
import { loadEnvironment, type EnvironmentSetup } from './environment/environment.js';
import { loadEmergency, type EmergencyData } from './emergency/emergency.js';
import { chainConfigSchema } from './alarm-service/escalation-chain.js';
import { INFLUXD_CACHE_SNAPSHOT_MB, INFLUXD_GC_PERCENT } from './influx/influxd-process.js';
import type { ParkWorkerResult } from './park-worker.js';

/**
 * The server's configuration file (`npm run server -- --config FILE`).
 * Paths inside it are relative to the file's folder. Every option and its
 * default is documented in docs/configuration.md.
 */

const port = z.number().int().min(1).max(65535);
/** The server workspace's own folder (holding package.json and dist/), in the repository and in a bundle alike. */
const SERVER_PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The built web app: `web/dist` beside the server workspace in the
 * repository, or `web/` at the top of an installed bundle
 * (app/node_modules/@park/server → ../../../../web).
 */
function defaultWebDir(): string {
  const candidates = [path.resolve(SERVER_PACKAGE, '..', 'web', 'dist'), path.resolve(SERVER_PACKAGE, '..', '..', '..', '..', 'web')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html'))) ?? (candidates[0] as string);
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const serverConfigSchema = z.strictObject({
  /** The park model file (sites, hazard sources, devices, tags). */
  park: z.string().min(1),
  /** State of this server: the managed InfluxDB's files, logs. */
  dataDir: z.string().min(1).default('data'),
  /** Demo mode: the demo users exist (see README). Never on a real park. */
  demo: z.boolean().default(false),
  http: z
    .strictObject({
      /** Loopback by default; set 0.0.0.0 to serve the control room's other machines. */
      host: z.string().min(1).default('127.0.0.1'),
      /** 0 picks a free port (used by tests). */
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .prefault({}),
  web: z
    .strictObject({
      /** Folder of the built web app; default: this installation's `web/dist`. */
      dir: z.string().min(1).optional(),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      /** An external broker, e.g. `mqtt://10.0.0.5:1883`. Unset: the embedded broker is started. */
      url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\/\S+$/, 'must be a broker URL such as mqtt://127.0.0.1:1883').optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /**
       * Fixed client id with a persistent session (clean: false), so a broker
       * that keeps sessions holds QoS 1 messages while the server restarts.
       * Give each server instance its own.
       */
      clientId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1–64 letters, digits, ".", "_" or "-"').default('park-server'),
      protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
      /** Several server instances splitting the data load: subscribe through `$share/<group>/…` (data topics only). */
      sharedGroup: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, "_" or "-"').optional(),
      tls: z
        .strictObject({
          caFile: z.string().min(1).optional(),
          certFile: z.string().min(1).optional(),
          keyFile: z.string().min(1).optional(),
          rejectUnauthorized: z.boolean().default(true),
        })
        .optional(),
      topicRoot: z.string().regex(/^[^#+\s]+[^/#+\s]$/, 'must be an MQTT topic prefix without wildcards, e.g. park/v1').default('park/v1'),
      embedded: z
        .strictObject({
          host: z.string().min(1).default('127.0.0.1'),
          port: port.default(1883),
        })
        .prefault({}),
    })
    .prefault({}),
  influx: z
    .strictObject({
      /** An external InfluxDB 1.x, e.g. `http://10.0.0.6:8086/park` (path = database). Unset: a managed influxd is started. */
      url: z.string().regex(/^https?:\/\/\S+$/, 'must be an InfluxDB URL such as http://127.0.0.1:8086/park').optional(),
      retention: z
        .strictObject({
          /** Raw readings are kept this long. */
          rawDays: z.number().int().min(1).max(36_500).default(30),
          /** 1-minute mean/min/max rollups are kept this long. */
          rollupDays: z.number().int().min(1).max(36_500).default(400),
          /** Alarm journal and audit trail are kept this long. */
          eventDays: z.number().int().min(30).max(36_500).default(1095),
        })
        .prefault({}),
      managed: z
        .strictObject({
          binary: z.string().min(1).default('influxd'),
          httpPort: port.default(18086),
          rpcPort: port.default(18088),
          /** The Go garbage collector's target for influxd (its GOGC): how far its heap may grow past live data before a collection. */
          gcPercent: z.number().int().min(25).max(1000).default(INFLUXD_GC_PERCENT),
          /** Newest points influxd holds in memory before writing them to disk (its cache-snapshot-memory-size), MB. */
          cacheSnapshotMB: z.number().int().min(25).max(1024).default(INFLUXD_CACHE_SNAPSHOT_MB),
        })
        .prefault({}),
    })
    .prefault({}),
  ingest: z
    .strictObject({
      /** Readings waiting for InfluxDB in memory before the oldest spill to disk (dataDir/spool). */
      memoryLimit: z.number().int().min(10_000).max(10_000_000).default(200_000),
      /** Disk the spool may use; past it the oldest readings are dropped and counted. */
      maxSpoolMB: z.number().int().min(16).max(1_000_000).default(2048),
      /** InfluxDB writes of 5,000 readings in flight at once. */
      parallelWrites: z.number().int().min(1).max(16).default(4),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z.enum(LOG_LEVELS).default('info'),
    })
    .prefault({}),
  hazards: z
    .strictObject({
      /** The major-hazard register (GB 18218-2018): enterprises, units, inventories. Unset: no register. */
      register: z.string().min(1).optional(),
      /** The GB 18218-2018 substance data the register is graded with. */
      catalogue: z.string().min(1).default('gb18218-2018.yaml'),
      /** The regulatory obligations checked per installation (demo: major-hazard-obligations.yaml). Unset: none checked. */
      obligations: z.string().min(1).optional(),
    })
    .prefault({}),
  environment: z
    .strictObject({
      /** Environment monitors and the limits on their averages (demo: environment.yaml). Unset: no averages. */
      monitors: z.string().min(1).optional(),
    })
    .prefault({}),
  emergency: z
    .strictObject({
      /** Folder of emergency disposal cards (one YAML file per card). Unset: no cards, no incidents. */
      cards: z.string().min(1).optional(),
      /** The site plan (coordinates of installations, assembly points, gates) for hazard zones. */
      map: z.string().min(1).optional(),
    })
    .prefault({}),
  alarms: z
    .strictObject({
      /** When an SIS trips or a flood starts, the first alarm of the cascade within this window is marked first-out. */
      firstOutWindowMinutes: z.number().min(0.1).max(120).default(10),
      escalation: z
        .strictObject({
          /** An unacknowledged critical alarm escalates after this long. */
          afterSeconds: z.number().int().min(1).max(3600).default(60),
          /** POSTed a JSON escalation (e.g. an SMS or voice gateway), retried with back-off. */
          webhook: z
            .strictObject({
              url: z.string().regex(/^https?:\/\/\S+$/, 'must be an http(s) URL'),
              timeoutMs: z.number().int().min(100).max(60_000).default(5000),
              retries: z.number().int().min(0).max(20).default(5),
              headers: z.record(z.string(), z.string()).default({}),
            })
            .optional(),
          /**
           * Escalation chain per installation (operator → shift leader → commander), see
           * docs/emergency.md. Unset: the single commander step after `afterSeconds`.
           */
          chain: chainConfigSchema.optional(),
        })
        .prefault({}),
    })
    .prefault({}),
  auth: z
    .strictObject({
      /** A session ends after this long without use: one shift. */
      sessionHours: z.number().min(0.1).max(72).default(12),
      /** Mark the session cookie Secure: set when the server is reached over HTTPS. */
      secureCookies: z.boolean().default(false),
      users: z
        .array(
          z.strictObject({
            username: z.string().min(1).max(64),
            role: z.enum(ROLES),
            passwordHash: z.string().regex(PASSWORD_HASH_PATTERN, 'must be a hash made by "npm run server -- hash-password"'),
          }),
        )
        .default([]),
      /** Bearer tokens for machines (other systems, scripts). */
      tokens: z
        .array(
          z.strictObject({
            name: z.string().min(1).max(64),
            role: z.enum(ROLES),
            sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be the token\'s SHA-256 in hex, as printed by "npm run server -- new-token"'),
          }),
        )
        .default([]),
    })
    .prefault({}),
});

export type ServerConfigFile = z.output<typeof serverConfigSchema>;

/** The configuration with paths made absolute and the park model loaded. */
export interface ServerConfig extends Omit<ServerConfigFile, 'park' | 'web'> {
  configFile: string;
  parkFile: string;
  parkModel: ParkConfig;
  webDir: string;
  /** The graded major-hazard register, when `hazards.register` names one. */
  hazardRegister?: HazardRegister;
  /** The regulatory obligations, when `hazards.obligations` names a file. */
  hazardObligations?: ObligationsData;
  /** The environment averages, when `environment.monitors` names a file. */
  environmentSetup?: EnvironmentSetup;
  /** Disposal cards and the site plan, when `emergency.cards` names a folder. */
  emergencyData?: EmergencyData;
}

export const SERVER_ENV: readonly EnvBinding[] = [
  { name: 'PORT', path: ['http', 'port'], type: 'number' },
  { name: 'MQTT_URL', path: ['mqtt', 'url'], type: 'string' },
  { name: 'INFLUX_URL', path: ['influx', 'url'], type: 'string' },
  { name: 'DATA_DIR', path: ['dataDir'], type: 'string' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
];

/** Loads and checks the server config and the park file it names; throws `ConfigError`. */
export function loadServerConfig(file: string, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const loaded = loadConfigFile(file, serverConfigSchema, { overrides: envOverrides(env, SERVER_ENV) });
  return resolveServerConfig(loaded.value, file, loaded.dir, env);
}

/**
 * `loadServerConfig` with the park file parsed in a worker thread, for the
 * command. The YAML parser keeps a node with source ranges for every scalar:
 * a park model of 10,000 tags (2 MB) costs it 150 MB of heap, 50,000 tags
 * 750 MB, and in the main thread the process keeps most of that after the
 * garbage is collected (an idle server with 10,000 tags held 360 MB). A park
 * written as JSON skips that parser (`parseConfigText`), but its text, parsed
 * tree and the schema's copies still leave some 50 MB of garbage at 50,000 tags.
 * The worker's heap goes with the worker; the result is the park model, cloned.
 * Everything else is read here, as in `loadServerConfig`.
 */
export async function loadServerConfigInWorker(file: string, env: NodeJS.ProcessEnv = process.env): Promise<ServerConfig> {
  const loaded = loadConfigFile(file, serverConfigSchema, { overrides: envOverrides(env, SERVER_ENV) });
  const park = await loadParkInWorker(parkLocation(loaded.value.park, loaded.dir).label);
  return resolveServerConfig(loaded.value, file, loaded.dir, env, shareStrings(park));
}

/** Ids and names are mostly unique: a map of every string would only be garbage. */
const SHARED_STRING_MAX_LENGTH = 16;

/**
 * A structured clone gives every string its own copy: the `analog`,
 * `holding`, `float32`… of 50,000 tags are that many strings each (4.5 MB).
 * Keeps one of each short string, in place.
 */
function shareStrings<T extends object>(root: T): T {
  const seen = new Map<string, string>();
  const visit = (node: Record<string, unknown> | unknown[]): void => {
    const keys = Array.isArray(node) ? node.keys() : Object.keys(node);
    for (const key of keys) {
      const value = (node as Record<string | number, unknown>)[key];
      if (typeof value === 'string' && value.length <= SHARED_STRING_MAX_LENGTH) {
        const kept = seen.get(value);
        if (kept === undefined) seen.set(value, value);
        else (node as Record<string | number, unknown>)[key] = kept;
      } else if (typeof value === 'object' && value !== null) visit(value as Record<string, unknown>);
    }
  };
  visit(root as Record<string, unknown>);
  return root;
}

/**
 * The worker's young generation is kept small: what the parser allocates
 * (text, parsed tree, the schema's copies) is mostly dead before the next
 * scavenge, and V8's default lets it grow to tens of MB first. 4 MB took
 * 25 MB off the start-up peak with 50,000 tags, at no measurable cost in time.
 * The old generation is not limited: a large park must not fail to load.
 */
const PARSE_WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 } as const;

function loadParkInWorker(file: string): Promise<ParkConfig> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./park-worker.js', import.meta.url), { workerData: { file }, resourceLimits: PARSE_WORKER_LIMITS });
    let settled = false;
    worker.once('message', (r: ParkWorkerResult) => {
      settled = true;
      if (r.ok) resolve(r.park);
      else reject('problems' in r ? new ConfigError(r.problems) : new Error(r.error));
    });
    worker.once('error', (err) => {
      settled = true;
      reject(err);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`park model worker exited with code ${code} without a result`));
    });
  });
}

/** The park file's absolute path, and its name in errors: as the user sees it from where they run the command. */
function parkLocation(park: string, dir: string): { file: string; label: string } {
  const file = path.resolve(dir, park);
  const fromCwd = path.relative(process.cwd(), file);
  return { file, label: fromCwd && !fromCwd.startsWith('..') ? fromCwd : file };
}

/** For tests and embedding: a config given as an object, validated the same way. */
export function serverConfigFromObject(value: unknown, label = 'server config', baseDir = process.cwd()): ServerConfig {
  const parsed = parseConfigText(JSON.stringify(value), label, serverConfigSchema);
  return resolveServerConfig(parsed, label, baseDir, {});
}

function resolveServerConfig(value: ServerConfigFile, file: string, dir: string, env: NodeJS.ProcessEnv, loadedPark?: ParkConfig): ServerConfig {
  const { file: parkFile, label: parkLabel } = parkLocation(value.park, dir);
  const parkModel = loadedPark ?? loadConfigFile(parkLabel, parkSchema).value;
  // DATA_DIR is read relative to where the command runs, like any shell path.
  const dataDir = env['DATA_DIR'] ? path.resolve(env['DATA_DIR']) : path.resolve(dir, value.dataDir);
  const { park: _park, web, ...rest } = value;
  const label = (p: string): string => {
    const rel = path.relative(process.cwd(), p);
    return rel && !rel.startsWith('..') ? rel : p;
  };
  const emergencyData = value.emergency.cards
    ? loadEmergency(parkModel, label(path.resolve(dir, value.emergency.cards)), value.emergency.map ? label(path.resolve(dir, value.emergency.map)) : undefined)
    : undefined;
  const hazardRegister = value.hazards.register
    ? loadHazardRegister(label(path.resolve(dir, value.hazards.register)), parkModel, label(path.resolve(dir, value.hazards.catalogue)))
    : undefined;
  const environmentSetup = value.environment.monitors ? loadEnvironment(label(path.resolve(dir, value.environment.monitors)), parkModel) : undefined;
  const hazardObligations = value.hazards.obligations ? loadObligations(label(path.resolve(dir, value.hazards.obligations))) : undefined;
  const chain = value.alarms.escalation.chain;
  if (chain) {
    const known = new Set(parkModel.sites.flatMap((s) => s.hazardSources.map((h) => h.id)));
    const unknown = Object.keys(chain.installations).filter((hs) => !known.has(hs));
    if (unknown.length > 0) throw new ConfigError(unknown.map((hs) => ({ file, path: `alarms.escalation.chain.installations.${hs}`, reason: `unknown hazard source "${hs}" (the park model has ${[...known].join(', ')})` })));
  }
  const tls = rest.mqtt.tls;
  if (tls) {
    for (const key of ['caFile', 'certFile', 'keyFile'] as const) {
      const f = tls[key];
      if (f === undefined) continue;
      tls[key] = path.resolve(dir, f);
      if (!existsSync(tls[key])) throw new ConfigError([{ file, path: `mqtt.tls.${key}`, reason: `file not found: ${tls[key]}` }]);
    }
  }
  return {
    ...rest,
    dataDir,
    configFile: path.resolve(file),
    parkFile,
    parkModel,
    webDir: web.dir ? path.resolve(dir, web.dir) : defaultWebDir(),
    ...(hazardRegister ? { hazardRegister } : {}),
    ...(hazardObligations ? { hazardObligations } : {}),
    ...(environmentSetup ? { environmentSetup } : {}),
    ...(emergencyData ? { emergencyData } : {}),
  };
}

export function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(path.join(SERVER_PACKAGE, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}
