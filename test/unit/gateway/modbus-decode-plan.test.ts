import { describe, expect, it } from 'vitest';
import { modbusAddressSchema, type ModbusAddress } from '@park/protocol/config';
import { decodeRegisters, encodeRegisters, planBlocks, plannedTag, scaler, splitBlock, toBigEndian } from '@park/gateway';

const addr = (a: Partial<ModbusAddress> & { table: ModbusAddress['table']; address: number }): ModbusAddress => modbusAddressSchema.parse(a);

describe('modbus decode: every data type and word order', () => {
  it.each([
    ['float32', 'ABCD', [0x41, 0x48, 0x00, 0x00], 12.5],
    ['float32', 'CDAB', [0x00, 0x00, 0x41, 0x48], 12.5],
    ['float32', 'BADC', [0x48, 0x41, 0x00, 0x00], 12.5],
    ['float32', 'DCBA', [0x00, 0x00, 0x48, 0x41], 12.5],
    ['int16', 'ABCD', [0xff, 0xfe], -2],
    ['int16', 'BADC', [0xfe, 0xff], -2],
    ['uint16', 'ABCD', [0xd4, 0x31], 54321],
    ['uint16', 'DCBA', [0x31, 0xd4], 54321],
    ['int32', 'ABCD', [0xff, 0xff, 0xff, 0xfe], -2],
    ['int32', 'CDAB', [0xff, 0xfe, 0xff, 0xff], -2],
    ['uint32', 'ABCD', [0xee, 0x6b, 0x28, 0x00], 4_000_000_000],
    ['uint32', 'CDAB', [0x28, 0x00, 0xee, 0x6b], 4_000_000_000],
    ['uint32', 'BADC', [0x6b, 0xee, 0x00, 0x28], 4_000_000_000],
    ['uint32', 'DCBA', [0x00, 0x28, 0x6b, 0xee], 4_000_000_000],
    ['float64', 'ABCD', [0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18], Math.PI],
    ['float64', 'CDAB', [0x2d, 0x18, 0x54, 0x44, 0x21, 0xfb, 0x40, 0x09], Math.PI],
    ['float64', 'BADC', [0x09, 0x40, 0xfb, 0x21, 0x44, 0x54, 0x18, 0x2d], Math.PI],
    ['float64', 'DCBA', [0x18, 0x2d, 0x44, 0x54, 0xfb, 0x21, 0x09, 0x40], Math.PI],
  ] as const)('%s %s', (type, order, bytes, expected) => {
    const a = addr({ table: 'holding', address: 0, type, order });
    expect(decodeRegisters(Uint8Array.from(bytes), a)).toBe(expected);
    // The same registers inside a block's response, read at their offset.
    expect(decodeRegisters(Uint8Array.from([0xff, 0xff, ...bytes, 0xff, 0xff]), a, 2)).toBe(expected);
    // encode is the inverse, as the tests' Modbus server uses it
    expect([...encodeRegisters(expected, type, order)]).toEqual([...bytes]);
  });

  it('reads one bit of a register', () => {
    const a = (bit: number) => addr({ table: 'holding', address: 0, type: 'bit', bit });
    expect(decodeRegisters(Uint8Array.from([0x80, 0x08]), a(3))).toBe(1);
    expect(decodeRegisters(Uint8Array.from([0x80, 0x08]), a(15))).toBe(1);
    expect(decodeRegisters(Uint8Array.from([0x80, 0x08]), a(4))).toBe(0);
    expect(decodeRegisters(Uint8Array.from([0x00, 0x00, 0x80, 0x08]), a(3), 2)).toBe(1);
  });

  it('reorders without changing the input', () => {
    const src = Uint8Array.from([1, 2, 3, 4]);
    expect([...toBigEndian(src, 'DCBA')]).toEqual([4, 3, 2, 1]);
    expect([...src]).toEqual([1, 2, 3, 4]);
  });
});

describe('modbus scaling and clamp', () => {
  it('maps a raw range to an engineering range', () => {
    const s = scaler(addr({ table: 'input', address: 0, type: 'int16', scale: { raw: [0, 10000], eng: [0, 100] } }), undefined);
    expect(s(2500)).toBe(25);
    expect(s(12000)).toBe(120);
  });
  it('applies factor and offset', () => {
    expect(scaler(addr({ table: 'holding', address: 0, scale: { factor: 0.1, offset: -10 } }), undefined)(500)).toBeCloseTo(40);
  });
  it('clamps to the scale range, else to the tag range', () => {
    expect(scaler(addr({ table: 'input', address: 0, scale: { raw: [0, 1000], eng: [0, 10] }, clamp: true }), undefined)(2000)).toBe(10);
    expect(scaler(addr({ table: 'input', address: 0, scale: { raw: [0, 1000], eng: [0, 10] }, clamp: true }), undefined)(-5)).toBe(0);
    expect(scaler(addr({ table: 'holding', address: 0, clamp: true }), [0, 100])(150)).toBe(100);
    expect(scaler(addr({ table: 'holding', address: 0 }), [0, 100])(150)).toBe(150);
  });
});

describe('modbus block planning', () => {
  const limits = { maxGap: 10, maxRegistersPerRead: 125, maxBitsPerRead: 2000 };
  const tag = (i: number, a: Partial<ModbusAddress> & { table: ModbusAddress['table']; address: number }) =>
    plannedTag({ id: `t${i}`, kind: a.type === 'bit' || a.table === 'coil' || a.table === 'discrete-input' ? 'discrete' : 'analog', unit: '', description: { zh: 'x', en: 'x' }, address: addr(a) }, i);

  it('coalesces nearby addresses and splits at a gap larger than maxGap', () => {
    const blocks = planBlocks([tag(0, { table: 'holding', address: 0, type: 'float32' }), tag(1, { table: 'holding', address: 12, type: 'float32' }), tag(2, { table: 'holding', address: 30 }), tag(3, { table: 'input', address: 0 })], limits);
    expect(blocks.map((b) => [b.table, b.start, b.count, b.tags.length])).toEqual([
      ['holding', 0, 14, 2],
      ['holding', 30, 1, 1],
      ['input', 0, 1, 1],
    ]);
  });

  it('never exceeds the per-read maximum', () => {
    const tags = Array.from({ length: 100 }, (_, i) => tag(i, { table: 'holding', address: i * 2, type: 'float32' }));
    const blocks = planBlocks(tags, limits);
    expect(blocks.map((b) => b.count)).toEqual([124, 76]);
    expect(planBlocks(Array.from({ length: 3000 }, (_, i) => tag(i, { table: 'coil', address: i })), limits).map((b) => b.count)).toEqual([2000, 1000]);
  });

  it('shares one register between bit tags', () => {
    const blocks = planBlocks([tag(0, { table: 'holding', address: 5, type: 'bit', bit: 0 }), tag(1, { table: 'holding', address: 5, type: 'bit', bit: 1 })], limits);
    expect(blocks).toHaveLength(1);
    expect(blocks[0]?.count).toBe(1);
  });

  it('reads isolated tags alone and splits a refused block by halves', () => {
    const tags = [0, 1, 2, 3].map((i) => tag(i, { table: 'holding', address: i }));
    expect(planBlocks(tags, limits, new Set([2])).map((b) => [b.start, b.count])).toEqual([
      [0, 2],
      [2, 1],
      [3, 1],
    ]);
    const [whole] = planBlocks(tags, limits);
    expect(splitBlock(whole!, limits).map((b) => [b.start, b.count])).toEqual([
      [0, 2],
      [2, 2],
    ]);
  });
});
