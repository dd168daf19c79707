/*
 * `park-gateway check`: commissioning of one gateway configuration.
 *
 *   config ──> drivers (the gateway's own: init = plan, start, one readGroup per poll group)
 *                 └─ first sample of every tag ──┐
 *   broker probe (own client id, no will) ───────┼──> CheckReport ──> table / JSON, exit code
 *   clock probe (timedatectl, chronyc, …) ───────┘
 *
 * Devices are checked at once, each until every tag has a sample, the
 * device reports an error, or the deadline passes. Nothing is published
 * unless `publish` is set. Configuration problems (the drivers' `init`)
 * throw `DriverConfigError` before any I/O.
 */
import { mkdirSync } from 'node:fs';
import { Writable } from 'node:stream';
import type { DeviceStatus, Reading } from '@park/protocol';
import type { DeviceConfig } from '@park/protocol/config';
import { checkClockSync, type CommandRunner } from '../clock-sync.js';
import { readVersion, type GatewayConfig } from '../config.js';
import { ReportFilter } from '../core/report-filter.js';
import { SeqStore } from '../core/seq-store.js';
import { newDeviceCounters, type Sample } from '../core/types.js';
import type { Driver, DriverPlan } from '../drivers/driver.js';
import { modbusSettings, TABLE_SHORT, type ModbusDevice } from '../drivers/modbus/config.js';
import { modbusSource } from '../drivers/modbus/driver.js';
import { planGroups } from '../drivers/modbus/plan.js';
import { createDriver } from '../drivers/registry.js';
import { createLogger } from '../log.js';
import { closeBroker, connectBroker, publishReadings } from './broker.js';
import type { CheckReport, DeviceCheck, PlanRow, TagCheck, UnresolvedNode } from './report.js';

export interface CheckOptions {
  /** How long a device may take to deliver every tag's first value. Default 20 s. */
  timeoutMs?: number;
  /** Publish the first values as a data message. Default false. */
  publish?: boolean;
  /** For tests: the clock probe's command runner. */
  clockRunner?: CommandRunner;
}

export const CHECK_TIMEOUT_MS = 20_000;

/** OPC UA status names meaning "the server does not know this node". */
const UNRESOLVED_STATUS = new Set(['BadNodeIdUnknown', 'BadNodeIdInvalid', 'BadNoMatch', 'BadBrowseNameInvalid', 'BadAttributeIdInvalid']);

interface Note {
  device: string;
  level: 'info' | 'warn' | 'error';
  text: string;
  /** The driver log's fields (tag, browsePath, status, …). */
  fields: Record<string, unknown>;
}

interface DeviceRun {
  device: DeviceConfig;
  driver: Driver;
  plan: DriverPlan;
  state: DeviceStatus;
  first: Map<string, Sample>;
}

/** Validates every driver (throws `DriverConfigError`), then runs the check. */
export async function runCheck(config: GatewayConfig, options: CheckOptions = {}): Promise<CheckReport> {
  const startedAt = Date.now();
  const timeoutMs = options.timeoutMs ?? CHECK_TIMEOUT_MS;
  const runs: DeviceRun[] = [];
  for (const device of config.devices) {
    const driver = await createDriver(device);
    runs.push({ device, driver, plan: driver.init(), state: 'connecting', first: new Map() });
  }

  const notes: Note[] = [];
  const failures: string[] = [];
  const warnings: string[] = [];
  // The drivers' own log lines (warnings, errors, block splits) become notes of the report.
  const capture = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        try {
          const { level, msg, device, name: _n, time: _t, pid: _p, hostname: _h, ...fields } = JSON.parse(line) as Record<string, unknown>;
          const lvl = typeof level === 'number' && level >= 50 ? 'error' : typeof level === 'number' && level >= 40 ? 'warn' : 'info';
          const text = String(msg ?? '');
          if (lvl === 'info' && !/split|refused/.test(text)) continue;
          notes.push({ device: typeof device === 'string' ? device : '', level: lvl, text, fields });
        } catch {
          // not a log record
        }
      }
      cb();
    },
  });
  const log = createLogger('info', `check:${config.gateway}`, capture);

  let dataDirOk = true;
  if (runs.some((r) => r.device.protocol === 'opcua') || options.publish) {
    try {
      mkdirSync(config.dataDir, { recursive: true });
    } catch (err) {
      dataDirOk = false;
      failures.push(`dataDir ${config.dataDir} cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): run the check as the service user (sudo -u park-gateway …) or set DATA_DIR`);
    }
  }

  const brokerP = connectBroker(config, Math.min(timeoutMs, config.mqtt.connectTimeoutMs));
  const clockP = checkClockSync(options.clockRunner);
  await Promise.all(runs.map((r) => (dataDirOk || r.device.protocol !== 'opcua' ? checkDevice(r, config, log, timeoutMs) : Promise.resolve())));
  const [{ check: broker, client }, clock] = await Promise.all([brokerP, clockP]);

  // Devices, tags, plan.
  const devices: DeviceCheck[] = [];
  const tags: TagCheck[] = [];
  const plan: PlanRow[] = [];
  const unresolved: UnresolvedNode[] = [];
  for (const r of runs) {
    const d = r.device;
    let good = 0;
    let uncertain = 0;
    let bad = 0;
    for (const tag of d.tags) {
      const s = r.first.get(tag.id);
      const q = s?.q ?? 'bad';
      if (q === 'good') good++;
      else if (q === 'uncertain') uncertain++;
      else bad++;
      const err = s ? s.err : 'no-value';
      const source = d.protocol === 'opcua' ? `opcua:${(tag.address as { nodeId: string }).nodeId}` : modbusSource(d, tag as ModbusDevice['tags'][number]);
      tags.push({
        id: tag.id,
        device: d.id,
        kind: tag.kind,
        unit: tag.unit,
        value: s && q !== 'bad' && Number.isFinite(s.v) ? s.v : null,
        q,
        ...(err !== undefined ? { err } : {}),
        ts: s ? s.ts : null,
        source,
        description: [tag.description.zh, tag.description.en].filter((x) => x).join(' / '),
      });
      if (d.protocol === 'opcua' && s?.err && UNRESOLVED_STATUS.has(s.err)) {
        unresolved.push({ device: d.id, tag: tag.id, node: (tag.address as { nodeId: string }).nodeId, reason: s.err });
      }
    }
    if (d.protocol === 'opcua') {
      for (const n of notes) {
        if (n.device !== d.id || !n.text.startsWith('browse path not resolved')) continue;
        unresolved.push({ device: d.id, tag: String(n.fields['tag'] ?? ''), node: String(n.fields['browsePath'] ?? ''), reason: `${String(n.fields['status'] ?? 'not found')} (browse path; nodeId used instead)` });
      }
    } else {
      const s = modbusSettings(d);
      for (const g of planGroups(d.tags, s)) {
        for (const b of g.blocks) plan.push({ device: d.id, unit: s.unitId, intervalMs: g.intervalMs, table: TABLE_SHORT[b.table], start: b.start, count: b.count, tags: b.tags.map((t) => t.tag.id) });
      }
    }
    const reachable = r.state === 'connected';
    const badErrs = [...new Set(d.tags.map((t) => r.first.get(t.id)).filter((s) => s && s.q === 'bad').map((s) => s?.err ?? 'bad'))];
    let reason = '';
    if (!reachable) reason = r.state === 'connecting' ? `no connection within ${Math.round(timeoutMs / 1000)} s` : r.state.replace(/^error: /, '');
    else if (bad > 0) reason = `${bad} tag${bad === 1 ? '' : 's'} bad${badErrs.length > 0 ? ` (${badErrs.slice(0, 4).join(', ')})` : ''}`;
    devices.push({ id: d.id, protocol: d.protocol, address: deviceAddress(d), reachable, state: r.state, reason, tags: d.tags.length, good, uncertain, bad });
    if (!reachable) failures.push(`device "${d.id}" (${deviceAddress(d)}) unreachable: ${reason}`);
    else if (bad > 0) failures.push(`device "${d.id}": ${reason}`);
    if (uncertain > 0) warnings.push(`device "${d.id}": ${uncertain} tag${uncertain === 1 ? '' : 's'} of uncertain quality`);
  }
  if (unresolved.length > 0) warnings.push(`${unresolved.length} OPC UA node${unresolved.length === 1 ? '' : 's'} not resolved`);
  if (!broker.reachable) failures.push(`broker ${broker.url} unreachable: ${broker.reason}`);
  if (clock.state === 'unsynced') warnings.push(`system clock not synchronised (${clock.source}: ${clock.detail}): timestamps made on this box may be wrong`);
  else if (clock.state === 'unknown') warnings.push(`system clock synchronisation unknown (${clock.detail})`);

  // --publish: the first values, through the report filter (bad values carry 0 as the contract asks).
  let published = 0;
  if (options.publish && client && dataDirOk) {
    const filter = new ReportFilter([], 0);
    const readings: Reading[] = filter.filter(
      runs.flatMap((r) => [...r.first.values()]),
      Date.now(),
    );
    const seq = new SeqStore(config.dataDir);
    try {
      published = await publishReadings(client, config, readings, () => seq.take());
    } catch (err) {
      failures.push(`publish to ${broker.url} failed: ${(err as Error).message}`);
    } finally {
      seq.close();
    }
  } else if (options.publish && !client) {
    failures.push('--publish: nothing published, the broker is not reachable');
  }
  await closeBroker(client);

  return {
    gateway: config.gateway,
    version: readVersion(),
    configFile: config.configFile,
    startedAt,
    durationMs: Date.now() - startedAt,
    result: failures.length === 0 ? 'pass' : 'fail',
    failures,
    warnings,
    devices,
    plan,
    tags,
    unresolved,
    clock,
    broker,
    notes: notes.map(({ device, level, text, fields }) => ({ device, level, text: noteText(text, fields) })),
    published,
  };
}

/** Runs one device until every tag has a first sample, it fails, or the deadline passes; then stops it. */
async function checkDevice(r: DeviceRun, config: GatewayConfig, log: ReturnType<typeof createLogger>, timeoutMs: number): Promise<void> {
  const ids = r.device.tags.map((t) => t.id);
  let wake: (() => void) | undefined;
  const complete = (): boolean => ids.every((id) => r.first.has(id));
  await r.driver.start({
    log: log.child({ device: r.device.id }),
    dataDir: config.dataDir,
    counters: newDeviceCounters(),
    emit: (samples) => {
      for (const s of samples) if (!r.first.has(s.id)) r.first.set(s.id, s);
      if (complete()) wake?.();
    },
    state: (s) => {
      r.state = s;
      if (s.startsWith('error')) wake?.();
    },
  });
  const deadline = Date.now() + timeoutMs;
  // Polled drivers: one round of every group (what the scheduler would do first).
  for (let i = 0; i < r.plan.groups.length && Date.now() < deadline; i++) {
    if (r.device.protocol === 'opcua') break; // OPC UA polling reads once itself when connected
    await r.driver.readGroup(i);
  }
  if (!complete() && !r.state.startsWith('error')) {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, Math.max(0, deadline - Date.now()));
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }
  // A device that failed after delivering bad samples for its tags: keep the error state, stop now.
  await r.driver.stop();
}

function deviceAddress(d: DeviceConfig): string {
  if (d.protocol === 'opcua') return d.endpoint;
  if (d.protocol === 'modbus-tcp') return `${d.host}:${d.port} unit ${d.unitId}`;
  const parity = d.parity === 'none' ? 'N' : d.parity === 'even' ? 'E' : 'O';
  return `${d.serialPath} ${d.baudRate} ${d.dataBits}${parity}${d.stopBits} unit ${d.unitId}`;
}

function noteText(text: string, fields: Record<string, unknown>): string {
  const extra = Object.entries(fields)
    .filter(([k]) => k !== 'v' && k !== 'level')
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return extra ? `${text} (${extra})` : text;
}
