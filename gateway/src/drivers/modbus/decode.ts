import { modbusType, type ModbusAddress } from '@park/protocol/config';

/**
 * Raw Modbus data → engineering value: data type, word/byte order, scaling,
 * clamp. Pure functions over the bytes as they came off the wire (registers
 * big-endian, the first register of a value first).
 *
 * Byte order names the wire order of the value's bytes, A most significant:
 * - `ABCD`: big-endian (Modbus standard);
 * - `CDAB`: registers swapped, bytes within each register big-endian
 *   (common in PLCs: "word swap");
 * - `BADC`: registers in order, the two bytes of each register swapped;
 * - `DCBA`: fully little-endian.
 * For 64-bit values the same rule extends to four registers (`CDAB` reverses
 * the register order); for 16-bit values `BADC`/`DCBA` swap the two bytes and
 * `ABCD`/`CDAB` are the same.
 */

/** Reorders `src` (2×n bytes as read) into big-endian value bytes. */
export function toBigEndian(src: Uint8Array, order: ModbusAddress['order']): Buffer {
  const n = src.length;
  const out = Buffer.alloc(n);
  const words = n / 2;
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const from = swapWords ? words - 1 - w : w;
    const hi = src[from * 2] ?? 0;
    const lo = src[from * 2 + 1] ?? 0;
    out[w * 2] = swapBytes ? lo : hi;
    out[w * 2 + 1] = swapBytes ? hi : lo;
  }
  return out;
}

/**
 * Value bytes in big-endian order for the decode, reused: a decode runs for
 * every tag of every poll (100,000 a second on a large park), and two
 * buffers per tag were most of the gateway's garbage.
 */
const scratch = Buffer.alloc(8);

/**
 * The raw (unscaled) number of a register value: the tag's registers as
 * read, `bytes` from `offset` (the whole block's response can be passed).
 */
export function decodeRegisters(bytes: Uint8Array, a: ModbusAddress, offset = 0): number {
  const type = modbusType(a);
  if (type === 'bit') {
    const word = ((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0);
    return (word >> (a.bit ?? 0)) & 1;
  }
  if (type === 'bool') throw new RangeError('bool is read from coils or discrete inputs, not registers');
  const n = type === 'float64' ? 8 : type === 'int16' || type === 'uint16' ? 2 : 4;
  const order = a.order;
  const words = n / 2;
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const swapBytes = order === 'BADC' || order === 'DCBA';
  for (let w = 0; w < words; w++) {
    const from = offset + (swapWords ? words - 1 - w : w) * 2;
    const hi = bytes[from] ?? 0;
    const lo = bytes[from + 1] ?? 0;
    scratch[w * 2] = swapBytes ? lo : hi;
    scratch[w * 2 + 1] = swapBytes ? hi : lo;
  }
  switch (type) {
    case 'int16':
      return scratch.readInt16BE(0);
    case 'uint16':
      return scratch.readUInt16BE(0);
    case 'int32':
      return scratch.readInt32BE(0);
    case 'uint32':
      return scratch.readUInt32BE(0);
    case 'float32':
      return scratch.readFloatBE(0);
    case 'float64':
      return scratch.readDoubleBE(0);
  }
}

/** Encodes a value into registers in the given order (for tests and simulators: the inverse of decode). */
export function encodeRegisters(value: number, type: Exclude<ModbusAddress['type'], 'bool' | 'bit' | undefined>, order: ModbusAddress['order']): Buffer {
  const size = type === 'float64' ? 8 : type === 'int32' || type === 'uint32' || type === 'float32' ? 4 : 2;
  const be = Buffer.alloc(size);
  if (type === 'int16') be.writeInt16BE(value);
  else if (type === 'uint16') be.writeUInt16BE(value);
  else if (type === 'int32') be.writeInt32BE(value);
  else if (type === 'uint32') be.writeUInt32BE(value);
  else if (type === 'float32') be.writeFloatBE(value);
  else be.writeDoubleBE(value);
  // The reordering is its own inverse for every order.
  return toBigEndian(be, order);
}

export interface Scaler {
  (raw: number): number;
}

/** Raw → engineering units, then the optional clamp to the engineering range. */
export function scaler(a: ModbusAddress, range: readonly [number, number] | undefined): Scaler {
  const s = a.scale;
  let f: (x: number) => number = (x) => x;
  let eng: readonly [number, number] | undefined = range;
  if (s && 'raw' in s) {
    const [r0, r1] = s.raw;
    const [e0, e1] = s.eng;
    const k = r1 === r0 ? 0 : (e1 - e0) / (r1 - r0);
    f = (x) => e0 + (x - r0) * k;
    eng = s.eng;
  } else if (s) {
    const { factor, offset } = s;
    f = (x) => x * factor + offset;
  }
  if (a.clamp && eng) {
    const lo = Math.min(eng[0], eng[1]);
    const hi = Math.max(eng[0], eng[1]);
    return (x) => Math.min(hi, Math.max(lo, f(x)));
  }
  return f;
}
