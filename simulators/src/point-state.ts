import { modbusType, type ModbusAddress } from '@park/protocol/config';
import type { SimPoint, SimProtocol } from './model/catalog.js';
import { qualityOf, type Quality, type SimModel, type SimStatus } from './model/types.js';

/** One point as the control API and `points()` show it. */
export interface PointState {
  /** The tag id of the park file: the id the gateway publishes. */
  id: string;
  site: string;
  device: string;
  protocol: SimProtocol;
  /** Human-readable address: an OPC UA node id, or `unit 2 input 0 int16 (raw 0–10000 = 0–100)`. */
  address: string;
  nodeId?: string;
  modbus?: ModbusAddress & { unitId: number; type: NonNullable<ModbusAddress['type']> };
  kind: 'analog' | 'discrete';
  unit: string;
  value: number;
  quality: Quality;
  /** OPC UA status name: Good, BadSensorFailure, or BadCommunicationError while the device is offline. */
  status: SimStatus;
  /** Source time, ms since the epoch. */
  ts: number;
  held: boolean;
  /** False while the device does not answer (device-offline). */
  online: boolean;
}

export function pointState(p: SimPoint, model: SimModel): PointState {
  const v = model.value(p.id);
  const online = model.deviceOnline(p.deviceId);
  const status: SimStatus = online ? v.status : 'BadCommunicationError';
  const state: PointState = {
    id: p.id,
    site: p.siteId,
    device: p.deviceId,
    protocol: p.protocol,
    address: p.address,
    kind: p.kind,
    unit: p.unit,
    value: v.value,
    quality: qualityOf(status),
    status,
    ts: v.ts,
    held: model.isHeld(p.id),
    online,
  };
  if (p.nodeId !== undefined) state.nodeId = p.nodeId;
  if (p.modbus) state.modbus = { ...p.modbus, type: modbusType(p.modbus) };
  return state;
}
