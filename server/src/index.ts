export { startServer, ServerStartError, type RunningServer } from './server.js';
export { loadServerConfig, serverConfigFromObject, serverConfigSchema, SERVER_ENV, type ServerConfig } from './config.js';
export { createLogger, type Logger } from './log.js';
export { startManagedInfluxd, findInfluxd, influxdConfigText, InfluxdStartError, type ManagedInfluxd, type ManagedInfluxdOptions } from './influx/influxd-process.js';
export { InfluxStore, InfluxWriteError, type StoredReading, type ReadingRow } from './influx/influx-store.js';
export { parseInfluxUrl, type InfluxTarget } from './influx/influx-url.js';
export { startEmbeddedBroker, BrokerStartError, type EmbeddedBroker } from './mqtt/embedded-broker.js';
export { HealthRegistry, type HealthReport } from './health.js';
