import { createServer } from 'node:net';

/**
 * A loopback port that was free a moment ago. For programs that cannot be
 * told to listen on port 0 (influxd, Mosquitto); in-process servers listen
 * on 0 instead.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
