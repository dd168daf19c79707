/**
 * @park/simulators: the demo park as real OPC UA and Modbus devices, with
 * scenarios, an HTTP control API and a load-test fleet. docs/simulators.md.
 */
export { startSimulators, DEFAULT_PORTS, DEFAULT_TICK_MS, type RunningSimulators, type SimulatorOptions } from './simulators.js';
export type { PointState } from './point-state.js';
export { ParkModel, stabilityClass, type ParkModelOptions } from './model/park-model.js';
export { buildCatalog, type SimCatalog, type SimDevice, type SimPoint, type SimProtocol } from './model/catalog.js';
export { SimError, type PointValue, type Quality, type ScenarioInfo, type ScenarioRun, type SimModel, type SimStatus } from './model/types.js';
export { SCENARIO_NAMES, SCENARIO_TEXT, type ScenarioName } from './model/scenario-text.js';
export { SCENARIO as SCENARIO_PARAMETERS, SUBSTANCES, vapourPressureGauge } from './model/profiles.js';
export { decodeRegisters, encodeRegisters, engToRaw, rawToEng, FAULT_SENTINEL } from './modbus/codec.js';
export { crc16 } from './modbus/rtu.js';
export { FleetModel, fleetPark, fleetValue, FLEET_DEFAULTS, type FleetOptions } from './fleet.js';
