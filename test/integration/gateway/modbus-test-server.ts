import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A small Modbus TCP server with known contents, for gateway tests: per unit
 * four tables, addresses that answer "illegal data address", and units that
 * can be muted (no answer at all, like a dead unit behind a Modbus gateway).
 * Answers pipelined requests in order.
 */
export interface TestUnit {
  holding: Map<number, number>;
  input: Map<number, number>;
  coils: Map<number, boolean>;
  discrete: Map<number, boolean>;
  /** `holding:5`, `input:7`…: requests covering these addresses get exception 2. */
  illegal: Set<string>;
  muted: boolean;
  /** Answers this many ms late (0: at once). */
  delayMs: number;
  /** Answers every request with a malformed frame (a byte count that does not match, a wrong function code). */
  garbage: boolean;
  /** Sends only the first half of each answer, then nothing more. */
  half: boolean;
}

export interface ModbusTestServer {
  port: number;
  unit(id: number): TestUnit;
  requests: { unit: number; fc: number; start: number; count: number }[];
  /** Sets holding registers from `start` to the given words. */
  setRegisters(unit: number, table: 'holding' | 'input', start: number, words: readonly number[] | Buffer): void;
  close(): Promise<void>;
}

export async function startModbusTestServer(): Promise<ModbusTestServer> {
  const units = new Map<number, TestUnit>();
  const requests: ModbusTestServer['requests'] = [];
  const sockets = new Set<Socket>();
  const unit = (id: number): TestUnit => {
    let u = units.get(id);
    if (!u) {
      u = { holding: new Map(), input: new Map(), coils: new Map(), discrete: new Map(), illegal: new Set(), muted: false, delayMs: 0, garbage: false, half: false };
      units.set(id, u);
    }
    return u;
  };
  const answer = (socket: Socket, frame: Buffer): void => {
    const tid = frame.readUInt16BE(0);
    const unitId = frame.readUInt8(6);
    const fc = frame.readUInt8(7);
    const start = frame.readUInt16BE(8);
    const count = frame.readUInt16BE(10);
    requests.push({ unit: unitId, fc, start, count });
    const u = units.get(unitId);
    if (!u || u.muted) return;
    const table = fc === 1 ? 'coil' : fc === 2 ? 'discrete' : fc === 3 ? 'holding' : fc === 4 ? 'input' : undefined;
    const reply = (pdu: Buffer): void => {
      const head = Buffer.alloc(7);
      head.writeUInt16BE(tid, 0);
      head.writeUInt16BE(0, 2);
      let body = pdu;
      // A malformed answer: the byte count claims more data than follows, and the function code is off by one.
      if (u.garbage) body = Buffer.concat([Buffer.from([((pdu[0] as number) + 1) & 0x7f, 0xff]), pdu.subarray(2, 5)]);
      head.writeUInt16BE(body.length + 1, 4);
      head.writeUInt8(unitId, 6);
      let frame = Buffer.concat([head, body]);
      if (u.half) frame = frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)));
      if (u.delayMs > 0) {
        setTimeout(() => {
          if (!socket.destroyed) socket.write(frame);
        }, u.delayMs);
      } else socket.write(frame);
    };
    const exception = (code: number) => reply(Buffer.from([fc | 0x80, code]));
    if (!table) return exception(1);
    for (let a = start; a < start + count; a++) if (u.illegal.has(`${table}:${a}`)) return exception(2);
    if (fc === 1 || fc === 2) {
      if (count < 1 || count > 2000) return exception(3);
      const bytes = Buffer.alloc(Math.ceil(count / 8));
      const map = fc === 1 ? u.coils : u.discrete;
      for (let i = 0; i < count; i++) if (map.get(start + i)) bytes[i >> 3] = (bytes[i >> 3] as number) | (1 << (i & 7));
      return reply(Buffer.concat([Buffer.from([fc, bytes.length]), bytes]));
    }
    if (count < 1 || count > 125) return exception(3);
    const data = Buffer.alloc(count * 2);
    const map = fc === 3 ? u.holding : u.input;
    for (let i = 0; i < count; i++) data.writeUInt16BE(map.get(start + i) ?? 0, i * 2);
    return reply(Buffer.concat([Buffer.from([fc, data.length]), data]));
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 7) {
        const len = buf.readUInt16BE(4);
        if (buf.length < 6 + len) break;
        answer(socket, buf.subarray(0, 6 + len));
        buf = buf.subarray(6 + len);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    unit,
    requests,
    setRegisters(id, table, start, words) {
      const u = unit(id);
      const map = table === 'holding' ? u.holding : u.input;
      if (Buffer.isBuffer(words)) for (let i = 0; i < words.length / 2; i++) map.set(start + i, words.readUInt16BE(i * 2));
      else words.forEach((w, i) => map.set(start + i, w));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
