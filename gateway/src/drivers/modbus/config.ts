import { modbusRegisterCount, modbusType, type DeviceConfig, type ModbusAddress } from '@park/protocol/config';

/**
 * Effective Modbus settings: the device's options from the park model (or an
 * inline device) with the defaults filled in. The one place the defaults
 * live; docs/gateway.md lists them.
 */

export type ModbusDevice = Extract<DeviceConfig, { protocol: 'modbus-tcp' | 'modbus-rtu' }>;
export type ModbusTag = ModbusDevice['tags'][number];

export const MODBUS_DEFAULTS = {
  retries: 1,
  maxGap: 10,
  maxRegistersPerRead: 125,
  maxBitsPerRead: 2000,
  failedCyclesBeforeBackoff: 3,
  backoffMs: 5000,
  maxBackoffMs: 60_000,
} as const;

export interface ModbusSettings {
  unitId: number;
  pollIntervalMs: number;
  timeoutMs: number;
  retries: number;
  maxGap: number;
  maxRegistersPerRead: number;
  maxBitsPerRead: number;
  failedCyclesBeforeBackoff: number;
  backoffMs: number;
  maxBackoffMs: number;
}

export function modbusSettings(d: ModbusDevice): ModbusSettings {
  return {
    unitId: d.unitId,
    pollIntervalMs: d.pollIntervalMs,
    timeoutMs: d.timeoutMs,
    retries: d.retries ?? MODBUS_DEFAULTS.retries,
    maxGap: d.maxGap ?? MODBUS_DEFAULTS.maxGap,
    maxRegistersPerRead: d.maxRegistersPerRead ?? MODBUS_DEFAULTS.maxRegistersPerRead,
    maxBitsPerRead: d.maxBitsPerRead ?? MODBUS_DEFAULTS.maxBitsPerRead,
    failedCyclesBeforeBackoff: d.failedCyclesBeforeBackoff ?? MODBUS_DEFAULTS.failedCyclesBeforeBackoff,
    backoffMs: d.backoffMs ?? MODBUS_DEFAULTS.backoffMs,
    maxBackoffMs: Math.max(d.maxBackoffMs ?? MODBUS_DEFAULTS.maxBackoffMs, d.backoffMs ?? MODBUS_DEFAULTS.backoffMs),
  };
}

/** Where a link is: one TCP connection per device, one serial line shared by the devices on it. */
export function linkKey(d: ModbusDevice): string {
  return d.protocol === 'modbus-tcp' ? `tcp:${d.id}` : `rtu:${d.serialPath}`;
}

/** Short table names used in `source` strings and plan logs. */
export const TABLE_SHORT: Record<ModbusAddress['table'], string> = { coil: 'co', 'discrete-input': 'di', holding: 'hr', input: 'ir' };

/** Registers (or bits, for coils and discrete inputs) a tag occupies. */
export function tagWidth(a: ModbusAddress): number {
  const type = modbusType(a);
  return type === 'bool' ? 1 : modbusRegisterCount(type);
}

export function isBitTable(table: ModbusAddress['table']): boolean {
  return table === 'coil' || table === 'discrete-input';
}
