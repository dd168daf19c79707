import { modbusRegisterCount, modbusType, type ModbusAddress } from '@park/protocol/config';

/**
 * Engineering value ↔ Modbus registers, as a real device encodes them: the
 * scale of the park file, integer rounding and saturation, and the byte
 * order (A = most significant byte): ABCD big-endian, CDAB word-swapped,
 * BADC byte-swapped, DCBA both.
 */

export type ModbusType = ReturnType<typeof modbusType>;

const INT_LIMITS: Partial<Record<ModbusType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** What an integer register reads while its transmitter is faulted (the lowest int16/int32, or 0x8000… unsigned). */
export const FAULT_SENTINEL: Partial<Record<ModbusType, number>> = { int16: -0x8000, uint16: 0x8000, int32: -0x80000000, uint32: 0x80000000 };

export function engToRaw(a: ModbusAddress, eng: number): number {
  const s = a.scale;
  if (!s) return eng;
  if ('raw' in s) {
    const [r0, r1] = s.raw;
    const [e0, e1] = s.eng;
    return e1 === e0 ? r0 : r0 + ((eng - e0) * (r1 - r0)) / (e1 - e0);
  }
  return s.factor === 0 ? 0 : (eng - s.offset) / s.factor;
}

export function rawToEng(a: ModbusAddress, raw: number): number {
  const s = a.scale;
  if (!s) return raw;
  if ('raw' in s) {
    const [r0, r1] = s.raw;
    const [e0, e1] = s.eng;
    return r1 === r0 ? e0 : e0 + ((raw - r0) * (e1 - e0)) / (r1 - r0);
  }
  return raw * s.factor + s.offset;
}

/** Registers (16-bit words, in wire order) for a numeric value; `fault` gives NaN or the integer sentinel. */
export function encodeRegisters(a: ModbusAddress, eng: number, fault = false): number[] {
  const type = modbusType(a);
  const words = modbusRegisterCount(type);
  const buf = Buffer.alloc(words * 2);
  const raw = engToRaw(a, eng);
  switch (type) {
    case 'float32':
      buf.writeFloatBE(fault ? Number.NaN : raw);
      break;
    case 'float64':
      buf.writeDoubleBE(fault ? Number.NaN : raw);
      break;
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [lo, hi] = INT_LIMITS[type]!;
      const v = fault ? FAULT_SENTINEL[type]! : Math.min(hi, Math.max(lo, Math.round(raw)));
      if (type === 'int16') buf.writeInt16BE(v);
      else if (type === 'uint16') buf.writeUInt16BE(v);
      else if (type === 'int32') buf.writeInt32BE(v);
      else buf.writeUInt32BE(v);
      break;
    }
    case 'bit':
    case 'bool':
      throw new Error(`encodeRegisters: ${type} is a single bit`);
  }
  return toWireOrder(buf, a.order);
}

/** The engineering value of registers read in wire order. */
export function decodeRegisters(a: ModbusAddress, wire: readonly number[]): number {
  const type = modbusType(a);
  const buf = fromWireOrder(wire, a.order);
  let raw: number;
  switch (type) {
    case 'float32':
      raw = buf.readFloatBE();
      break;
    case 'float64':
      raw = buf.readDoubleBE();
      break;
    case 'int16':
      raw = buf.readInt16BE();
      break;
    case 'uint16':
      raw = buf.readUInt16BE();
      break;
    case 'int32':
      raw = buf.readInt32BE();
      break;
    case 'uint32':
      raw = buf.readUInt32BE();
      break;
    case 'bit':
      raw = ((buf.readUInt16BE() >> (a.bit ?? 0)) & 1) as number;
      return raw;
    case 'bool':
      throw new Error('decodeRegisters: bool is a coil or discrete input');
  }
  return rawToEng(a, raw);
}

function toWireOrder(bigEndian: Buffer, order: ModbusAddress['order']): number[] {
  const words: number[] = [];
  for (let i = 0; i < bigEndian.length; i += 2) {
    const hi = bigEndian[i]!;
    const lo = bigEndian[i + 1]!;
    words.push(order === 'BADC' || order === 'DCBA' ? (lo << 8) | hi : (hi << 8) | lo);
  }
  if (order === 'CDAB' || order === 'DCBA') words.reverse();
  return words;
}

function fromWireOrder(wire: readonly number[], order: ModbusAddress['order']): Buffer {
  const words = [...wire];
  if (order === 'CDAB' || order === 'DCBA') words.reverse();
  const buf = Buffer.alloc(words.length * 2);
  words.forEach((w, i) => {
    const v = order === 'BADC' || order === 'DCBA' ? ((w & 0xff) << 8) | (w >> 8) : w;
    buf.writeUInt16BE(v & 0xffff, i * 2);
  });
  return buf;
}
