import path from 'node:path';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  ClientSubscription,
  coerceNodeId,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  makeBrowsePath,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type NodeId,
  type UserIdentityInfo,
} from 'node-opcua-client';
import { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import type { DeviceConfig } from '@park/protocol/config';
import type { Sample } from '../../core/types.js';
import { DriverConfigError, type Driver, type DriverContext, type DriverPlan } from '../driver.js';
import { OPCUA_DEFAULTS, opcuaSettings, type OpcuaDevice, type OpcuaSettings } from './config.js';
import { numericValue, pickTimestamp, qualityOf } from './status.js';

/**
 * OPC UA: one client, session and (in subscription mode) one subscription
 * per device. Our own connection loop rather than node-opcua's automatic
 * reconnection: on any sign of trouble (connection lost, session closed,
 * subscription terminated, keep-alives stop: the watchdog) the whole
 * client is torn down, every tag goes bad with the reason, and a new
 * client, session and subscription are built after a capped back-off, with
 * browse paths resolved again. Monitored items report their own status:
 * a node the server no longer knows makes exactly that tag bad.
 */

/** `err` of the tags while the device is unreachable. */
export const OPCUA_ERR = { notConnected: 'BadNotConnected', connectionLost: 'BadConnectionClosed', silent: 'BadTimeout', typeMismatch: 'BadTypeMismatch' } as const;

/**
 * Monitored items per CreateMonitoredItems request. One request for 20,000
 * items took the simulators' node-opcua server longer than the 5 s request
 * timeout, so the subscription was torn down and rebuilt forever; servers
 * may also cap the items per call (OperationLimits/MaxMonitoredItemsPerCall).
 */
export const MONITORED_ITEMS_PER_CALL = 1000;

interface Resolved {
  tag: OpcuaDevice['tags'][number];
  nodeId: NodeId;
}

class OpcuaDriver implements Driver {
  private s!: OpcuaSettings;
  private ctx: DriverContext | undefined;
  private stopped = false;
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private subscription: ClientSubscription | undefined;
  private resolved: Resolved[] = [];
  private lastActivity = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private broken: ((reason: { err: string; text: string }) => void) | undefined;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private certManager: OPCUACertificateManager | undefined;
  private queued: Sample[] = [];

  constructor(readonly device: OpcuaDevice) {}

  init(): DriverPlan {
    this.s = opcuaSettings(this.device);
    for (const tag of this.device.tags) {
      try {
        coerceNodeId(tag.address.nodeId);
      } catch (err) {
        throw new DriverConfigError(`device "${this.device.id}" tag "${tag.id}": invalid node id "${tag.address.nodeId}": ${(err as Error).message}`);
      }
    }
    const polling = this.s.mode === 'polling';
    return {
      groups: polling ? [{ intervalMs: this.s.pollIntervalMs, description: `read ${this.device.tags.length} nodes every ${this.s.pollIntervalMs} ms` }] : [],
      summary: [
        polling
          ? `${this.device.endpoint}: polling ${this.device.tags.length} nodes every ${this.s.pollIntervalMs} ms`
          : `${this.device.endpoint}: subscription of ${this.device.tags.length} monitored items (publishing ${this.s.publishingIntervalMs} ms, sampling ${describeSampling(samplingGroups(this.device.tags, this.s.samplingIntervalMs))}, queue ${this.s.queueSize})`,
      ],
    };
  }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    ctx.state('connecting');
    this.certManager = new OPCUACertificateManager({ rootFolder: path.join(ctx.dataDir, 'pki'), automaticallyAcceptUnknownCertificate: false });
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const ctx = this.ctx as DriverContext;
    let retryMs = 0;
    while (!this.stopped) {
      let reason: { err: string; text: string };
      try {
        reason = await this.connectOnce();
        retryMs = 0;
      } catch (err) {
        reason = { err: OPCUA_ERR.notConnected, text: (err as Error).message.split('\n')[0] ?? 'connect failed' };
      }
      await this.teardown();
      if (this.stopped) break;
      this.emitAllBad(reason.err);
      ctx.state(`error: ${reason.text}`.slice(0, 250) as `error: ${string}`);
      ctx.log.warn({ device: this.device.id, endpoint: this.device.endpoint, reason: reason.text }, 'OPC UA device unavailable; reconnecting');
      retryMs = Math.min(OPCUA_DEFAULTS.reconnectMaxMs, Math.max(OPCUA_DEFAULTS.reconnectMinMs, retryMs * 2));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, retryMs);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Connects and runs until the connection breaks; resolves with why. Throws when it cannot connect. */
  private async connectOnce(): Promise<{ err: string; text: string }> {
    const ctx = this.ctx as DriverContext;
    const s = this.s;
    await this.certManager?.initialize();
    // A server certificate an engineer has just moved to pki/trusted/certs counts
    // at this attempt, whether or not the folder watcher has seen it yet.
    await this.certManager?.reloadCertificates().catch((err: unknown) => ctx.log.warn({ device: this.device.id, err: (err as Error).message }, 'OPC UA trust list not reloaded'));
    const client = OPCUAClient.create({
      applicationName: 'park-gateway',
      endpointMustExist: false,
      securityMode: MessageSecurityMode[s.securityMode],
      securityPolicy: SecurityPolicy[s.securityPolicy as keyof typeof SecurityPolicy],
      connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
      keepSessionAlive: s.mode === 'polling',
      requestedSessionTimeout: 60_000,
      transportTimeout: s.timeoutMs,
      ...(this.certManager ? { clientCertificateManager: this.certManager } : {}),
    });
    this.client = client;
    const brokenP = new Promise<{ err: string; text: string }>((resolve) => (this.broken = resolve));
    const fail = (err: string, text: string) => this.broken?.({ err, text });
    client.on('connection_lost', () => fail(OPCUA_ERR.connectionLost, `connection lost (${this.device.endpoint})`));
    client.on('close', () => fail(OPCUA_ERR.connectionLost, `connection closed (${this.device.endpoint})`));
    await withTimeout(client.connect(this.device.endpoint), s.timeoutMs, `connect to ${this.device.endpoint}`);
    const user = this.device.user;
    const identity: UserIdentityInfo = user ? { type: UserTokenType.UserName, userName: user.username, password: user.password } : { type: UserTokenType.Anonymous };
    const session = await withTimeout(client.createSession(identity), s.timeoutMs, 'create session');
    this.session = session;
    session.on('session_closed', () => fail(OPCUA_ERR.connectionLost, 'session closed by the server'));
    session.on('keepalive_failure', () => fail(OPCUA_ERR.connectionLost, 'session keep-alive failed'));
    this.resolved = await this.resolveNodes(session);
    if (s.mode === 'subscription') await this.subscribe(session, fail);
    else await this.readGroup(0);
    ctx.state('connected');
    ctx.log.info({ device: this.device.id, endpoint: this.device.endpoint, tags: this.resolved.length, mode: s.mode }, 'OPC UA device connected');
    if (this.stopped) return { err: OPCUA_ERR.connectionLost, text: 'stopped' };
    return brokenP;
  }

  /** Node ids, by browse path where one is configured (re-resolved on every connect). */
  private async resolveNodes(session: ClientSession): Promise<Resolved[]> {
    const tags = this.device.tags;
    const withPath = tags.filter((t) => t.address.browsePath !== undefined);
    const byPath = new Map<string, NodeId>();
    if (withPath.length > 0) {
      const results = await withTimeout(session.translateBrowsePath(withPath.map((t) => makeBrowsePath('ObjectsFolder', t.address.browsePath as string))), this.s.timeoutMs, 'translate browse paths');
      withPath.forEach((t, i) => {
        const r = results[i];
        const target = r?.targets?.[0]?.targetId;
        if (r && r.statusCode.isGood() && target) byPath.set(t.id, coerceNodeId(target.toString()));
        else this.ctx?.log.warn({ device: this.device.id, tag: t.id, browsePath: t.address.browsePath, status: r?.statusCode.name }, 'browse path not resolved; using nodeId');
      });
    }
    return tags.map((tag) => ({ tag, nodeId: byPath.get(tag.id) ?? coerceNodeId(tag.address.nodeId) }));
  }

  private async subscribe(session: ClientSession, fail: (err: string, text: string) => void): Promise<void> {
    const s = this.s;
    const sub = await withTimeout(
      session.createSubscription2({
        requestedPublishingInterval: s.publishingIntervalMs,
        requestedLifetimeCount: OPCUA_DEFAULTS.maxKeepAliveCount * 6,
        requestedMaxKeepAliveCount: OPCUA_DEFAULTS.maxKeepAliveCount,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      }),
      s.timeoutMs,
      'create subscription',
    );
    this.subscription = sub;
    this.lastActivity = Date.now();
    sub.on('keepalive', () => (this.lastActivity = Date.now()));
    sub.on('received_notifications', () => (this.lastActivity = Date.now()));
    sub.on('terminated', () => fail(OPCUA_ERR.connectionLost, 'subscription terminated'));
    sub.on('status_changed', (status) => {
      if (status.isNotGood()) fail(status.name, `subscription status ${status.name}`);
    });
    const filter = s.deadband
      ? new DataChangeFilter({ trigger: DataChangeTrigger.StatusValue, deadbandType: s.deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent, deadbandValue: s.deadband.value })
      : null;
    // A monitored item group shares one set of monitoring parameters: one group per sampling
    // interval, created in requests of at most MONITORED_ITEMS_PER_CALL items, one after another,
    // each within the timeout. Items of the first requests deliver while the next are created.
    const chunks = samplingGroups(
      this.resolved.map((r) => r.tag),
      s.samplingIntervalMs,
    ).flatMap((g) => {
      const out: { samplingIntervalMs: number; indexes: number[] }[] = [];
      for (let i = 0; i < g.indexes.length; i += MONITORED_ITEMS_PER_CALL) out.push({ samplingIntervalMs: g.samplingIntervalMs, indexes: g.indexes.slice(i, i + MONITORED_ITEMS_PER_CALL) });
      return out;
    });
    const groups: { samplingIntervalMs: number; indexes: number[]; group: ClientMonitoredItemGroup }[] = [];
    let requested = 0;
    for (const c of chunks) {
      if (this.stopped) return;
      const items = c.indexes.map((i) => ({ nodeId: (this.resolved[i] as Resolved).nodeId, attributeId: AttributeIds.Value }));
      const group = ClientMonitoredItemGroup.create(sub, items, { samplingInterval: c.samplingIntervalMs, queueSize: s.queueSize, discardOldest: true, filter }, TimestampsToReturn.Both);
      group.on('changed', (_item, dataValue, index) => {
        this.lastActivity = Date.now();
        const r = this.resolved[c.indexes[index] ?? -1];
        if (r) this.queue(this.sample(r, dataValue, Date.now()));
      });
      const created = new Promise<void>((resolve, reject) => {
        group.once('initialized', () => resolve());
        group.once('err', (message: string) => reject(new Error(`create monitored items: ${message}`)));
      });
      requested += c.indexes.length;
      await withTimeout(created, s.timeoutMs, `create monitored items ${requested - c.indexes.length + 1}–${requested} of ${this.resolved.length}`);
      groups.push({ ...c, group });
    }
    // Items the server refused are bad with the server's reason, from the start.
    const refused: Sample[] = [];
    const revised: string[] = [];
    const now = Date.now();
    for (const g of groups) {
      g.group.monitoredItems.forEach((item, i) => {
        const r = this.resolved[g.indexes[i] ?? -1];
        if (!r) return;
        if (item.statusCode.isNotGood()) refused.push({ id: r.tag.id, ts: now, v: Number.NaN, q: 'bad', err: item.statusCode.name });
        else if (item.result && item.result.revisedSamplingInterval !== g.samplingIntervalMs) revised.push(`${r.tag.id}: ${g.samplingIntervalMs} → ${item.result.revisedSamplingInterval} ms`);
      });
    }
    // Servers may revise a sampling interval (their minimum, a node's MinimumSamplingInterval): say so once per connect.
    if (revised.length > 0) this.ctx?.log.info({ device: this.device.id, revised: revised.slice(0, 20), count: revised.length }, 'OPC UA sampling intervals revised by the server');
    if (refused.length > 0) {
      this.ctx?.emit(refused);
      this.ctx?.log.warn({ device: this.device.id, refused: refused.slice(0, 20).map((r) => `${r.id}: ${r.err}`), count: refused.length }, 'OPC UA monitored items refused');
    }
    this.watchdog = setInterval(() => {
      const silent = Date.now() - this.lastActivity;
      if (silent > s.watchdogMs) fail(OPCUA_ERR.silent, `no notification nor keep-alive for ${Math.round(silent / 1000)} s: subscription rebuilt`);
    }, Math.min(1000, s.watchdogMs / 4));
  }

  /**
   * Notifications arrive one item at a time, all the items of one publish response in one go:
   * they are handed on together (one report filter and batcher pass per response, not per item).
   */
  private queue(sample: Sample): void {
    if (this.queued.length === 0) queueMicrotask(() => this.flushQueued());
    this.queued.push(sample);
  }

  private flushQueued(): void {
    const out = this.queued;
    this.queued = [];
    if (out.length > 0) this.ctx?.emit(out);
  }

  private sample(r: Resolved, dv: DataValue, now: number): Sample {
    const ts = pickTimestamp(dv.sourceTimestamp, dv.serverTimestamp, now);
    const code = dv.statusCode;
    const q = qualityOf(code.value);
    const v = numericValue(dv.value?.value, r.tag.kind === 'discrete');
    if (q === 'bad') return { id: r.tag.id, ts, v: Number.NaN, q, err: code.name };
    if (v === undefined) return { id: r.tag.id, ts, v: Number.NaN, q: 'bad', err: OPCUA_ERR.typeMismatch };
    return q === 'good' ? { id: r.tag.id, ts, v, q } : { id: r.tag.id, ts, v, q, err: code.name };
  }

  /** Polling mode: one Read of every node. */
  async readGroup(_index: number): Promise<void> {
    const session = this.session;
    const ctx = this.ctx;
    if (!session || !ctx || this.s.mode !== 'polling' || this.resolved.length === 0) return;
    try {
      const values = await withTimeout(
        session.read(this.resolved.map((r) => ({ nodeId: r.nodeId, attributeId: AttributeIds.Value })), 0),
        this.s.timeoutMs,
        'read',
      );
      ctx.counters.reads++;
      const now = Date.now();
      ctx.emit(this.resolved.map((r, i) => this.sample(r, values[i] as DataValue, now)));
    } catch (err) {
      ctx.counters.errors++;
      const timeout = (err as Error).message.includes('timed out');
      if (timeout) ctx.counters.timeouts++;
      this.emitAllBad(timeout ? OPCUA_ERR.silent : OPCUA_ERR.connectionLost);
      this.broken?.({ err: timeout ? OPCUA_ERR.silent : OPCUA_ERR.connectionLost, text: `read failed: ${(err as Error).message}` });
    }
  }

  private emitAllBad(err: string): void {
    const ts = Date.now();
    this.ctx?.emit(this.device.tags.map((t) => ({ id: t.id, ts, v: Number.NaN, q: 'bad' as const, err })));
  }

  private async teardown(): Promise<void> {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.broken = undefined;
    const client = this.client;
    const session = this.session;
    this.client = undefined;
    this.session = undefined;
    this.subscription = undefined;
    if (session) await withTimeout(session.close(true), 2000, 'close session').catch(() => {});
    if (client) await withTimeout(client.disconnect(), 2000, 'disconnect').catch(() => {});
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.broken?.({ err: OPCUA_ERR.connectionLost, text: 'stopped' });
    this.wake?.();
    await this.loop;
    await this.teardown();
    await this.certManager?.dispose().catch(() => {});
  }
}

/** Tag indexes by sampling interval (the item's own, else the device's), in the order each interval first appears. */
export function samplingGroups(tags: readonly OpcuaDevice['tags'][number][], deviceSamplingMs: number): { samplingIntervalMs: number; indexes: number[] }[] {
  const byInterval = new Map<number, number[]>();
  tags.forEach((tag, i) => {
    const ms = tag.address.samplingIntervalMs ?? deviceSamplingMs;
    const list = byInterval.get(ms) ?? [];
    list.push(i);
    byInterval.set(ms, list);
  });
  return [...byInterval.entries()].map(([samplingIntervalMs, indexes]) => ({ samplingIntervalMs, indexes }));
}

/** `500 ms` when every item samples alike, else `500 ms (3 items), 100 ms (1 item)`. */
function describeSampling(groups: readonly { samplingIntervalMs: number; indexes: number[] }[]): string {
  if (groups.length === 1) return `${groups[0]?.samplingIntervalMs} ms`;
  return groups.map((g) => `${g.samplingIntervalMs} ms (${g.indexes.length} item${g.indexes.length === 1 ? '' : 's'})`).join(', ');
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

export function createOpcuaDriver(device: DeviceConfig): Driver {
  if (device.protocol !== 'opcua') throw new DriverConfigError(`device "${device.id}": not an OPC UA device`);
  return new OpcuaDriver(device);
}

export { StatusCodes };
