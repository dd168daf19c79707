/*
 * The gateway's wiring.
 *
 *   devices ──> drivers ──samples──> ReportFilter ──> Batcher ──batches──> Publisher ──QoS 1──> MQTT broker
 *   (OPC UA,    (one per   (deadband,   (bounded,      (count/delay   │   (live, seq)     ▲
 *    Modbus)     device)    integrity)   drops oldest)  caps)         │                    │ replay: true
 *        ▲ PollScheduler                                              └──> Outbox (disk) ──┘
 *
 * Start: state (outbox, seq), consumers (publisher, batcher, filter), then producers (drivers, poll
 * scheduler). Stop in reverse: producers, then flush the batcher, then the publisher, then state.
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { MAX_COUNTERS_PER_STATUS, MAX_DESCRIPTION_LENGTH, MAX_MESSAGE_BYTES, MAX_TAGS_PER_META, type DeviceStatus, type MetaMessage, type StatusMessage } from '@park/protocol';
import type { DeviceConfig } from '@park/protocol/config';
import { ClockSyncMonitor } from './clock-sync.js';
import { readVersion, type GatewayConfig } from './config.js';
import { Batcher } from './core/batcher.js';
import { ReportFilter } from './core/report-filter.js';
import { SeqStore } from './core/seq-store.js';
import { newDeviceCounters, type DeviceCounters, type Sample } from './core/types.js';
import { DriverConfigError, type Driver, type DriverPlan } from './drivers/driver.js';
import { modbusSource } from './drivers/modbus/driver.js';
import { PollScheduler } from './drivers/poll-scheduler.js';
import { createDriver } from './drivers/registry.js';
import { label, startMetricsServer } from './metrics/prometheus.js';
import { Publisher } from './mqtt/publisher.js';
import { Outbox } from './outbox/segment-log.js';
import { fitMetaToContract } from './mqtt/meta-fit.js';

export interface RunningGateway {
  readonly id: string;
  /** The local `/metrics` URL when enabled. */
  readonly metricsUrl: string | undefined;
  status(): StatusMessage;
  counters(): Record<string, number>;
  metrics(): string;
  stop(): Promise<void>;
}

const STATUS_DEBOUNCE_MS = 200;

interface DeviceRuntime {
  device: DeviceConfig;
  driver: Driver;
  plan: DriverPlan;
  status: DeviceStatus;
  counters: DeviceCounters;
}

/** Validates the drivers (configuration errors throw `DriverConfigError` before any I/O), then starts everything. */
export async function startGateway(config: GatewayConfig, log: Logger): Promise<RunningGateway> {
  const version = readVersion();
  const devices: DeviceRuntime[] = [];
  for (const device of config.devices) {
    const driver = await createDriver(device);
    devices.push({ device, driver, plan: driver.init(), status: 'connecting', counters: newDeviceCounters() });
  }

  mkdirSync(config.dataDir, { recursive: true });
  const outbox = new Outbox(config.dataDir, config.outbox.maxMB * 1024 * 1024, config.outbox.segmentMB * 1024 * 1024);
  const seq = new SeqStore(config.dataDir, outbox.maxSeq + 1);
  const publisher = new Publisher(config, outbox, seq, log, version);
  const batcher = new Batcher({ maxBatchReadings: config.publish.maxBatchReadings, maxBatchDelayMs: config.publish.maxBatchDelayMs, capacity: config.publish.bufferReadings }, publisher);
  publisher.onDrain = () => batcher.drained();
  const filter = new ReportFilter(
    devices.flatMap((d) => d.device.tags.map((t): [string, number] => [t.id, t.reportDeadband ?? 0])),
    config.publish.integrityPeriodMs,
  );
  let samplesIn = 0;
  const accept = (samples: readonly Sample[]): void => {
    samplesIn += samples.length;
    batcher.push(filter.filter(samples, Date.now()));
  };

  // The clock's synchronisation state, asked every few minutes without blocking (status counters).
  const clock = new ClockSyncMonitor({
    onChange: (r) => {
      log[r.state === 'synced' ? 'info' : 'warn']({ clock: r.state, source: r.source, detail: r.detail }, 'system clock synchronisation');
      statusChanged();
    },
  });

  const counters = (): Record<string, number> => {
    const sum = (k: keyof DeviceCounters) => devices.reduce((n, d) => n + d.counters[k], 0);
    const ob = outbox.stats();
    const p = publisher.counters;
    const c: Record<string, number> = {
      reads: sum('reads'),
      readErrors: sum('errors'),
      timeouts: sum('timeouts'),
      samples: samplesIn,
      suppressed: filter.suppressed,
      readingsPublished: p.readingsPublished,
      messagesPublished: p.messagesPublished,
      replayedReadings: p.replayedReadings,
      replayedMessages: p.replayedMessages,
      outboxedReadings: p.outboxedReadings,
      bufferedReadings: batcher.size(),
      bufferDropped: batcher.dropped,
      outboxMessages: ob.messages,
      outboxReadings: ob.readings,
      outboxBytes: ob.bytes,
      outboxDroppedMessages: ob.droppedMessages,
      outboxLostMessages: p.outboxLostMessages,
      outboxLostReadings: p.outboxLostReadings,
      outboxDroppedReadings: ob.droppedReadings,
      mqttConnects: p.connects,
      pollOverruns: scheduler.overruns,
      nextSeq: seq.peek(),
      ...clock.counters(),
    };
    if (Object.keys(c).length > MAX_COUNTERS_PER_STATUS) throw new RangeError('too many status counters');
    return c;
  };
  const status = (state: StatusMessage['state'] = 'online'): StatusMessage => ({
    gateway: config.gateway,
    state,
    ts: Date.now(),
    version,
    devices: Object.fromEntries(devices.map((d) => [d.device.id, d.status])),
    counters: counters(),
  });
  let statusTimer: NodeJS.Timeout | undefined;
  const statusChanged = (): void => {
    statusTimer ??= setTimeout(() => {
      statusTimer = undefined;
      publisher.setStatus(status());
    }, STATUS_DEBOUNCE_MS);
  };

  const scheduler = new PollScheduler();
  // Consumers first: the publisher connects (or parks batches in the outbox) before any reading exists.
  const catalogue = fitMetaToContract(meta(config.gateway, devices));
  if (catalogue.omitted > 0) {
    log.warn(
      { announced: catalogue.message.tags.length, omitted: catalogue.omitted, maxTags: MAX_TAGS_PER_META, maxBytes: MAX_MESSAGE_BYTES },
      'tag catalogue too large for one meta message: the last tags are not announced (their readings are still published; the server names them from the park model). Split the site across gateways to announce every tag.',
    );
  }
  publisher.start(status(), catalogue.message);
  clock.start();
  const statusInterval = setInterval(() => publisher.setStatus(status()), config.publish.statusIntervalMs);
  const integrityTimer =
    config.publish.integrityPeriodMs > 0 ? setInterval(() => batcher.push(filter.resendDue(Date.now())), Math.min(1000, Math.max(50, config.publish.integrityPeriodMs / 4))) : undefined;

  // Producers.
  for (const d of devices) {
    for (const line of d.plan.summary) log.info({ device: d.device.id, protocol: d.device.protocol }, `plan: ${line}`);
    const dlog = log.child({ device: d.device.id });
    await d.driver.start({
      log: dlog,
      emit: accept,
      dataDir: config.dataDir,
      counters: d.counters,
      state: (s) => {
        if (s === d.status) return;
        d.status = s;
        if (s === 'connected') dlog.info('device connected');
        statusChanged();
      },
    });
    d.plan.groups.forEach((g, i) =>
      scheduler.add(d.driver, i, g.intervalMs, (err) => dlog.error({ err: (err as Error).message, group: g.description }, 'poll group failed')),
    );
  }

  let metricsServer: Awaited<ReturnType<typeof startMetricsServer>> | undefined;
  const renderMetrics = (): string => {
    const lines: string[] = [];
    const c = counters();
    for (const [name, value] of Object.entries(c)) {
      const metric = `park_gateway_${name.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`)}`;
      lines.push(`# TYPE ${metric} ${/^(outbox(Messages|Readings|Bytes)|bufferedReadings|nextSeq|clockSynced|clockUnknown)$/.test(name) ? 'gauge' : 'counter'}`, `${metric}{gateway="${label(config.gateway)}"} ${value}`);
    }
    lines.push('# TYPE park_gateway_mqtt_connected gauge', `park_gateway_mqtt_connected{gateway="${label(config.gateway)}"} ${publisher.connected ? 1 : 0}`);
    lines.push('# TYPE park_gateway_device_connected gauge');
    for (const d of devices) lines.push(`park_gateway_device_connected{gateway="${label(config.gateway)}",device="${label(d.device.id)}",protocol="${d.device.protocol}"} ${d.status === 'connected' ? 1 : 0}`);
    for (const k of ['reads', 'errors', 'timeouts'] as const) {
      lines.push(`# TYPE park_gateway_device_${k}_total counter`);
      for (const d of devices) lines.push(`park_gateway_device_${k}_total{gateway="${label(config.gateway)}",device="${label(d.device.id)}"} ${d.counters[k]}`);
    }
    return `${lines.join('\n')}\n`;
  };
  if (config.metrics.port !== undefined) {
    metricsServer = await startMetricsServer(config.metrics.host, config.metrics.port, renderMetrics);
  }

  log.info(
    { gateway: config.gateway, devices: devices.length, tags: devices.reduce((n, d) => n + d.device.tags.length, 0), mqtt: config.mqtt.url, dataDir: config.dataDir, outbox: outbox.pendingMessages(), nextSeq: seq.peek(), ...(metricsServer ? { metrics: metricsServer.url } : {}) },
    'gateway ready',
  );

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    // Producers first, then consumers, then state.
    await scheduler.stop();
    await Promise.allSettled(devices.map((d) => d.driver.stop()));
    if (integrityTimer) clearInterval(integrityTimer);
    clearInterval(statusInterval);
    clock.stop();
    if (statusTimer) clearTimeout(statusTimer);
    batcher.flush(true);
    batcher.close();
    await publisher.stop(status('offline'));
    await metricsServer?.close();
    seq.close();
    outbox.close();
  };
  return {
    id: config.gateway,
    metricsUrl: metricsServer?.url,
    status: () => status(),
    counters,
    metrics: renderMetrics,
    stop: () => (stopping ??= stop()),
  };
}

function meta(gateway: string, devices: readonly DeviceRuntime[]): MetaMessage {
  return {
    gateway,
    ts: Date.now(),
    tags: devices.flatMap(({ device }) =>
      device.tags.map((tag) => ({
        id: tag.id,
        device: device.id,
        kind: tag.kind,
        unit: tag.unit,
        description: `${tag.description.zh} / ${tag.description.en}`.slice(0, MAX_DESCRIPTION_LENGTH),
        source: device.protocol === 'opcua' ? `opcua:${(tag.address as { nodeId: string }).nodeId}`.slice(0, 256) : modbusSource(device, tag as Extract<DeviceConfig, { protocol: 'modbus-tcp' }>['tags'][number]),
      })),
    ),
  };
}

export { DriverConfigError };
