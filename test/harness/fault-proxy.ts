import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of a real service, that can
 * make the service misbehave without touching it:
 *
 * - `delayMs`: every answer is held this long before it is passed on (an
 *   InfluxDB answering slowly, a Modbus device answering late). Answers keep
 *   their order on a connection even when the delay is changed meanwhile: a
 *   quick answer never overtakes a held one (that would corrupt an HTTP
 *   stream rather than slow it down).
 * - `fault` (with `framing: 'modbus-tcp'` only): each Modbus TCP answer frame
 *   is passed on malformed (`garbage`: a function code off by one and a
 *   byte count claiming more data than follows, as the gateway's
 *   misbehaving-device test server does) or only its first half (`half`).
 * - a service that is down (connection refused) is passed on as a reset of
 *   the client's connection, the nearest a proxy that still listens can come
 *   to a refused connection.
 */
export type AnswerFault = 'garbage' | 'half';

export interface FaultProxy {
  readonly port: number;
  delayMs: number;
  fault: AnswerFault | undefined;
  /** Answers (Modbus frames, or chunks without framing) received from the service. */
  readonly answers: number;
  /** Answers passed on late or with a fault. */
  readonly faulted: number;
  close(): Promise<void>;
}

/** Length of the first complete Modbus TCP frame in `buf` (MBAP header: 6 bytes, then `length` bytes), or 0. */
function modbusFrameLength(buf: Buffer): number {
  if (buf.length < 7) return 0;
  const len = 6 + buf.readUInt16BE(4);
  return buf.length >= len ? len : 0;
}

function mangle(frame: Buffer, fault: AnswerFault): Buffer {
  if (fault === 'half') return frame.subarray(0, Math.max(1, Math.floor(frame.length / 2)));
  const pdu = frame.subarray(7);
  const body = Buffer.concat([Buffer.from([((pdu[0] ?? 0) + 1) & 0x7f, 0xff]), pdu.subarray(2, 5)]);
  const head = Buffer.from(frame.subarray(0, 7));
  head.writeUInt16BE(body.length + 1, 4);
  return Buffer.concat([head, body]);
}

export async function startFaultProxy(target: { host: string; port: number }, options: { framing?: 'modbus-tcp' } = {}): Promise<FaultProxy> {
  const sockets = new Set<Socket>();
  const state = { delayMs: 0, fault: undefined as AnswerFault | undefined, answers: 0, faulted: 0 };
  const server: Server = createServer((client) => {
    const upstream = createConnection(target);
    sockets.add(client).add(upstream);
    let upstreamUp = false;
    const drop = (): void => {
      sockets.delete(client);
      sockets.delete(upstream);
      clearTimeout(timer);
      client.destroy();
      upstream.destroy();
    };
    upstream.once('connect', () => (upstreamUp = true));
    upstream.on('error', () => {
      if (!upstreamUp && !client.destroyed) client.resetAndDestroy();
      drop();
    });
    upstream.on('close', drop);
    client.on('error', drop).on('close', drop);
    client.on('data', (d: Buffer) => upstream.write(d));

    // Answers waiting for their time, in order; `at` never decreases along the queue.
    const queue: { at: number; data: Buffer }[] = [];
    let timer: NodeJS.Timeout | undefined;
    const pump = (): void => {
      timer = undefined;
      while (queue.length > 0 && (queue[0]?.at ?? 0) <= Date.now()) {
        const next = queue.shift();
        if (next && !client.destroyed) client.write(next.data);
      }
      const head = queue[0];
      if (head) timer = setTimeout(pump, Math.max(0, head.at - Date.now()));
    };
    const pass = (answer: Buffer): void => {
      state.answers++;
      const delay = state.delayMs;
      const fault = options.framing === 'modbus-tcp' ? state.fault : undefined;
      if (delay > 0 || fault) state.faulted++;
      const data = fault ? mangle(answer, fault) : answer;
      const at = Math.max(Date.now() + delay, queue[queue.length - 1]?.at ?? 0);
      queue.push({ at, data });
      if (!timer) pump();
    };
    let pending = Buffer.alloc(0);
    upstream.on('data', (d: Buffer) => {
      if (options.framing !== 'modbus-tcp') return pass(d);
      pending = Buffer.concat([pending, d]);
      for (let n = modbusFrameLength(pending); n > 0; n = modbusFrameLength(pending)) {
        pass(Buffer.from(pending.subarray(0, n)));
        pending = pending.subarray(n);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(v: number) {
      state.delayMs = v;
    },
    get fault() {
      return state.fault;
    },
    set fault(v: AnswerFault | undefined) {
      state.fault = v;
    },
    get answers() {
      return state.answers;
    },
    get faulted() {
      return state.faulted;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
