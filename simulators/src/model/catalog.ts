import { modbusType, type DeviceConfig, type ModbusAddress, type ParkConfig, type TagConfig } from '@park/protocol/config';

/**
 * The park file flattened into what the simulators serve: one `SimPoint` per
 * tag, one `SimDevice` per device. Ids, units, addresses and limits all come
 * from the park file; nothing here is simulator-specific.
 */

export type SimProtocol = DeviceConfig['protocol'];

export interface SimPoint {
  /** The tag id, e.g. `a.hs01.t101.level`: the same id the gateway publishes. */
  id: string;
  siteId: string;
  deviceId: string;
  protocol: SimProtocol;
  tag: TagConfig;
  kind: 'analog' | 'discrete';
  unit: string;
  /** OPC UA node id, for `opcua` devices. */
  nodeId?: string;
  /** Modbus address and the device's unit id, for `modbus-tcp` / `modbus-rtu` devices. */
  modbus?: ModbusAddress & { unitId: number };
  /** The address as a person reads it, e.g. `unit 2 input 0 int16 (raw 0–10000 = 0–100)`. */
  address: string;
  /** The id without its last segment (`a.hs01.t101`): the equipment the point belongs to. */
  group: string;
  /** The last segment of the id (`level`, `sis_trip`, `gd01`): what the point measures. */
  role: string;
}

export interface SimDevice {
  id: string;
  siteId: string;
  protocol: SimProtocol;
  /** Modbus unit id. */
  unitId?: number;
  /** Modbus RTU serial path as configured (the gateway's side of the line). */
  serialPath?: string;
  /** OPC UA endpoint as configured. */
  endpoint?: string;
  points: SimPoint[];
}

export interface SimCatalog {
  devices: SimDevice[];
  points: SimPoint[];
  byId: Map<string, SimPoint>;
}

export function buildCatalog(park: ParkConfig): SimCatalog {
  const devices: SimDevice[] = [];
  const points: SimPoint[] = [];
  for (const site of park.sites) {
    for (const device of site.devices) {
      const dev: SimDevice = { id: device.id, siteId: site.id, protocol: device.protocol, points: [] };
      if (device.protocol === 'opcua') dev.endpoint = device.endpoint;
      else dev.unitId = device.unitId;
      if (device.protocol === 'modbus-rtu') dev.serialPath = device.serialPath;
      for (const tag of device.tags) {
        const cut = tag.id.lastIndexOf('.');
        const point: SimPoint = {
          id: tag.id,
          siteId: site.id,
          deviceId: device.id,
          protocol: device.protocol,
          tag,
          kind: tag.kind,
          unit: tag.unit,
          address: '',
          group: cut > 0 ? tag.id.slice(0, cut) : tag.id,
          role: cut > 0 ? tag.id.slice(cut + 1) : tag.id,
        };
        if (device.protocol === 'opcua') {
          point.nodeId = (tag.address as { nodeId: string }).nodeId;
          point.address = point.nodeId;
        } else {
          const a = tag.address as ModbusAddress;
          // Not `{ ...a, unitId }`: in this V8 a spread plus a property gives every
          // object a map of its own, and the fleet reads 100,000 of them a second.
          point.modbus = Object.assign({}, a, { unitId: device.unitId });
          point.address = describeModbusAddress(point.modbus);
        }
        dev.points.push(point);
        points.push(point);
      }
      devices.push(dev);
    }
  }
  return { devices, points, byId: new Map(points.map((p) => [p.id, p])) };
}

export function describeModbusAddress(a: ModbusAddress & { unitId: number }): string {
  const type = modbusType(a);
  const parts = [`unit ${a.unitId}`, a.table, String(a.address)];
  if (type !== 'bool') parts.push(type);
  if (type === 'bit') parts.push(`bit ${a.bit ?? 0}`);
  if (['int32', 'uint32', 'float32', 'float64'].includes(type)) parts.push(a.order);
  if (a.scale) parts.push('raw' in a.scale ? `(raw ${a.scale.raw[0]}–${a.scale.raw[1]} = ${a.scale.eng[0]}–${a.scale.eng[1]})` : `(× ${a.scale.factor}${a.scale.offset ? ` + ${a.scale.offset}` : ''})`);
  return parts.join(' ');
}
