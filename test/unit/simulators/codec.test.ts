import { describe, expect, it } from 'vitest';
import type { ModbusAddress } from '@park/protocol/config';
import { crc16, decodeRegisters, encodeRegisters } from '@park/simulators';

const addr = (a: Partial<ModbusAddress>): ModbusAddress => ({ table: 'holding', address: 0, order: 'ABCD', ...a });

describe('modbus value encoding', () => {
  // 12.5 as float32 is 0x41480000: A=41 B=48 C=00 D=00.
  it.each([
    ['ABCD', [0x4148, 0x0000]],
    ['CDAB', [0x0000, 0x4148]],
    ['BADC', [0x4841, 0x0000]],
    ['DCBA', [0x0000, 0x4841]],
  ] as const)('float32 word order %s', (order, words) => {
    const a = addr({ type: 'float32', order });
    expect(encodeRegisters(a, 12.5)).toEqual(words);
    expect(decodeRegisters(a, words)).toBe(12.5);
  });

  it('scales int16 from raw 0–10000 to 0–100 %LEL', () => {
    const a = addr({ table: 'input', type: 'int16', scale: { raw: [0, 10000], eng: [0, 100] } });
    expect(encodeRegisters(a, 25.37)).toEqual([2537]);
    expect(decodeRegisters(a, [2537])).toBeCloseTo(25.37, 6);
  });

  it('scales with a factor, rounds, saturates and signs', () => {
    const a = addr({ type: 'int16', scale: { factor: 0.1, offset: 0 } });
    expect(encodeRegisters(a, -12.34)).toEqual([0x10000 - 123]);
    expect(encodeRegisters(a, 1e9)).toEqual([0x7fff]);
    expect(decodeRegisters(a, [0x10000 - 123])).toBeCloseTo(-12.3, 6);
  });

  it('marks a faulted transmitter: NaN for floats, 0x8000 for integers', () => {
    expect(Number.isNaN(decodeRegisters(addr({ type: 'float32' }), encodeRegisters(addr({ type: 'float32' }), 1, true)))).toBe(true);
    expect(encodeRegisters(addr({ type: 'int16' }), 1, true)).toEqual([0x8000]);
    expect(encodeRegisters(addr({ type: 'uint16' }), 1, true)).toEqual([0x8000]);
  });

  it('computes the Modbus RTU CRC (low byte first on the wire)', () => {
    // Read holding registers, unit 1, address 0, 2 registers: 01 03 00 00 00 02 C4 0B.
    expect(crc16(Buffer.from([0x01, 0x03, 0x00, 0x00, 0x00, 0x02]))).toBe(0x0bc4);
  });
});
