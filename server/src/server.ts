/*
 * Wiring of the park server. Consumers start before producers and stop in
 * reverse:
 *
 *   InfluxDB (managed child or external) ─┐
 *   external MQTT broker ─────────────────┼─> MQTT client ─> ingest ─┬─> InfluxDB
 *   or embedded broker (its publish hook) ┘                          ├─> live values ─┐
 *                                                                    └─> gateways ────┤
 *   HTTP (REST, web app, /metrics) <── health, catalogue, audit ──── Socket.IO <──────┘
 */
import path from 'node:path';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import type { ServerConfig } from './config.js';
import { readVersion } from './config.js';
import type { Logger } from './log.js';
import { HealthRegistry } from './health.js';
import { createHttpApp } from './http/app.js';
import { startManagedInfluxd } from './influx/influxd-process.js';
import { InfluxStore } from './influx/influx-store.js';
import { parseInfluxUrl, DEFAULT_DATABASE } from './influx/influx-url.js';
import { startEmbeddedBroker } from './mqtt/embedded-broker.js';
import { Ingest } from './ingest/ingest.js';
import { Catalogue } from './catalogue.js';
import { LiveValues } from './live-values.js';
import { Gateways } from './gateways.js';
import { AuditLog } from './audit/audit-log.js';
import { DemoPasswordError, UserDirectory } from './auth/users.js';
import { SessionStore } from './auth/sessions.js';
import { LoginThrottle } from './auth/login-throttle.js';
import { registerAuthRoutes, type AuthContext } from './http/auth-routes.js';
import { registerApiRoutes } from './http/api-routes.js';
import { registerMetrics } from './http/metrics.js';
import { SocketHub } from './realtime/socket-hub.js';
import { AlarmEngine, AlarmRuleError } from './alarms/engine.js';
import { normalizeRule, rulesFromPark } from './alarms/rules.js';
import { averageAlarmRules, averageCatalogueTags, ENVIRONMENT_GATEWAY } from './environment/environment.js';
import { AverageMonitor } from './environment/average-monitor.js';
import { registerEnvironmentRoutes } from './environment/environment-routes.js';
import { AlarmJournal } from './alarm-service/alarm-journal.js';
import { AlarmService } from './alarm-service/alarm-service.js';
import { EscalationNotifier } from './alarm-service/escalation-notifier.js';
import { ChainPolicies, EscalationChain } from './alarm-service/escalation-chain.js';
import { EscalationChainJournal } from './alarm-service/escalation-chain-journal.js';
import { registerAlarmRoutes } from './http/alarm-routes.js';
import { registerHazardRoutes } from './hazards/hazard-routes.js';
import { summarizeUnit } from './hazards/register.js';
import { RiskMonitor } from './risk/risk-monitor.js';
import { createEmergency } from './emergency/emergency.js';
import { registerEmergencyRoutes } from './emergency/emergency-routes.js';
import { IncidentFeed } from './incident-feed/incident-feed.js';
import { IncidentFeedService } from './incident-feed/incident-feed-service.js';
import { registerIncidentFeedRoutes } from './incident-feed/feed-routes.js';

export interface RunningServer {
  /** Base URL of the HTTP server, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly mqttUrl: string;
  /** InfluxDB base URL and database. */
  readonly influxUrl: string;
  readonly database: string;
  readonly store: InfluxStore;
  readonly ingest: Ingest;
  readonly audit: AuditLog;
  stop(): Promise<void>;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

export async function startServer(config: ServerConfig, log: Logger): Promise<RunningServer> {
  const stack: { name: string; stop: () => Promise<void> }[] = [];
  const stopAll = async (): Promise<void> => {
    for (const part of stack.reverse()) {
      try {
        await part.stop();
      } catch (err) {
        log.warn({ part: part.name, err: (err as Error).message }, 'stop failed');
      }
    }
    stack.length = 0;
  };
  try {
    return await start(config, log, stack, stopAll);
  } catch (err) {
    await stopAll();
    throw err;
  }
}

async function start(
  config: ServerConfig,
  log: Logger,
  stack: { name: string; stop: () => Promise<void> }[],
  stopAll: () => Promise<void>,
): Promise<RunningServer> {
  const health = new HealthRegistry();

  // InfluxDB
  let influxBase: string;
  let database = DEFAULT_DATABASE;
  if (config.influx.url) {
    const target = parseInfluxUrl(config.influx.url);
    database = target.database;
    influxBase = `${target.protocol}://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  } else {
    const dir = path.join(config.dataDir, 'influxdb');
    log.info({ dir, httpPort: config.influx.managed.httpPort }, 'starting managed influxd');
    const managed = await startManagedInfluxd({ dir, httpPort: config.influx.managed.httpPort, rpcPort: config.influx.managed.rpcPort, binary: config.influx.managed.binary, gcPercent: config.influx.managed.gcPercent, cacheSnapshotMB: config.influx.managed.cacheSnapshotMB });
    stack.push({ name: 'influxd', stop: () => managed.stop() });
    influxBase = managed.url;
  }
  const store = new InfluxStore(parseInfluxUrl(`${config.influx.url ?? `${influxBase}/${database}`}`));
  health.register('influxdb', async () => ((await store.ping(1500)) ? { status: 'ok', detail: `${influxBase} database ${database}` } : { status: 'down', detail: `${influxBase} does not answer` }));

  const audit = new AuditLog(store, log.child({ part: 'audit' }));
  stack.push({
    name: 'audit',
    stop: async () => {
      await audit.drain();
      audit.close();
    },
  });
  let users: UserDirectory;
  try {
    users = await UserDirectory.create({ users: config.auth.users, tokens: config.auth.tokens, demo: config.demo });
  } catch (err) {
    if (err instanceof DemoPasswordError) throw new ServerStartError(err.message);
    throw err;
  }
  if (users.count() === 0) log.warn('no users configured (auth.users) and demo is off: nobody can log in');
  const sessionTtlMs = config.auth.sessionHours * 3600_000;
  const auth: AuthContext = { users, sessions: new SessionStore(sessionTtlMs), throttle: new LoginThrottle(), audit, sessionTtlMs, secureCookies: config.auth.secureCookies };

  const catalogue = new Catalogue(config.parkModel);
  if (config.environmentSetup) catalogue.addDerived(averageCatalogueTags(config.environmentSetup, ENVIRONMENT_GATEWAY));
  const live = new LiveValues();
  const gateways = new Gateways();
  let engine: AlarmEngine;
  try {
    const environmentRules = config.environmentSetup ? averageAlarmRules(config.environmentSetup, ENVIRONMENT_GATEWAY).map((r) => normalizeRule(r)) : [];
    engine = new AlarmEngine([...rulesFromPark(config.parkModel), ...environmentRules], {
      escalateAfterMs: config.alarms.escalation.afterSeconds * 1000,
      firstOutWindowMs: config.alarms.firstOutWindowMinutes * 60_000,
    });
  } catch (err) {
    if (err instanceof AlarmRuleError) throw new ServerStartError(`alarm rules from ${config.parkFile} are inconsistent:\n${err.problems.join('\n')}`);
    throw err;
  }
  // From the engine's own table: a map of each held two more entries per tag (7 MB with 50,000 tags).
  const areaOf = (id: string): string | undefined => engine.rule(id)?.area;
  const hazardSourceOf = (id: string): string | undefined => engine.rule(id)?.hazardSource ?? undefined;
  const journal = new AlarmJournal(store, log.child({ part: 'alarm-journal' }), (id) => areaOf(id) ?? '');
  const webhook = config.alarms.escalation.webhook;
  const parkLabel = { id: config.parkModel.park.id, name: config.parkModel.park.name };
  // With an escalation chain, the chain pages and pushes each step; without one, the engine's single step does.
  const chainConfig = config.alarms.escalation.chain;
  const notifier = webhook && !chainConfig ? new EscalationNotifier(webhook, parkLabel, (a) => journal.recordEscalationAttempt(a), log.child({ part: 'escalation' })) : undefined;
  let chain: EscalationChain | undefined;
  let stopChain: (() => Promise<void>) | undefined;
  if (chainConfig) {
    const chainJournal = new EscalationChainJournal(store, log.child({ part: 'escalation-chain' }));
    const pager = webhook ? new EscalationNotifier(webhook, parkLabel, (a) => chainJournal.attempt(a), log.child({ part: 'escalation-chain' })) : undefined;
    chain = new EscalationChain({
      policies: new ChainPolicies(chainConfig, config.alarms.escalation.afterSeconds),
      hazardSourceOf: (alarmId) => hazardSourceOf(alarmId),
      push: (e) => hub?.escalationStep(e),
      notify: pager ? (e) => pager.notifyStep(e) : undefined,
      journal: (r) => chainJournal.record(r),
      log: log.child({ part: 'escalation-chain' }),
    });
    const c = chain;
    stopChain = async () => {
      c.stopTimer();
      pager?.stop();
      await chainJournal.drain();
      chainJournal.close();
    };
  }
  const majorLevels = new Map((config.hazardRegister?.units ?? []).map((u) => [u.id, summarizeUnit(u).level]));
  const risk = new RiskMonitor({
    rules: engine.rules(),
    hazardSources: config.parkModel.sites.flatMap((s) => s.hazardSources.map((h) => ({ id: h.id, site: s.id }))),
    majorLevel: (hs) => majorLevels.get(hs) ?? null,
    onChange: (event) => {
      journal.recordRisk(event);
      log.info({ hazardSource: event.hazardSource, colour: event.colour, previous: event.previous }, 'risk early warning changed');
      hub?.risk(event);
    },
  });
  const siteOfHazardSource = new Map(config.parkModel.sites.flatMap((s) => s.hazardSources.map((h) => [h.id, s.id] as const)));
  const feed = new IncidentFeedService(
    new IncidentFeed({ hazardSourceOf: (id) => hazardSourceOf(id), siteOf: (hs) => siteOfHazardSource.get(hs) ?? '' }),
    store,
    log.child({ part: 'incident-feed' }),
    (change) => log.info({ incident: change.incident.id, change: change.type, alarm: change.alarmId }, 'incident feed'),
  );
  const alarms = new AlarmService({
    engine,
    journal,
    audit,
    log: log.child({ part: 'alarms' }),
    restoreWindowMs: config.influx.retention.eventDays * 86_400_000,
    areaOf: (id) => areaOf(id),
    afterChange: (active, now) => {
      risk.update(active, now);
      feed.update(active, now);
    },
    ...(notifier ? { notifier } : {}),
  });
  let hub: SocketHub | undefined;
  const emergency = config.emergencyData ? createEmergency({ data: config.emergencyData, store, audit, log, live }) : undefined;

  // Ingest (consumer) before the MQTT client (producer).
  const ingest = new Ingest({
    store,
    retention: config.influx.retention,
    spoolDir: path.join(config.dataDir, 'spool'),
    acceptLogDir: path.join(config.dataDir, 'accept'),
    memoryLimit: config.ingest.memoryLimit,
    parallelWrites: config.ingest.parallelWrites,
    maxSpoolBytes: config.ingest.maxSpoolMB * 1024 * 1024,
    // Instances sharing the data ($share) each see part of it: InfluxDB's continuous query rolls up then.
    rollupBy: config.mqtt.sharedGroup ? 'continuous-query' : 'server',
    rollupStateFile: path.join(config.dataDir, 'rollup-state.json'),
    park: config.parkModel,
    log: log.child({ part: 'ingest' }),
    onData: (msg, receivedAt, slots) => {
      live.apply(msg, receivedAt, slots);
      alarms.onData(msg, slots);
      emergency?.onData(msg);
    },
    onStatus: (status, receivedAt) => {
      alarms.onGatewayStatus(status);
      const { event, changed } = gateways.apply(status, receivedAt);
      if (changed) {
        log.info({ gateway: status.gateway, state: status.state }, 'gateway status');
        hub?.gateway(event);
      }
    },
    onMeta: (meta) => catalogue.applyMeta(meta),
  });
  await ingest.start();
  stack.push({ name: 'ingest', stop: () => ingest.stop() });
  // After ingest.start(): the journal's retention policy exists by then.
  // The feed first: restoring the alarms updates it.
  await feed.restore(Date.now() - config.influx.retention.eventDays * 86_400_000);
  stack.push({
    name: 'incident-feed',
    stop: async () => {
      await feed.drain();
      feed.close();
    },
  });
  await alarms.start();
  stack.push({ name: 'alarms', stop: () => alarms.stop() });
  if (config.environmentSetup) {
    let seq = 0;
    const averages = new AverageMonitor(config.environmentSetup, store, (readings) => ingest.acceptLocal({ gateway: ENVIRONMENT_GATEWAY, seq: ++seq, readings }), log.child({ part: 'environment' }));
    averages.start();
    stack.push({ name: 'environment', stop: () => averages.stop() });
  }
  if (chain && stopChain) {
    chain.start();
    // Stopped before the alarms, so no step fires while they shut down.
    stack.push({ name: 'escalation-chain', stop: stopChain });
  }
  if (emergency) {
    await emergency.start(Date.now() - config.influx.retention.eventDays * 86_400_000);
    stack.push({
      name: 'emergency',
      stop: async () => {
        await emergency.drain();
        emergency.close();
      },
    });
  }
  health.register('ingest', () => ingest.health());

  const root = config.mqtt.topicRoot;
  let mqttUrl: string;
  if (config.mqtt.url) {
    const url = config.mqtt.url;
    mqttUrl = url;
    const client: MqttClient = mqtt.connect(url, mqttClientOptions(config));
    stack.push({ name: 'mqtt', stop: () => client.endAsync(true).then(() => undefined) });
    client.on('connect', () => {
      log.info({ url }, 'connected to MQTT broker');
      const data = config.mqtt.sharedGroup ? `$share/${config.mqtt.sharedGroup}/${root}/+/data` : `${root}/+/data`;
      client.subscribe([data, `${root}/+/status`, `${root}/+/meta`], { qos: 1 }, (err) => {
        if (err) log.error({ err: err.message }, 'MQTT subscribe failed');
      });
    });
    client.on('error', (err) => log.warn({ err: err.message }, 'MQTT client error'));
    client.on('message', (topic, payload) => ingest.onMessage(root, topic, payload));
    health.register('mqtt', () => (client.connected ? { status: 'ok', detail: url } : { status: 'down', detail: `not connected to ${url}` }), { critical: true });
  } else {
    // The embedded broker hands every message to the ingest before it acknowledges it
    // (a PUBACK the broker sent means the message is in the accept log), so the server
    // needs no client of its own. It starts only now, with the ingest and its consumers
    // ready: nothing is acknowledged that nobody takes. It stops first, and refuses
    // publishes from then on.
    const b = await startEmbeddedBroker({ ...config.mqtt.embedded, beforeAcknowledge: (topic, payload) => ingest.onPublish(root, topic, payload) });
    stack.push({ name: 'broker', stop: () => b.close() });
    mqttUrl = b.url;
    log.info({ url: mqttUrl }, 'embedded MQTT broker listening');
    health.register('mqtt', () => ({ status: 'ok', detail: `${b.url} (embedded)` }), { critical: true });
    health.register('broker', () => ({ status: 'ok', detail: `embedded at ${b.url}, ${b.connectedClients()} clients` }));
  }
  health.register('gateways', () => {
    const list = gateways.list();
    const offline = list.filter((g) => g.state !== 'online').map((g) => g.gateway);
    if (list.length === 0) return { status: 'ok', detail: 'no gateway has reported yet' };
    return offline.length > 0 ? { status: 'degraded', detail: `offline: ${offline.join(', ')}` } : { status: 'ok', detail: `${list.length} online` };
  });

  // HTTP last: it reports on everything above.
  const app = await createHttpApp({ logger: log, health, webDir: config.webDir });
  registerAuthRoutes(app, auth);
  registerApiRoutes(app, { auth, catalogue, live, gateways, store, risk: (hs) => risk.all().find((r) => r.hazardSource === hs) });
  registerAlarmRoutes(app, { auth, alarms, journal });
  if (config.hazardRegister) {
    const obligations = config.hazardObligations && { data: config.hazardObligations, context: { park: config.parkModel, rules: engine.rules(), rawRetentionDays: config.influx.retention.rawDays } };
    registerHazardRoutes(app, { auth, register: config.hazardRegister, catalogue, live, obligations });
  }
  if (emergency) registerEmergencyRoutes(app, { auth, live, emergency });
  registerIncidentFeedRoutes(app, { auth, feed: feed.feed });
  registerEnvironmentRoutes(app, { auth, setup: config.environmentSetup });
  registerMetrics(app, { ingest, audit, socketClients: () => hub?.clients() ?? 0 });
  hub = new SocketHub(app.server, { auth, catalogue, live, gateways, alarms, risks: () => risk.all(), alarmSite: (id) => areaOf(id), alarmHazardSource: (id) => hazardSourceOf(id), log: log.child({ part: 'socket' }) });
  const h = hub;
  // Displays hear every transition; the incident record takes the alarms of its installation.
  alarms.announceTo({
    alarm: (e) => {
      h.alarm(e);
      emergency?.onAlarm(e);
      chain?.onAlarm(e);
    },
    escalation: (e) => {
      if (!chain) h.escalation(e);
    },
    flood: (e) => h.flood(e),
  });
  emergency?.onIncidentChange((e) => h.incident(e));
  stack.push({
    name: 'http',
    stop: async () => {
      h.close();
      await app.close();
    },
  });
  try {
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ServerStartError(
      e.code === 'EADDRINUSE'
        ? `HTTP port ${config.http.host}:${config.http.port} is already in use: stop the program using it or set PORT to another port`
        : `cannot listen on ${config.http.host}:${config.http.port}: ${e.message}`,
    );
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log.info({ url, version: readVersion(), park: config.parkModel.park.id }, 'server ready');

  return { url, mqttUrl, influxUrl: influxBase, database, store, ingest, audit, stop: stopAll };
}

function mqttClientOptions(config: ServerConfig): mqtt.IClientOptions {
  const m = config.mqtt;
  const tls = m.tls;
  return {
    clientId: m.clientId,
    clean: false,
    protocolVersion: m.protocolVersion,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(tls
      ? {
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.caFile ? { ca: readFileSync(tls.caFile) } : {}),
          ...(tls.certFile ? { cert: readFileSync(tls.certFile) } : {}),
          ...(tls.keyFile ? { key: readFileSync(tls.keyFile) } : {}),
        }
      : {}),
  };
}
