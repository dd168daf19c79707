import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import mqtt, { type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, parseDataMessage, type Reading } from '@park/protocol';
import type { ParkConfig } from '@park/protocol/config';
import type { RunningSimulators } from '@park/simulators';
import { createLogger, gatewayConfigFromObject, startGateway, type RunningGateway } from '@park/gateway';
import { REPO_ROOT, DEMO_PARK_FILE } from '../../harness/park-server.js';

/**
 * Pieces of the fault runs of issue 9, shared by the short run in `npm test`
 * (chain-faults.test.ts) and the longer one of `npm run chaos`:
 * the built server command as a child process, a paced load publisher with
 * known ids and sequence, a recorder of one gateway's data messages with a
 * persistent session, and counting in InfluxDB over its HTTP API.
 */

export const SERVER_MAIN = path.join(REPO_ROOT, 'server', 'dist', 'main.js');
export const GATEWAY_MAIN = path.join(REPO_ROOT, 'gateway', 'dist', 'main.js');

/** `until(what, predicate)`: resolves once the (async) predicate holds; throws after the timeout. */
export async function until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * Polls `read` until it returns `target`, or until it has not changed for
 * `quietMs` (nothing more is coming), or the timeout; returns the last value.
 * For counts that may legitimately end short of the target (readings lost).
 */
export async function settle(read: () => Promise<number>, target: number, quietMs = 3000, timeoutMs = 30_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let changedAt = Date.now();
  while (last !== target && Date.now() - changedAt < quietMs && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const v = await read();
    if (v !== last) {
      last = v;
      changedAt = Date.now();
    }
  }
  return last;
}

// ---------------------------------------------------------------- server command

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stdout (JSON log lines). */
  output(): string;
  exited: Promise<void>;
}

export interface ServerCommand {
  url: string;
  configFile: string;
  dataDir: string;
  start(): Promise<ServerProcess>;
}

/** A config file for the built server (`server/dist/main.js --config FILE`) with an external broker and InfluxDB, a fixed HTTP port and data folder. */
export function serverCommand(options: { dir: string; httpPort: number; mqttUrl: string; influxUrl: string; clientId?: string }): ServerCommand {
  const dataDir = path.join(options.dir, 'server-data');
  mkdirSync(dataDir, { recursive: true });
  const configFile = path.join(options.dir, 'server.yaml');
  // JSON is YAML.
  writeFileSync(
    configFile,
    JSON.stringify(
      {
        park: DEMO_PARK_FILE,
        dataDir,
        demo: true,
        http: { host: '127.0.0.1', port: options.httpPort },
        mqtt: { url: options.mqttUrl, clientId: options.clientId ?? 'park-server-faults' },
        influx: { url: options.influxUrl },
        log: { level: 'info' },
      },
      null,
      2,
    ),
  );
  const url = `http://127.0.0.1:${options.httpPort}`;
  return {
    url,
    configFile,
    dataDir,
    start: async () => {
      const child = spawn(process.execPath, [SERVER_MAIN, '--config', configFile], { cwd: options.dir, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await new Promise<void>((resolve, reject) => {
        child.stdout?.on('data', (d: Buffer) => {
          if (out.length < 2_000_000) out += d.toString();
          if (out.includes('"server ready"')) resolve();
        });
        child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
        void exited.then(() => reject(new Error(`server exited (${child.exitCode ?? child.signalCode}): ${out.slice(-2000)}`)));
      });
      return { url, child, output: () => out, exited };
    },
  };
}

/** kill -9, resolved when the process is gone. */
export async function killHard(p: ServerProcess): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await p.exited;
}

export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (!res.ok) throw new Error(`login ${username}: HTTP ${res.status}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

export interface ActiveAlarm {
  id: string;
  state: string;
}

export async function activeAlarms(url: string, cookie: string): Promise<ActiveAlarm[]> {
  const list = (await (await fetch(`${url}/api/alarms`, { headers: { cookie } })).json()) as ActiveAlarm[];
  return list.map((a) => ({ id: a.id, state: a.state })).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** A counter of the server's Prometheus text, summed over its labels. */
export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

// ---------------------------------------------------------------- InfluxDB

/** Rows of an InfluxQL query over InfluxDB's HTTP API (`database` URL like http://h:p/park). */
export async function influxQuery(databaseUrl: string, q: string): Promise<unknown[][]> {
  const u = new URL(databaseUrl);
  const db = u.pathname.replace(/^\//, '');
  const res = await fetch(`${u.origin}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(q)}`);
  if (!res.ok) throw new Error(`InfluxDB query failed: HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results: { series?: { values: unknown[][] }[]; error?: string }[] };
  const r = body.results[0];
  if (r?.error) throw new Error(`InfluxDB: ${r.error}`);
  return (r?.series ?? []).flatMap((s) => s.values);
}

/** Number of stored raw readings whose id starts with `prefix` (letters, digits, dots) in [fromMs, toMs]. */
export async function countStored(databaseUrl: string, prefix: string, fromMs: number, toMs: number): Promise<number> {
  if (!/^[a-z0-9.]+$/i.test(prefix)) throw new Error(`unsafe prefix ${prefix}`);
  const rows = await influxQuery(databaseUrl, `SELECT count("v") FROM "raw"."reading" WHERE "id" =~ /^${prefix.replace(/\./g, '\\.')}/ AND time >= ${fromMs}ms AND time <= ${toMs}ms`);
  return Number(rows[0]?.[1] ?? 0);
}

/** Stored raw readings as `id@ts` keys, for the ids starting with one of `prefixes`, in [fromMs, toMs]. */
export async function storedKeys(databaseUrl: string, prefixes: string[], fromMs: number, toMs: number): Promise<Set<string>> {
  for (const prefix of prefixes) if (!/^[a-z0-9.]+$/i.test(prefix)) throw new Error(`unsafe prefix ${prefix}`);
  const re = prefixes.map((p) => p.replace(/\./g, '\\.')).join('|');
  const rows = await influxQuery(databaseUrl, `SELECT "v", "id" FROM "raw"."reading" WHERE "id" =~ /^(${re})/ AND time >= ${fromMs}ms AND time <= ${toMs}ms`);
  return new Set(rows.map((r) => `${String(r[2])}@${String(r[0])}`));
}

/** The `v` of every stored reading of a prefix in [fromMs, toMs]. */
export async function storedValues(databaseUrl: string, prefix: string, fromMs: number, toMs: number): Promise<Set<number>> {
  if (!/^[a-z0-9.]+$/i.test(prefix)) throw new Error(`unsafe prefix ${prefix}`);
  const rows = await influxQuery(databaseUrl, `SELECT "v" FROM "raw"."reading" WHERE "id" =~ /^${prefix.replace(/\./g, '\\.')}/ AND time >= ${fromMs}ms AND time <= ${toMs}ms`);
  return new Set(rows.map((r) => Number(r[1])));
}

// ---------------------------------------------------------------- load publisher

export interface LoadMessage {
  seq: number;
  /** Value of the first reading; the message holds first … first + count − 1. */
  first: number;
  count: number;
  /** Label given by the test when the broker acknowledged it (e.g. 'before', 'down', 'after'). */
  phase: string;
}

export interface LoadPublisher {
  readonly gateway: string;
  readonly prefix: string;
  readonly ts0: number;
  /** Messages the broker acknowledged (PUBACK), with the phase at that moment. */
  acked: LoadMessage[];
  /** Messages sent and never acknowledged (connection lost meanwhile): maybe delivered. */
  unacked(): number;
  phase: string;
  generated(): number;
  /** Readings of the acknowledged messages of a phase. */
  readingsIn(phase: string): number;
  /** ts range of everything generated. */
  range(): [number, number];
  stop(): Promise<void>;
}

/**
 * A test gateway publishing `ratePerSecond` readings/s at QoS 1 in messages
 * of `perMessage` readings, ten times a second, on `{root}/{gateway}/data`.
 * Reading n has id `{prefix}t{n % tags}`, ts `ts0 + ⌊n / tags⌋` and v = n:
 * every reading is its own InfluxDB point and can be found by its value.
 * Only acknowledged messages count as generated.
 */
export async function startLoad(url: string, options: { gateway?: string; prefix?: string; ratePerSecond?: number; tags?: number } = {}): Promise<LoadPublisher> {
  const gateway = options.gateway ?? 'gw-load';
  const prefix = options.prefix ?? 'load.';
  const tags = options.tags ?? 50;
  const perTick = Math.max(1, Math.round((options.ratePerSecond ?? 4000) / 10));
  const ts0 = Date.now() - 3600_000;
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `${gateway}-${process.pid}`, clean: true, reconnectPeriod: 200 });
  client.on('error', () => undefined);
  let seq = 0;
  let n = 0;
  let sending = 0;
  const pending = new Set<number>();
  let stopping: Promise<void> | undefined;
  const state: LoadPublisher = {
    gateway,
    prefix,
    ts0,
    acked: [],
    phase: 'start',
    unacked: () => pending.size,
    generated: () => state.acked.reduce((s, m) => s + m.count, 0),
    readingsIn: (phase) => state.acked.filter((m) => m.phase === phase).reduce((s, m) => s + m.count, 0),
    range: () => [ts0, ts0 + Math.ceil(n / tags) + 1],
    stop: () => (stopping ??= (async () => {
      clearInterval(timer);
      await until('load publisher acknowledgements', () => sending === 0, 10_000).catch(() => undefined);
      await client.endAsync(true);
    })()),
  };
  const tick = (): void => {
    // One message per tick at most in flight beyond the first: a slow broker slows the load (never an unbounded queue).
    if (!client.connected || sending > 4) return;
    seq++;
    const first = n;
    const readings = Array.from({ length: perTick }, (_, k) => ({ id: `${prefix}t${(first + k) % tags}`, ts: ts0 + Math.floor((first + k) / tags), v: first + k, q: 'good' as const }));
    n += perTick;
    const m = { seq, first, count: perTick };
    pending.add(seq);
    sending++;
    client.publish(dataTopic('park/v1', gateway), encodeDataMessage({ gateway, seq, readings }), { qos: 1 }, (err) => {
      sending--;
      if (err) return;
      pending.delete(m.seq);
      state.acked.push({ ...m, phase: state.phase });
    });
  };
  const timer = setInterval(tick, 100);
  return state;
}

/** Values of a set of acknowledged messages missing from `stored`. */
export function missingReadings(msgs: LoadMessage[], stored: Set<number>): { readings: number; messages: number[] } {
  let readings = 0;
  const messages: number[] = [];
  for (const m of msgs) {
    let miss = 0;
    for (let v = m.first; v < m.first + m.count; v++) if (!stored.has(v)) miss++;
    if (miss > 0) messages.push(m.seq);
    readings += miss;
  }
  return { readings, messages };
}

// ---------------------------------------------------------------- gateway

export interface ChainGateway {
  gateway: RunningGateway;
  /** What the gateway logged (JSON lines, level `info` and up). */
  log(): string;
}

/**
 * A real gateway (in this process) for one site of the demo park, reading
 * the site's Modbus TCP devices from the running simulators, as
 * test/harness/simulated-gateway.ts does; in addition a device can be
 * reached through another port (`ports`: device id → port, e.g. a
 * fault proxy in front of the simulators), and the log is kept (the gateway
 * says what went wrong there).
 */
export async function startChainGateway(o: {
  model: ParkConfig;
  sims: RunningSimulators;
  gateway: string;
  site: string;
  dataDir: string;
  mqttUrl: string;
  ports?: Record<string, number>;
  extra?: Record<string, unknown>;
}): Promise<ChainGateway> {
  const park = structuredClone(o.model);
  for (const site of park.sites) {
    site.devices = site.devices.filter((d) => d.protocol === 'modbus-tcp');
    for (const d of site.devices) if (d.protocol === 'modbus-tcp') d.port = o.ports?.[d.id] ?? o.sims.modbusPort;
  }
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      // Bounded: a long run logs for minutes; the start and the latest part are what is looked at.
      out += chunk.toString();
      if (out.length > 4_000_000) out = out.slice(-2_000_000);
      done();
    },
  });
  const config = gatewayConfigFromObject({ gateway: o.gateway, site: o.site, dataDir: o.dataDir, mqtt: { url: o.mqttUrl }, ...o.extra }, `${o.gateway}.yaml`, o.dataDir, park);
  const gateway = await startGateway(config, createLogger('info', 'gateway', sink));
  return { gateway, log: () => out };
}

/** The tag ids of a device of the park model. */
export function deviceTags(model: ParkConfig, deviceId: string): string[] {
  for (const site of model.sites) for (const d of site.devices) if (d.id === deviceId) return d.tags.map((t) => t.id);
  throw new Error(`no device ${deviceId} in the park model`);
}

// ---------------------------------------------------------------- recorder

export interface GatewayRecorder {
  /** seq → how many times it arrived. */
  seqs: Map<number, number>;
  /** `id@ts` of every reading received, with the seq and replay flag of its (last) message. */
  keys: Map<string, { seq: number; replay: boolean }>;
  readings: number;
  replayed: number;
  /** The last reading received per tag id. */
  latest: Map<string, Reading>;
  /** Every bad reading received, in arrival order. */
  bad: Reading[];
  /** Resets what was recorded (start of a measured window). */
  reset(): void;
  close(): Promise<void>;
}

/** Records one gateway's data messages through a persistent session (fixed client id, clean: false, QoS 1). */
export async function recordGateway(url: string, gateway: string): Promise<GatewayRecorder> {
  const client: MqttClient = await mqtt.connectAsync(url, { clientId: `faults-recorder-${gateway}-${process.pid}`, clean: false, reconnectPeriod: 200 });
  client.on('error', () => undefined);
  const rec: GatewayRecorder = {
    seqs: new Map(),
    keys: new Map(),
    readings: 0,
    replayed: 0,
    latest: new Map(),
    bad: [],
    reset: () => {
      rec.seqs.clear();
      rec.keys.clear();
      rec.readings = 0;
      rec.replayed = 0;
      rec.bad = [];
    },
    close: () => client.endAsync(true),
  };
  client.on('message', (_topic, payload) => {
    const r = parseDataMessage(payload, gateway);
    if (!r.ok) return;
    rec.seqs.set(r.value.seq, (rec.seqs.get(r.value.seq) ?? 0) + 1);
    for (const x of r.value.readings) {
      rec.keys.set(`${x.id}@${x.ts}`, { seq: r.value.seq, replay: r.value.replay === true });
      // Replays are older than what arrived live meanwhile: only live readings say what a tag is now.
      if (!r.value.replay) rec.latest.set(x.id, x);
      if (x.q === 'bad') rec.bad.push(x);
    }
    rec.readings += r.value.readings.length;
    if (r.value.replay) rec.replayed += r.value.readings.length;
  });
  await client.subscribeAsync(dataTopic('park/v1', gateway), { qos: 1 });
  return rec;
}

/** Seqs missing between the lowest and the highest seen, and the number seen more than once. */
export function seqReport(seqs: Map<number, number>): { first: number; last: number; missing: number[]; duplicated: number } {
  const all = [...seqs.keys()];
  const first = Math.min(...all);
  const last = Math.max(...all);
  const missing: number[] = [];
  for (let s = first; s <= last; s++) if (!seqs.has(s)) missing.push(s);
  let duplicated = 0;
  for (const c of seqs.values()) if (c > 1) duplicated += c - 1;
  return { first, last, missing, duplicated };
}
