import { createServer, type Server } from 'node:net';
import { Aedes, type AedesOptions } from 'aedes';

/**
 * Sees every message a client publishes (its will too) before the broker
 * acknowledges it (PUBACK at QoS 1, PUBREC at QoS 2) and before it goes to
 * any subscriber: aedes 1.x runs `authorizePublish` first and writes the
 * acknowledgement only when that answers. Returning lets the message through;
 * throwing refuses it: no acknowledgement, the publisher is disconnected and
 * sends it again after reconnecting. Synchronous, because the hot path
 * (every data message) must not wait for more than the hook's own work.
 * A QoS 2 retransmission reaches the hook again: aedes looks for duplicates
 * only after it.
 */
export type BeforeAcknowledge = (topic: string, payload: Buffer) => void;

export interface EmbeddedBrokerOptions {
  host?: string;
  port: number;
  beforeAcknowledge?: BeforeAcknowledge;
}

/**
 * The embedded MQTT broker (aedes) used when no external broker is named.
 * In memory only: the gateways' disk outboxes, not the broker, keep data
 * through outages. What it acknowledges survives this process only if the
 * `beforeAcknowledge` hook kept it (the server's ingest appends it to the
 * accept log there).
 */
export interface EmbeddedBroker {
  readonly host: string;
  readonly port: number;
  readonly url: string;
  connectedClients(): number;
  close(): Promise<void>;
}

export class BrokerStartError extends Error {
  override name = 'BrokerStartError';
}

const SYS_PREFIX = '$SYS/';

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const hook = options.beforeAcknowledge;
  let closing = false;
  const authorizePublish: NonNullable<AedesOptions['authorizePublish']> = (_client, packet, callback) => {
    // What aedes's default authorizePublish refuses, which this one replaces.
    if (packet.topic.startsWith(SYS_PREFIX)) return callback(new Error(`${SYS_PREFIX} topic is reserved`));
    if (!hook) return callback(null);
    // The hook's owner may be stopped already: acknowledge nothing it cannot keep (wills of the clients being closed included).
    if (closing) return callback(new Error('broker closing'));
    try {
      hook(packet.topic, typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload);
    } catch (err) {
      return callback(err instanceof Error ? err : new Error(String(err)));
    }
    callback(null);
  };
  const aedes = await Aedes.createBroker({ authorizePublish });
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new BrokerStartError(
          err.code === 'EADDRINUSE'
            ? `MQTT port ${host}:${options.port} is already in use: stop the other broker, or set MQTT_URL to use it instead of the embedded one`
            : `embedded MQTT broker cannot listen on ${host}:${options.port}: ${err.message}`,
        ),
      );
    });
    server.listen(options.port, host, () => resolve());
  }).catch(async (err: unknown) => {
    await new Promise<void>((r) => aedes.close(() => r()));
    throw err;
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    host,
    port,
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${port}`,
    connectedClients: () => aedes.connectedClients,
    close: async () => {
      closing = true;
      // Clients are closed first so server.close() does not wait for them.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
