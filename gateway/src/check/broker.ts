import { randomBytes } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { dataTopic, encodeDataMessage, MAX_READINGS_PER_MESSAGE, type Reading } from '@park/protocol';
import type { GatewayConfig } from '../config.js';
import type { BrokerCheck } from './report.js';

/**
 * The broker side of the check: one MQTT connection with the gateway's URL,
 * credentials and TLS, under a client id of its own (`park-<gw>-check-<hex>`)
 * so a running gateway service is not disconnected, with no last will and
 * a clean session. It publishes nothing unless asked (`publishReadings`).
 */

function options(config: GatewayConfig, timeoutMs: number): IClientOptions {
  const m = config.mqtt;
  return {
    clientId: `park-${config.gateway}-check-${randomBytes(3).toString('hex')}`.slice(0, 128),
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: Math.min(m.connectTimeoutMs, timeoutMs),
    keepalive: m.keepaliveS,
    ...(m.username !== undefined ? { username: m.username } : {}),
    ...(m.password !== undefined ? { password: m.password } : {}),
    ...(config.tls
      ? {
          ...(config.tls.ca ? { ca: config.tls.ca } : {}),
          ...(config.tls.cert ? { cert: config.tls.cert } : {}),
          ...(config.tls.key ? { key: config.tls.key } : {}),
          rejectUnauthorized: config.tls.rejectUnauthorized,
        }
      : {}),
  };
}

/** Connects (within `timeoutMs`); resolves with the client when connected, else why not. */
export function connectBroker(config: GatewayConfig, timeoutMs: number): Promise<{ check: BrokerCheck; client?: MqttClient }> {
  const url = config.mqtt.url;
  const started = Date.now();
  return new Promise((resolve) => {
    let client: MqttClient;
    try {
      client = mqtt.connect(url, options(config, timeoutMs));
    } catch (err) {
      resolve({ check: { url, reachable: false, reason: (err as Error).message, connectMs: null } });
      return;
    }
    let done = false;
    const finish = (reason: string | undefined): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (reason === undefined) return resolve({ check: { url, reachable: true, reason: '', connectMs: Date.now() - started }, client });
      client.end(true);
      resolve({ check: { url, reachable: false, reason, connectMs: null } });
    };
    const timer = setTimeout(() => finish(`no CONNACK within ${timeoutMs} ms`), timeoutMs);
    client.once('connect', () => finish(undefined));
    client.on('error', (err) => finish(err.message || (err as NodeJS.ErrnoException).code || 'connection error'));
    client.once('close', () => finish('connection closed by the broker'));
  });
}

export function closeBroker(client: MqttClient | undefined): Promise<void> {
  if (!client) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      client.end(true);
      resolve();
    }, 2000);
    client.end(false, {}, () => {
      clearTimeout(t);
      resolve();
    });
  });
}

/**
 * `--publish`: the readings as ordinary data messages (QoS 1), with `seq`
 * from `takeSeq` (the gateway's own seq store, so the server's gap count
 * stays right). Resolves with the number of readings acknowledged.
 */
export async function publishReadings(client: MqttClient, config: GatewayConfig, readings: readonly Reading[], takeSeq: () => number): Promise<number> {
  const topic = dataTopic(config.mqtt.topicRoot, config.gateway);
  let sent = 0;
  for (let i = 0; i < readings.length; i += MAX_READINGS_PER_MESSAGE) {
    const chunk = readings.slice(i, i + MAX_READINGS_PER_MESSAGE);
    const payload = encodeDataMessage({ gateway: config.gateway, seq: takeSeq(), readings: chunk });
    await client.publishAsync(topic, payload, { qos: 1 });
    sent += chunk.length;
  }
  return sent;
}
