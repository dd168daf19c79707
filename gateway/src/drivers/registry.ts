import type { DeviceConfig } from '@park/protocol/config';
import type { Driver, DriverFactory } from './driver.js';
import { createModbusDriver } from './modbus/driver.js';

/**
 * Protocol name (the device's `protocol`) → driver factory. The OPC UA stack
 * is loaded only when a device needs it: node-opcua's modules alone hold some
 * 80 MB of RSS, which a Modbus-only edge box should not pay for.
 */
export const DRIVERS: Readonly<Record<DeviceConfig['protocol'], DriverFactory>> = {
  'modbus-tcp': async (device) => createModbusDriver(device),
  'modbus-rtu': async (device) => createModbusDriver(device),
  opcua: async (device) => (await import('./opcua/driver.js')).createOpcuaDriver(device),
};

export function createDriver(device: DeviceConfig): Promise<Driver> {
  return DRIVERS[device.protocol](device);
}
