#!/usr/bin/env node
import { ConfigError, CONFIG_ERROR_EXIT_CODE } from '@park/protocol/config';
import { GATEWAY_USAGE, parseGatewayArgs } from './cli-args.js';
import { loadGatewayConfig } from './config.js';
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
    config = loadGatewayConfig(args.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`park-gateway: configuration error\n${err.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw err;
  }
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
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      log.error('stop took too long; exiting');
      process.exit(1);
    }, STOP_TIMEOUT_MS);
    force.unref();
    void gateway.stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

void main();
