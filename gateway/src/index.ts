/** @park/gateway: OPC UA and Modbus acquisition, report by exception over MQTT, disk store-and-forward. See docs/gateway.md. */
export { gatewayConfigFromObject, gatewayConfigSchema, loadGatewayConfig, GATEWAY_ENV, type GatewayConfig } from './config.js';
export { startGateway, type RunningGateway } from './gateway.js';
export { createLogger } from './log.js';
export { DriverConfigError, type Driver, type DriverContext, type DriverPlan } from './drivers/driver.js';
export { DRIVERS, createDriver } from './drivers/registry.js';
export { planBlocks, planGroups, splitBlock, describeBlock, plannedTag, type Block } from './drivers/modbus/plan.js';
export { decodeRegisters, encodeRegisters, scaler, toBigEndian } from './drivers/modbus/decode.js';
export { MODBUS_DEFAULTS, modbusSettings } from './drivers/modbus/config.js';
export { OPCUA_DEFAULTS } from './drivers/opcua/config.js';
export { qualityOf, numericValue, pickTimestamp } from './drivers/opcua/status.js';
export { ReportFilter } from './core/report-filter.js';
export { Batcher, type BatchSink } from './core/batcher.js';
export { SeqStore } from './core/seq-store.js';
export { Outbox, type OutboxRecord } from './outbox/segment-log.js';
