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
  const words = new Array<number>(modbusRegisterCount(modbusType(a))).fill(0);
  encodeRegistersInto(words, 0, a, eng, fault);
  return words;
}

// One scratch buffer for every encode: a fleet encodes 100,000 points a
// second, and a Buffer and two arrays per point were most of its work.
const scratch = Buffer.alloc(8);

/** As `encodeRegisters`, written straight into `regs` from `at`, without allocating. */
export function encodeRegistersInto(regs: { [i: number]: number }, at: number, a: ModbusAddress, eng: number, fault = false): void {
  const type = modbusType(a);
  const raw = a.scale ? engToRaw(a, eng) : eng;
  let bytes: number;
  switch (type) {
    case 'float32':
      scratch.writeFloatBE(fault ? Number.NaN : raw);
      bytes = 4;
      break;
    case 'float64':
      scratch.writeDoubleBE(fault ? Number.NaN : raw);
      bytes = 8;
      break;
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'uint32': {
      const [lo, hi] = INT_LIMITS[type]!;
      const v = fault ? FAULT_SENTINEL[type]! : Math.min(hi, Math.max(lo, Math.round(raw)));
      if (type === 'int16') scratch.writeInt16BE(v);
      else if (type === 'uint16') scratch.writeUInt16BE(v);
      else if (type === 'int32') scratch.writeInt32BE(v);
      else scratch.writeUInt32BE(v);
      bytes = type === 'int16' || type === 'uint16' ? 2 : 4;
      break;
    }
    case 'bit':
    case 'bool':
      throw new Error(`encodeRegisters: ${type} is a single bit`);
  }
  const order = a.order;
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const reverse = order === 'CDAB' || order === 'DCBA';
  const n = bytes / 2;
  for (let i = 0; i < n; i++) {
    const hi = scratch[2 * i]!;
    const lo = scratch[2 * i + 1]!;
    regs[at + (reverse ? n - 1 - i : i)] = swapBytes ? (lo << 8) | hi : (hi << 8) | lo;
  }
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
