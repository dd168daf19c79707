import mqtt, { type MqttClient } from 'mqtt';
import { dataFilter, parseDataMessage, parseMetaMessage, parseStatusMessage, parseTopic, type DataMessage, type MetaMessage, type Reading, type StatusMessage } from '@park/protocol';

/** A subscriber that records everything the gateways publish, validated against the contract. */
export interface Recorder {
  data: DataMessage[];
  status: StatusMessage[];
  meta: MetaMessage[];
  invalid: string[];
  /** Latest live reading per tag. */
  latest: Map<string, Reading>;
  readings(): Reading[];
  waitFor(what: string, predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Resolves when the broker has closed the connection. Waiting for it before
   * reading `data` catches every message the broker wrote before it went away.
   */
  dropped(): Promise<void>;
  close(): Promise<void>;
}

export async function record(url: string, root = 'park/v1'): Promise<Recorder> {
  const client: MqttClient = mqtt.connect(url, { reconnectPeriod: 100, clean: true });
  const rec: Recorder = {
    data: [],
    status: [],
    meta: [],
    invalid: [],
    latest: new Map(),
    readings: () => rec.data.flatMap((m) => m.readings),
    waitFor: (what, predicate, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (predicate()) return resolve();
        const deadline = setTimeout(() => {
          client.off('message', check);
          reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        const check = (): void => {
          if (!predicate()) return;
          clearTimeout(deadline);
          client.off('message', check);
          resolve();
        };
        client.on('message', check);
      }),
    dropped: () => new Promise<void>((resolve) => client.once('close', () => resolve())),
    close: () => new Promise<void>((resolve) => client.end(true, {}, () => resolve())),
  };
  // Registered before the subscription so the waiters see recorded state.
  client.prependListener('message', (topic, payload) => {
    const t = parseTopic(root, topic);
    if (!t || payload.length === 0) return;
    if (t.kind === 'data') {
      const r = parseDataMessage(payload, t.gateway);
      if (!r.ok) return void rec.invalid.push(r.reason);
      rec.data.push(r.value);
      // Latest in arrival order of live messages (replays carry older readings).
      if (!r.value.replay) for (const x of r.value.readings) rec.latest.set(x.id, x);
    } else if (t.kind === 'status') {
      const r = parseStatusMessage(payload, t.gateway);
      if (r.ok) rec.status.push(r.value);
      else rec.invalid.push(r.reason);
    } else {
      const r = parseMetaMessage(payload, t.gateway);
      if (r.ok) rec.meta.push(r.value);
      else rec.invalid.push(r.reason);
    }
  });
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => client.subscribe([dataFilter(root), `${root}/+/status`, `${root}/+/meta`], { qos: 1 }, (err) => (err ? reject(err) : resolve())));
    client.once('error', reject);
  });
  return rec;
}

export const silentLog = async () => (await import('@park/gateway')).createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');

/** Waits for a condition on state that changes without an MQTT message (e.g. a test server's request log). */
export async function until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
