import { modbusRegisterCount, modbusType } from '@park/protocol/config';
import type { SimDevice, SimPoint } from '../model/catalog.js';
import type { SimModel } from '../model/types.js';
import { decodeRegisters, encodeRegistersInto } from './codec.js';
import { UnitImage, type WriteRequest } from './unit-image.js';

/**
 * The Modbus units behind one listener (the TCP port, or one serial line),
 * by unit id, with their register images kept up to date from the model.
 */
export class ModbusBank {
  private readonly units = new Map<number, { image: UnitImage; device: SimDevice }>();
  /** Units whose image is older than the model: encoded again on their next read. */
  private readonly stale = new Set<number>();

  constructor(
    devices: readonly SimDevice[],
    private readonly model: SimModel,
    private readonly now: () => number = Date.now,
  ) {
    for (const device of devices) {
      const unitId = device.unitId ?? 1;
      const taken = this.units.get(unitId);
      if (taken) throw new Error(`devices "${taken.device.id}" and "${device.id}" share Modbus unit id ${unitId} on one listener`);
      this.units.set(unitId, { image: new UnitImage(unitId, device.points), device });
    }
    this.refresh();
  }

  get unitIds(): number[] {
    return [...this.units.keys()];
  }

  image(unitId: number): UnitImage | undefined {
    return this.current(unitId)?.image;
  }

  /**
   * The response PDU for a request to `unitId`; `'silent'` when the unit is
   * offline (a dead device sends nothing), `'unknown'` when no device has
   * that unit id.
   */
  answer(unitId: number, pdu: Buffer): Buffer | 'silent' | 'unknown' {
    const unit = this.current(unitId);
    if (!unit) return 'unknown';
    if (!this.model.deviceOnline(unit.device.id)) return 'silent';
    return unit.image.handle(pdu, (image, request) => this.write(image, request));
  }

  /**
   * Marks every unit's image as behind the model. The values are copied in
   * when a unit is next read, one unit at a time: encoding a whole fleet
   * (100,000 points) at once every second blocked the listener for longer
   * than a gateway's timeout, and units nobody reads cost nothing.
   */
  refresh(): void {
    for (const id of this.units.keys()) this.stale.add(id);
  }

  private current(unitId: number): { image: UnitImage; device: SimDevice } | undefined {
    const unit = this.units.get(unitId);
    if (unit && this.stale.delete(unitId)) for (const p of unit.image.points) writePoint(unit.image, p, this.model);
    return unit;
  }

  private write(image: UnitImage, request: WriteRequest): boolean {
    const end = request.address + request.values.length;
    const touched = image.points.filter((p) => {
      const a = p.modbus!;
      if (a.table !== request.table) return false;
      const n = Math.max(1, modbusRegisterCount(modbusType(a)));
      return a.address < end && a.address + n > request.address;
    });
    if (touched.length === 0 || !touched.every((p) => this.model.writable(p))) return false;
    const target = request.table === 'coil' ? image.coils : image.holding;
    request.values.forEach((v, i) => (target[request.address + i] = v));
    for (const p of touched) {
      const a = p.modbus!;
      const value = a.table === 'coil' ? image.coils[a.address]! : decodeRegisters(a, [...image.holding.subarray(a.address, a.address + Math.max(1, modbusRegisterCount(modbusType(a))))]);
      this.model.write(p, value, this.now());
    }
    this.refresh();
    return true;
  }
}

function writePoint(image: UnitImage, p: SimPoint, model: SimModel): void {
  const a = p.modbus;
  if (!a) return;
  const v = model.value(p.id);
  const type = modbusType(a);
  if (type === 'bool') {
    const bits = a.table === 'coil' ? image.coils : image.discreteInputs;
    bits[a.address] = v.value ? 1 : 0;
    return;
  }
  const regs = a.table === 'holding' ? image.holding : image.input;
  if (type === 'bit') {
    const mask = 1 << (a.bit ?? 0);
    regs[a.address] = v.value ? regs[a.address]! | mask : regs[a.address]! & ~mask;
    return;
  }
  encodeRegistersInto(regs, a.address, a, v.value, v.status === 'BadSensorFailure');
}
