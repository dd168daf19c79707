export { ConfigError, CONFIG_ERROR_EXIT_CODE, formatProblem, type ConfigProblem } from './config-error.js';
export { loadConfigFile, parseConfigText, type ConfigOverride, type LoadedConfig, type LoadOptions } from './load-config.js';
export { envOverrides, type EnvBinding } from './env-overrides.js';
export { describeIssue, describeValue, formatPath } from './format-issue.js';
export * from './park-schema.js';
export { stopOnSignals, type StopLogger } from './stop-on-signals.js';
