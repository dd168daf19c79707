/** Fixed interfaces (ARCHITECTURE.md): `npm run sim` listens on these. */
export const DEFAULT_PORTS = { opcua: 4840, modbus: 5020, control: 8090 } as const;
export const DEFAULT_TICK_MS = 1000;
export const FLEET_DEFAULTS = { devices: 10, points: 100, opcuaVariables: 1000 } as const;
