import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { InfluxStore, InfluxWriteError } from '@park/server';

/**
 * The line-protocol writes' own HTTP requests, against small loopback
 * servers standing in for what a real influxd does not do on demand: hang,
 * or answer with a proxy's error page. Their success path against influxd
 * itself is in the integration tests.
 */

const servers: (HttpServer | TcpServer)[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

async function listen<T extends HttpServer | TcpServer>(server: T): Promise<number> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function storeAt(port: number, requestTimeoutMs = 10_000, auth = false): InfluxStore {
  return new InfluxStore({ protocol: 'http', host: '127.0.0.1', port, database: 'park', ...(auth ? { username: 'ingest', password: 'secret' } : {}) }, { requestTimeoutMs });
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

describe('InfluxDB line-protocol writes', () => {
  it('post the bytes as they are to the raw policy, with credentials, over one kept connection', async () => {
    const seen: { url: string | undefined; body: string; auth: string | undefined; length: string | undefined }[] = [];
    const connections = new Set<Socket>();
    const server = createHttpServer(async (req, res) => {
      connections.add(req.socket);
      seen.push({ url: req.url, body: await bodyOf(req), auth: req.headers.authorization, length: req.headers['content-length'] });
      res.statusCode = 204;
      res.end();
    });
    const port = await listen(server);
    const store = storeAt(port, 10_000, true);
    const body = Buffer.from('xx reading,id=a v=1,q=0i 1000\nreading,id=b v=2,q=0i 1000\n yy');
    // A view into a larger buffer, as the ingest's slabs give: only the view is sent.
    await store.writeLines(body.subarray(3, body.length - 3));
    await store.writeLines(Buffer.from('reading,id=c v=3,q=0i 1000\n'));
    await store.writeLines(Buffer.alloc(0));
    expect(seen).toEqual([
      { url: '/write?db=park&rp=raw&precision=ms', body: 'reading,id=a v=1,q=0i 1000\nreading,id=b v=2,q=0i 1000\n', auth: `Basic ${Buffer.from('ingest:secret').toString('base64')}`, length: '54' },
      { url: '/write?db=park&rp=raw&precision=ms', body: 'reading,id=c v=3,q=0i 1000\n', auth: `Basic ${Buffer.from('ingest:secret').toString('base64')}`, length: '27' },
    ]);
    expect(connections.size).toBe(1);
    server.closeAllConnections();
  });

  it("refuse with InfluxDB's own reason and say whether retrying can help", async () => {
    const answers = [
      [400, JSON.stringify({ error: 'partial write: field type conflict: dropped=1' })],
      [503, '<html><body>upstream unavailable</body></html>'],
    ] as const;
    let i = 0;
    const server = createHttpServer(async (req, res) => {
      await bodyOf(req);
      const [status, text] = answers[i++ % answers.length] as (typeof answers)[number];
      res.statusCode = status;
      res.end(text);
    });
    const store = storeAt(await listen(server));
    const refused = await store.writeLines(Buffer.from('reading,id=a v=1,q=0i 1000\n')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InfluxWriteError);
    expect((refused as InfluxWriteError).message).toBe('InfluxDB refused the write (400): partial write: field type conflict: dropped=1');
    expect((refused as InfluxWriteError).permanent).toBe(true);
    const unavailable = await store.writeLines(Buffer.from('reading,id=a v=1,q=0i 1000\n')).catch((e: unknown) => e);
    expect((unavailable as InfluxWriteError).message).toBe('InfluxDB refused the write (503): <html><body>upstream unavailable</body></html>');
    expect((unavailable as InfluxWriteError).permanent).toBe(false);
    server.closeAllConnections();
  });

  it('give up on an InfluxDB that takes the request and never answers, naming the wait', async () => {
    const server = createTcpServer((socket) => {
      sockets.push(socket);
      socket.resume();
    });
    const store = storeAt(await listen(server), 200);
    const err = await store.writeLines(Buffer.from('reading,id=a v=1,q=0i 1000\n')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(InfluxWriteError);
    expect((err as Error).message).toMatch(/^InfluxDB at 127\.0\.0\.1:\d+ not reachable for the write: no answer within 200 ms$/);
  });

  it('name the address when nothing listens there', async () => {
    // A port that was free a moment ago: listen, note it, close.
    const probe = createTcpServer();
    const port = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    servers.splice(servers.indexOf(probe), 1);
    const err = await storeAt(port).writeRollupBody(Buffer.from('reading_1m,id=a mean=1 60000\n')).catch((e: unknown) => e);
    expect((err as Error).message).toBe(`InfluxDB at 127.0.0.1:${port} not reachable for rollup points: connect ECONNREFUSED 127.0.0.1:${port}`);
  });
});
