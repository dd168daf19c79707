#!/usr/bin/env node
import { format } from 'node:util';
import { ConfigError, CONFIG_ERROR_EXIT_CODE, stopOnSignals } from '@park/protocol/config';
import { formatReport } from './check/format.js';
import { CHECK_EXIT } from './check/report.js';
import { runCheck } from './check/run-check.js';
import { GATEWAY_USAGE, parseGatewayArgs, type GatewayArgs } from './cli-args.js';
import { loadGatewayConfigInWorker, type GatewayConfig } from './config.js';
import { DriverConfigError } from './drivers/driver.js';
import { startGateway } from './gateway.js';
import { createLogger } from './log.js';

const STOP_TIMEOUT_MS = 9000;

async function main(): Promise<void> {
  const args = parseGatewayArgs(process.argv.slice(2));
  if ('help' in args) {
    process.stdout.write(`${GATEWAY_USAGE}\nOptions: docs/gateway.md\n`);
    return;
  }
  if ('error' in args) {
    process.stderr.write(`park-gateway: ${args.error}\n${GATEWAY_USAGE}\n`);
    process.exit(CONFIG_ERROR_EXIT_CODE);
  }
  let config;
  try {
    config = await loadGatewayConfigInWorker(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`park-gateway: configuration error\n${err.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw err;
  }
  if (args.command === 'check') return check(config, args);
  const log = createLogger(config.log.level, `gateway:${config.gateway}`);
  let gateway;
  try {
    gateway = await startGateway(config, log);
  } catch (err) {
    if (err instanceof DriverConfigError) {
      process.stderr.write(`park-gateway: configuration error\n${args.config}: ${err.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    log.fatal({ err: (err as Error).message }, 'gateway could not start');
    process.stderr.write(`park-gateway: ${(err as Error).message}\n`);
    process.exit(1);
  }
  stopOnSignals(log, () => gateway.stop(), STOP_TIMEOUT_MS);
}

/** `park-gateway check`: the report on stdout (table or JSON); exit 0 pass, 1 fail, 2 configuration error. */
async function check(config: GatewayConfig, args: Extract<GatewayArgs, { command: 'check' }>): Promise<void> {
  // Libraries' console chatter (node-opcua prints certificate notes) goes to stderr: stdout is the report only.
  const toStderr = (...a: unknown[]): void => void process.stderr.write(`${format(...a)}\n`);
  console.log = console.info = console.warn = console.debug = toStderr;
  let report;
  try {
    report = await runCheck(config, { publish: args.publish, ...(args.timeoutMs !== undefined ? { timeoutMs: args.timeoutMs } : {}) });
  } catch (err) {
    if (err instanceof DriverConfigError) {
      process.stderr.write(`park-gateway: configuration error\n${args.config}: ${err.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    process.stderr.write(`park-gateway check: ${(err as Error).stack ?? (err as Error).message}\n`);
    process.exit(CHECK_EXIT.fail);
  }
  const text = args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report);
  // Exit once stdout is flushed (a pipe to a file or `less` may be slow); drivers' sockets are closed already.
  process.stdout.write(text, () => process.exit(report.result === 'pass' ? CHECK_EXIT.pass : CHECK_EXIT.fail));
}

void main();
