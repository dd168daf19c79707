import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/**
 * The embedded MQTT broker (aedes) used when no external broker is named.
 * In memory only: the gateways' disk outboxes, not the broker, keep data
 * through outages, so nothing is lost when this process restarts.
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

export async function startEmbeddedBroker(options: { host?: string; port: number }): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const aedes = await Aedes.createBroker();
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
      // Clients are closed first so server.close() does not wait for them.
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
