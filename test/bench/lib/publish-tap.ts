import net from 'node:net';
import { parser as mqttParser, type IPublishPacket } from 'mqtt-packet';

/**
 * A TCP relay between an MQTT client (the gateway) and its broker that
 * notes when each PUBLISH left the client. With the server's embedded
 * broker, a subscriber cannot stand for the publish time: the broker runs
 * the server's ingest hook before it fans a message out, so under load a
 * subscriber often gets the message after the alarm it caused. The relay
 * sees the bytes before the broker does and does not change them, so the
 * gateway, its data contract and the broker behave as without it.
 *
 * Each chunk read from the client is written on to the broker first and
 * parsed afterwards, so the parsing is never in the message's path. A
 * PUBLISH is stamped with the arrival of the chunk holding its last byte:
 * one loopback hop after the gateway wrote it. The relay's forwarding (a
 * second loopback write, by this process) then lies inside any interval
 * measured from that stamp, where the gateway's own write would have been.
 */

export interface TappedPublish {
  topic: string;
  payload: Buffer;
  /** When its last byte arrived from the client, on the clock passed to startPublishTap (ms since the epoch). */
  at: number;
  /** Which client connection carried it (1 for the first). */
  connection: number;
}

export interface PublishTap {
  /** Give this to the client instead of the broker's URL. */
  url: string;
  /** Client connections accepted so far: more than one during a run means the client reconnected. */
  readonly connections: number;
  onPublish(listener: (p: TappedPublish) => void): void;
  /** Called when a client connection ends, for whatever reason. */
  onClose(listener: (connection: number, reason: string) => void): void;
  close(): Promise<void>;
}

/** `brokerUrl` is `mqtt://host:port` (plain TCP); `now` is the clock of the stamps. */
export async function startPublishTap(brokerUrl: string, now: () => number): Promise<PublishTap> {
  const broker = new URL(brokerUrl);
  if (broker.protocol !== 'mqtt:') throw new Error(`publish tap: plain mqtt:// broker URLs only, got ${brokerUrl}`);
  const brokerPort = Number(broker.port || 1883);
  const publishListeners: ((p: TappedPublish) => void)[] = [];
  const closeListeners: ((connection: number, reason: string) => void)[] = [];
  const sockets = new Set<net.Socket>();
  let connections = 0;
  let closing = false;

  const server = net.createServer((client) => {
    const connection = ++connections;
    // Nagle would hold small packets (PUBACKs, a small PUBLISH) back a little: not on the way the client took without the relay.
    client.setNoDelay(true);
    const upstream = net.connect({ host: broker.hostname, port: brokerPort, noDelay: true });
    sockets.add(client);
    sockets.add(upstream);
    const parser = mqttParser();
    let chunkAt = 0;
    parser.on('packet', (packet) => {
      if (packet.cmd !== 'publish') return;
      const p = packet as IPublishPacket;
      const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
      for (const l of publishListeners) l({ topic: p.topic, payload, at: chunkAt, connection });
    });
    let parseError = '';
    parser.on('error', (err: unknown) => {
      // The broker judges the stream; the relay only stops watching it.
      parseError = err instanceof Error ? err.message : String(err);
    });
    client.on('data', (chunk: Buffer) => {
      const at = now();
      if (!upstream.write(chunk)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
      if (parseError) return;
      chunkAt = at;
      parser.parse(chunk);
    });
    upstream.pipe(client);
    let closed = false;
    const end = (reason: string): void => {
      if (closed) return;
      closed = true;
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
      const why = closing ? 'the relay was closed' : reason;
      for (const l of closeListeners) l(connection, parseError ? `${why} (the relay had stopped parsing: ${parseError})` : why);
    };
    client.on('error', (err) => end(`client side: ${err.message}`));
    upstream.on('error', (err) => end(`broker side: ${err.message}`));
    client.on('close', () => end('closed by the client'));
    upstream.on('close', () => end('closed by the broker'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('publish tap: no TCP address');
  return {
    url: `mqtt://127.0.0.1:${address.port}`,
    get connections() {
      return connections;
    },
    onPublish: (l) => void publishListeners.push(l),
    onClose: (l) => void closeListeners.push(l),
    close: async () => {
      closing = true;
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
