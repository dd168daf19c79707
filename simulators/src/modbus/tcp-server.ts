import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import type { ModbusBank } from './bank.js';
import { EXCEPTION } from './unit-image.js';

/**
 * Modbus TCP on a plain `node:net` server: every complete MBAP frame in a
 * chunk is answered at once and in order, so masters may pipeline requests
 * (several transactions in flight on one connection) and open many
 * connections. One listener serves every modbus-tcp device by unit id.
 *
 * - unknown unit id → exception 0x0B (gateway target device failed to
 *   respond), as a Modbus gateway in front of several units answers;
 * - a unit taken offline (device-offline) → no answer at all: the master
 *   times out, as with a dead device;
 * - protocol id ≠ 0 → the frame is ignored; a length outside 2–254 closes
 *   the connection (the stream can no longer be framed).
 */

const MBAP_HEADER_BYTES = 7;

export interface ModbusTcpServer {
  port: number;
  /** Requests answered since start. */
  requests(): number;
  close(): Promise<void>;
}

export async function startModbusTcpServer(bank: ModbusBank, options: { host: string; port: number; logger?: Logger }): Promise<ModbusTcpServer> {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      let offset = 0;
      while (pending.length - offset >= MBAP_HEADER_BYTES) {
        const length = pending.readUInt16BE(offset + 4);
        if (length < 2 || length > 254) {
          options.logger?.debug({ remote: socket.remoteAddress, length }, 'modbus tcp: bad MBAP length; closing');
          socket.destroy();
          return;
        }
        if (pending.length - offset < 6 + length) break;
        const frame = pending.subarray(offset, offset + 6 + length);
        offset += 6 + length;
        if (frame.readUInt16BE(2) !== 0) continue;
        const unitId = frame[6]!;
        const pdu = frame.subarray(MBAP_HEADER_BYTES);
        const answer = bank.answer(unitId, pdu);
        if (answer === 'silent') continue;
        const body = answer === 'unknown' ? Buffer.from([(pdu[0] ?? 0) | 0x80, EXCEPTION.gatewayTargetFailed]) : answer;
        const header = Buffer.alloc(MBAP_HEADER_BYTES);
        frame.copy(header, 0, 0, 4);
        header.writeUInt16BE(body.length + 1, 4);
        header[6] = unitId;
        out.push(header, body);
        requests++;
      }
      pending = offset === pending.length ? Buffer.alloc(0) : pending.subarray(offset);
      if (out.length > 0) socket.write(Buffer.concat(out));
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    port,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
