import type { DeviceConfig } from '@park/protocol/config';
import type { Driver, DriverFactory } from './driver.js';
import { createModbusDriver } from './modbus/driver.js';
import { createOpcuaDriver } from './opcua/driver.js';

/** Protocol name (the device's `protocol`) → driver factory. */
export const DRIVERS: Readonly<Record<DeviceConfig['protocol'], DriverFactory>> = {
  'modbus-tcp': createModbusDriver,
  'modbus-rtu': createModbusDriver,
  opcua: createOpcuaDriver,
};

export function createDriver(device: DeviceConfig): Driver {
  return DRIVERS[device.protocol](device);
}
