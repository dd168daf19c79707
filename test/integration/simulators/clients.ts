import { connect } from 'node:net';
import modbusSerial from 'modbus-serial';
import { AttributeIds, OPCUAClient, type ClientSession, type DataValue } from 'node-opcua';
import type { PointState } from '@park/simulators';

// Plain protocol clients for the simulator tests. Decoding here is written
// independently of the simulators' own codec, from the addresses in the
// park file, so a test finds encoding mistakes instead of repeating them.

// modbus-serial is CommonJS typed as an ES default export: the class is `.default`.
export const ModbusRTU = modbusSerial.default;
export type ModbusRTU = InstanceType<typeof ModbusRTU>;

export interface OpcuaTestClient {
  session: ClientSession;
  read(nodeIds: string[]): Promise<DataValue[]>;
  close(): Promise<void>;
}

export async function opcuaClient(endpoint: string): Promise<OpcuaTestClient> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 }, requestedSessionTimeout: 20_000 });
  await client.connect(endpoint);
  try {
    const session = await client.createSession();
    return {
      session,
      read: (nodeIds) => session.read(nodeIds.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value }))),
      close: async () => {
        await session.close().catch(() => undefined);
        await client.disconnect();
      },
    };
  } catch (err) {
    await client.disconnect();
    throw err;
  }
}

/** Whether a fresh OPC UA client can connect at all (device-offline refuses). */
export async function opcuaConnects(endpoint: string): Promise<boolean> {
  const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 } });
  try {
    await client.connect(endpoint);
    await client.disconnect();
    return true;
  } catch {
    await client.disconnect().catch(() => undefined);
    return false;
  }
}

export async function modbusTcpClient(port: number, unitId: number, timeoutMs = 1000): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unitId);
  c.setTimeout(timeoutMs);
  return c;
}

export function closeModbus(c: ModbusRTU): Promise<void> {
  return new Promise((resolve) => c.close(() => resolve()));
}

type Modbus = NonNullable<PointState['modbus']>;

const WORDS: Record<Modbus['type'], number> = { bool: 1, bit: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 };

/** Reads one point with a plain Modbus client and turns it into its engineering value. */
export async function readModbusPoint(c: ModbusRTU, a: Modbus): Promise<number> {
  if (a.table === 'coil') return (await c.readCoils(a.address, 1)).data[0] ? 1 : 0;
  if (a.table === 'discrete-input') return (await c.readDiscreteInputs(a.address, 1)).data[0] ? 1 : 0;
  const n = WORDS[a.type];
  const r = a.table === 'holding' ? await c.readHoldingRegisters(a.address, n) : await c.readInputRegisters(a.address, n);
  return decodeWords(a, r.data);
}

export function decodeWords(a: Modbus, wire: number[]): number {
  if (a.type === 'bit') return ((wire[0] ?? 0) >> (a.bit ?? 0)) & 1;
  // Back to big-endian bytes A B C D …
  let words = [...wire];
  if (a.order === 'CDAB' || a.order === 'DCBA') words = words.reverse();
  const b = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => {
    const swapped = a.order === 'BADC' || a.order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w;
    b.writeUInt16BE(swapped, i * 2);
  });
  const raw = { float32: () => b.readFloatBE(0), float64: () => b.readDoubleBE(0), int16: () => b.readInt16BE(0), uint16: () => b.readUInt16BE(0), int32: () => b.readInt32BE(0), uint32: () => b.readUInt32BE(0), bool: () => 0, bit: () => 0 }[a.type]();
  const s = a.scale;
  if (!s) return raw;
  if ('raw' in s) return s.eng[0] + ((raw - s.raw[0]) * (s.eng[1] - s.eng[0])) / (s.raw[1] - s.raw[0]);
  return raw * s.factor + (s.offset ?? 0);
}

/** How close a value read over Modbus must be to the simulator's: float32 rounding or half a raw step. */
export function modbusTolerance(a: Modbus, value: number): number {
  if (a.type === 'float32') return Math.max(Math.abs(value) * 1e-6, 1e-6);
  if (a.type === 'float64') return 1e-9;
  const s = a.scale;
  if (!s) return 0.5;
  if ('raw' in s) return (0.5 * Math.abs(s.eng[1] - s.eng[0])) / Math.abs(s.raw[1] - s.raw[0]) + 1e-9;
  return 0.5 * Math.abs(s.factor) + 1e-9;
}

/**
 * Sends raw Modbus TCP frames in one write (pipelined) and collects the
 * answers; resolves when `expected` frames arrived or after `waitMs` with
 * what came (for requests that get no answer).
 */
export function rawModbusTcp(port: number, frames: Buffer[], expected = frames.length, waitMs = 2000): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const out: Buffer[] = [];
    const done = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(out);
    };
    const timer = setTimeout(done, waitMs);
    s.once('connect', () => s.write(Buffer.concat(frames)));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      while (buf.length >= 7 && buf.length >= 6 + buf.readUInt16BE(4)) {
        const n = 6 + buf.readUInt16BE(4);
        out.push(buf.subarray(0, n));
        buf = buf.subarray(n);
      }
      if (out.length >= expected) done();
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

export function mbap(transaction: number, unitId: number, pdu: number[]): Buffer {
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(transaction, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b[6] = unitId;
  Buffer.from(pdu).copy(b, 7);
  return b;
}
