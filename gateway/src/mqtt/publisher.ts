import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { dataTopic, encodeStatusMessage, metaTopic, statusTopic, type MetaMessage, type StatusMessage } from '@park/protocol';
import { encodeMetaMessage } from '@park/protocol';
import type { GatewayConfig } from '../config.js';
import type { Outbox, OutboxRecord } from '../outbox/segment-log.js';
import type { SeqStore } from '../core/seq-store.js';
import type { BatchSink } from '../core/batcher.js';

/**
 * The north side: MQTT 3.1.1 client (MQTT.js) with our own connection policy (MQTT.js's
 * reconnect has no back-off and its offline queue is unbounded memory).
 *
 * - Connected: data messages are published QoS 1 straight away, at most
 *   `maxInFlight` awaiting PUBACK; beyond that the batcher holds readings.
 *   Outbox records are replayed beside live traffic, oldest first, with
 *   `replay: true`, at most `replayInFlight` at once; each is acknowledged in
 *   the outbox when its PUBACK arrives.
 * - Not connected (or a PUBACK overdue by `ackTimeoutMs`, taken as a broken
 *   link): every batch is appended to the disk outbox; the live messages
 *   still awaiting PUBACK go there too, in seq order, and unacknowledged
 *   replays are read again after the reconnect.
 * - On connect: retained `status` (online, devices, counters) and `meta`;
 *   the last will is a retained `offline` status.
 */

export interface PublisherCounters {
  connects: number;
  messagesPublished: number;
  readingsPublished: number;
  replayedMessages: number;
  replayedReadings: number;
  outboxedMessages: number;
  outboxedReadings: number;
  /** Batches the outbox could not store at all (its disk full, nothing older left to drop). */
  outboxLostMessages: number;
  outboxLostReadings: number;
}

interface InFlight {
  rec: OutboxRecord;
  sentAt: number;
}

const WATCH_INTERVAL_MS = 500;
const STOP_FLUSH_MS = 3000;
const LIVE_TAIL = Buffer.from('}');
const REPLAY_TAIL = Buffer.from(',"replay":true}');

export class Publisher implements BatchSink {
  readonly counters: PublisherCounters = { connects: 0, messagesPublished: 0, readingsPublished: 0, replayedMessages: 0, replayedReadings: 0, outboxedMessages: 0, outboxedReadings: 0, outboxLostMessages: 0, outboxLostReadings: 0 };
  private client: MqttClient | undefined;
  private gen = 0;
  connected = false;
  lastError = '';
  private retryMs = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private watch: NodeJS.Timeout | undefined;
  private readonly live = new Map<number, InFlight>();
  private replaying: (InFlight & { done: boolean })[] = [];
  private stopped = false;
  private status: StatusMessage | undefined;
  /**
   * The catalogue, kept encoded: it does not change while running, and as objects it held a
   * handful of strings per tag (about 350 bytes a tag) for a message sent once per connect.
   */
  private meta: Buffer | undefined;
  private readonly topics: { data: string; status: string; meta: string };
  /** Called when live capacity frees up (the batcher sends what waits). */
  onDrain: () => void = () => {};

  constructor(
    private readonly cfg: GatewayConfig,
    private readonly outbox: Outbox,
    private readonly seq: SeqStore,
    private readonly log: Logger,
    private readonly version: string,
  ) {
    const root = cfg.mqtt.topicRoot;
    this.topics = { data: dataTopic(root, cfg.gateway), status: statusTopic(root, cfg.gateway), meta: metaTopic(root, cfg.gateway) };
  }

  start(status: StatusMessage, meta: MetaMessage): void {
    this.status = status;
    this.meta = Buffer.from(encodeMetaMessage(meta));
    this.connect();
    this.watch = setInterval(() => this.checkAcks(), WATCH_INTERVAL_MS);
  }

  private options(): IClientOptions {
    const m = this.cfg.mqtt;
    const will: StatusMessage = { gateway: this.cfg.gateway, state: 'offline', ts: Date.now(), version: this.version, devices: {} };
    return {
      clientId: m.clientId ?? `park-${this.cfg.gateway}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: m.connectTimeoutMs,
      keepalive: m.keepaliveS,
      queueQoSZero: false,
      resubscribe: false,
      will: { topic: this.topics.status, payload: Buffer.from(encodeStatusMessage(will)), qos: 1, retain: true },
      ...(m.username !== undefined ? { username: m.username } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
      ...(this.cfg.tls
        ? {
            ...(this.cfg.tls.ca ? { ca: this.cfg.tls.ca } : {}),
            ...(this.cfg.tls.cert ? { cert: this.cfg.tls.cert } : {}),
            ...(this.cfg.tls.key ? { key: this.cfg.tls.key } : {}),
            rejectUnauthorized: this.cfg.tls.rejectUnauthorized,
          }
        : {}),
    };
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.gen;
    const client = mqtt.connect(this.cfg.mqtt.url, this.options());
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.gen) return;
      this.connected = true;
      this.retryMs = 0;
      this.counters.connects++;
      if (this.lastError) this.log.info({ url: this.cfg.mqtt.url, outbox: this.outbox.pendingMessages() }, 'MQTT connected');
      else this.log.debug({ url: this.cfg.mqtt.url }, 'MQTT connected');
      this.lastError = '';
      this.publishRetained();
      this.pumpReplay();
      this.onDrain();
    });
    client.on('error', (err) => {
      if (gen !== this.gen) return;
      if (err.message !== this.lastError) this.log.warn({ url: this.cfg.mqtt.url, err: err.message }, 'MQTT error');
      this.lastError = err.message;
    });
    client.on('close', () => {
      if (gen !== this.gen) return;
      this.lost(this.lastError || 'connection closed');
    });
  }

  /** The connection is gone (or taken as gone): park everything unacknowledged and reconnect later. */
  private lost(reason: string): void {
    const wasConnected = this.connected;
    this.connected = false;
    this.gen++;
    const client = this.client;
    this.client = undefined;
    client?.end(true);
    const parked = [...this.live.values()].sort((a, b) => a.rec.seq - b.rec.seq);
    this.live.clear();
    for (const p of parked) this.toOutbox(p.rec);
    this.replaying = [];
    this.outbox.rewind();
    if (wasConnected && !this.stopped) this.log.warn({ reason, parked: parked.length }, 'MQTT connection lost; batches go to the outbox');
    if (this.stopped) return;
    this.retryMs = Math.min(this.cfg.mqtt.reconnectMaxMs, Math.max(this.cfg.mqtt.reconnectMinMs, this.retryMs * 2));
    const delay = Math.round(this.retryMs * (0.75 + Math.random() * 0.5));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delay);
  }

  private toOutbox(rec: OutboxRecord): void {
    const dropped = this.outbox.stats().droppedMessages;
    try {
      this.outbox.append(rec);
    } catch (err) {
      // A full disk must not stop the gateway: reading goes on, the live
      // value is published when the broker is back, and the loss is counted
      // and said (status counters, /metrics, a warning every 10 s at most).
      this.counters.outboxLostMessages++;
      this.counters.outboxLostReadings += rec.count;
      this.warnDisk((err as Error).message);
      return;
    }
    if (this.outbox.stats().droppedMessages > dropped) this.warnDisk('disk full: the oldest waiting batches were dropped to make room');
    this.counters.outboxedMessages++;
    this.counters.outboxedReadings += rec.count;
  }

  private lastDiskWarning = 0;

  private warnDisk(reason: string): void {
    const now = Date.now();
    if (now - this.lastDiskWarning < 10_000) return;
    this.lastDiskWarning = now;
    const s = this.outbox.stats();
    this.log.warn({ reason, lostMessages: this.counters.outboxLostMessages, lostReadings: this.counters.outboxLostReadings, droppedMessages: s.droppedMessages, waitingMessages: s.messages }, 'outbox cannot store every batch');
  }

  private checkAcks(): void {
    if (!this.connected) return;
    const limit = Date.now() - this.cfg.mqtt.ackTimeoutMs;
    let oldest = Infinity;
    for (const f of this.live.values()) oldest = Math.min(oldest, f.sentAt);
    for (const f of this.replaying) if (!f.done) oldest = Math.min(oldest, f.sentAt);
    if (oldest < limit) this.lost(`no PUBACK within ${this.cfg.mqtt.ackTimeoutMs} ms`);
  }

  accepting(): boolean {
    return !this.connected || this.live.size < this.cfg.mqtt.maxInFlight;
  }

  send(count: number, readings: Buffer): void {
    const rec: OutboxRecord = { seq: this.seq.take(), count, readings };
    const client = this.client;
    if (!this.connected || !client) {
      this.toOutbox(rec);
      return;
    }
    const gen = this.gen;
    this.live.set(rec.seq, { rec, sentAt: Date.now() });
    client.publish(this.topics.data, this.payload(rec, false), { qos: 1 }, (err) => {
      if (gen !== this.gen) return;
      if (err) {
        this.lost(`publish failed: ${err.message}`);
        return;
      }
      if (!this.live.delete(rec.seq)) return;
      this.counters.messagesPublished++;
      this.counters.readingsPublished += rec.count;
      if (this.live.size === this.cfg.mqtt.maxInFlight - 1) this.onDrain();
    });
  }

  private payload(rec: OutboxRecord, replay: boolean): Buffer {
    const head = Buffer.from(`{"gateway":${JSON.stringify(this.cfg.gateway)},"seq":${rec.seq},"readings":`);
    const tail = replay ? REPLAY_TAIL : LIVE_TAIL;
    const out = Buffer.allocUnsafe(head.length + rec.readings.length + tail.length);
    head.copy(out, 0);
    rec.readings.copy(out, head.length);
    tail.copy(out, head.length + rec.readings.length);
    return out;
  }

  private pumpReplay(): void {
    const client = this.client;
    if (!this.connected || !client) return;
    const gen = this.gen;
    const room = this.cfg.outbox.replayInFlight - this.replaying.length;
    if (room <= 0) return;
    for (const rec of this.outbox.next(room)) {
      const entry = { rec, sentAt: Date.now(), done: false };
      this.replaying.push(entry);
      client.publish(this.topics.data, this.payload(rec, true), { qos: 1 }, (err) => {
        if (gen !== this.gen) return;
        if (err) {
          this.lost(`publish failed: ${err.message}`);
          return;
        }
        entry.done = true;
        this.counters.replayedMessages++;
        this.counters.replayedReadings += rec.count;
        while (this.replaying[0]?.done) {
          const head = this.replaying.shift() as InFlight;
          this.outbox.ack(head.rec.seq);
        }
        this.pumpReplay();
      });
    }
  }

  /** Replaces the retained status; published now when connected, else on the next connect. */
  setStatus(status: StatusMessage): void {
    this.status = status;
    if (this.connected) this.client?.publish(this.topics.status, encodeStatusMessage(status), { qos: 1, retain: true });
  }

  setMeta(meta: MetaMessage): void {
    this.meta = Buffer.from(encodeMetaMessage(meta));
    if (this.connected) this.client?.publish(this.topics.meta, this.meta, { qos: 1, retain: true });
  }

  private publishRetained(): void {
    if (this.status) this.client?.publish(this.topics.status, encodeStatusMessage({ ...this.status, ts: Date.now() }), { qos: 1, retain: true });
    if (this.meta) this.client?.publish(this.topics.meta, this.meta, { qos: 1, retain: true });
  }

  /** Live messages awaiting PUBACK. */
  inFlight(): number {
    return this.live.size;
  }

  /**
   * Waits (bounded) for outstanding PUBACKs, publishes the retained
   * `offline` status, disconnects; whatever is still unacknowledged goes to
   * the outbox.
   */
  async stop(finalStatus: StatusMessage): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.watch) clearInterval(this.watch);
    const deadline = Date.now() + STOP_FLUSH_MS;
    while (this.connected && (this.live.size > 0 || this.replaying.some((r) => !r.done)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    this.stopped = true;
    const client = this.client;
    if (this.connected && client) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        client.publish(this.topics.status, encodeStatusMessage(finalStatus), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        client.end(false, {}, () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    this.connected = false;
    this.gen++;
    this.client = undefined;
    client?.end(true);
    const parked = [...this.live.values()].sort((a, b) => a.rec.seq - b.rec.seq);
    this.live.clear();
    for (const p of parked) this.toOutbox(p.rec);
  }
}
