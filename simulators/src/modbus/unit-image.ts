import { MODBUS_TABLES, modbusRegisterCount, modbusType } from '@park/protocol/config';
import type { SimPoint } from '../model/catalog.js';

/**
 * The register image of one Modbus unit (slave) and its request handler,
 * shared by the TCP and RTU front ends. A table's legal addresses are
 * 0 … (end of its highest configured point) − 1: reads inside that span
 * succeed (gaps between points read 0, as in a PLC's memory), anything
 * beyond it is exception 2. Writes (FC 5, 6, 15, 16) must cover writable
 * points only (the SIS bypass switches), else exception 2.
 */

export type Table = (typeof MODBUS_TABLES)[number];

export const EXCEPTION = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3, deviceFailure: 4, gatewayTargetFailed: 0x0b } as const;

export interface WriteRequest {
  table: 'coil' | 'holding';
  address: number;
  /** Bits (coils) or 16-bit words (holding), as written. */
  values: number[];
}

/** Applies a write to the model; returns false when some point in the range is not writable. */
export type WriteHandler = (image: UnitImage, request: WriteRequest) => boolean;

export class UnitImage {
  readonly unitId: number;
  readonly coils: Uint8Array;
  readonly discreteInputs: Uint8Array;
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
  readonly points: SimPoint[];
  /** Requests answered, for the fleet's counters. */
  requests = 0;

  constructor(unitId: number, points: SimPoint[]) {
    this.unitId = unitId;
    this.points = points;
    const end: Record<Table, number> = { coil: 0, 'discrete-input': 0, holding: 0, input: 0 };
    for (const p of points) {
      const a = p.modbus;
      if (!a) continue;
      const n = Math.max(1, modbusRegisterCount(modbusType(a)));
      end[a.table] = Math.max(end[a.table], a.address + n);
    }
    this.coils = new Uint8Array(end.coil);
    this.discreteInputs = new Uint8Array(end['discrete-input']);
    this.holding = new Uint16Array(end.holding);
    this.input = new Uint16Array(end.input);
  }

  /** Answers one request PDU (function code first) with a response PDU. */
  handle(pdu: Buffer, onWrite: WriteHandler): Buffer {
    this.requests++;
    const fc = pdu[0] ?? 0;
    const ex = (code: number): Buffer => Buffer.from([fc | 0x80, code]);
    const u16 = (off: number): number => (pdu.length >= off + 2 ? pdu.readUInt16BE(off) : -1);
    switch (fc) {
      case 1:
      case 2: {
        const start = u16(1);
        const qty = u16(3);
        if (pdu.length !== 5) return ex(EXCEPTION.illegalValue);
        if (qty < 1 || qty > 2000) return ex(EXCEPTION.illegalValue);
        const bits = fc === 1 ? this.coils : this.discreteInputs;
        if (start + qty > bits.length) return ex(EXCEPTION.illegalAddress);
        const bytes = Buffer.alloc(Math.ceil(qty / 8));
        for (let i = 0; i < qty; i++) if (bits[start + i]) bytes[i >> 3]! |= 1 << (i & 7);
        return Buffer.concat([Buffer.from([fc, bytes.length]), bytes]);
      }
      case 3:
      case 4: {
        const start = u16(1);
        const qty = u16(3);
        if (pdu.length !== 5) return ex(EXCEPTION.illegalValue);
        if (qty < 1 || qty > 125) return ex(EXCEPTION.illegalValue);
        const regs = fc === 3 ? this.holding : this.input;
        if (start + qty > regs.length) return ex(EXCEPTION.illegalAddress);
        const out = Buffer.alloc(2 + qty * 2);
        out[0] = fc;
        out[1] = qty * 2;
        for (let i = 0; i < qty; i++) out.writeUInt16BE(regs[start + i]!, 2 + i * 2);
        return out;
      }
      case 5: {
        const addr = u16(1);
        const v = u16(3);
        if (pdu.length !== 5 || (v !== 0xff00 && v !== 0)) return ex(EXCEPTION.illegalValue);
        if (addr >= this.coils.length) return ex(EXCEPTION.illegalAddress);
        if (!onWrite(this, { table: 'coil', address: addr, values: [v ? 1 : 0] })) return ex(EXCEPTION.illegalAddress);
        return Buffer.from(pdu);
      }
      case 6: {
        const addr = u16(1);
        if (pdu.length !== 5) return ex(EXCEPTION.illegalValue);
        if (addr >= this.holding.length) return ex(EXCEPTION.illegalAddress);
        if (!onWrite(this, { table: 'holding', address: addr, values: [u16(3)] })) return ex(EXCEPTION.illegalAddress);
        return Buffer.from(pdu);
      }
      case 15: {
        const start = u16(1);
        const qty = u16(3);
        const count = pdu[5] ?? -1;
        if (qty < 1 || qty > 1968 || count !== Math.ceil(qty / 8) || pdu.length !== 6 + count) return ex(EXCEPTION.illegalValue);
        if (start + qty > this.coils.length) return ex(EXCEPTION.illegalAddress);
        const values: number[] = [];
        for (let i = 0; i < qty; i++) values.push(((pdu[6 + (i >> 3)] ?? 0) >> (i & 7)) & 1);
        if (!onWrite(this, { table: 'coil', address: start, values })) return ex(EXCEPTION.illegalAddress);
        return pdu.subarray(0, 5);
      }
      case 16: {
        const start = u16(1);
        const qty = u16(3);
        const count = pdu[5] ?? -1;
        if (qty < 1 || qty > 123 || count !== qty * 2 || pdu.length !== 6 + count) return ex(EXCEPTION.illegalValue);
        if (start + qty > this.holding.length) return ex(EXCEPTION.illegalAddress);
        const values: number[] = [];
        for (let i = 0; i < qty; i++) values.push(pdu.readUInt16BE(6 + i * 2));
        if (!onWrite(this, { table: 'holding', address: start, values })) return ex(EXCEPTION.illegalAddress);
        return pdu.subarray(0, 5);
      }
      default:
        return ex(EXCEPTION.illegalFunction);
    }
  }
}
