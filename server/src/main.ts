#!/usr/bin/env node
import { ConfigError, CONFIG_ERROR_EXIT_CODE, stopOnSignals } from '@park/protocol/config';
import { parseServerArgs, SERVER_USAGE } from './cli-args.js';
import { loadServerConfig, loadServerConfigInWorker } from './config.js';
import { createLogger } from './log.js';
import { startServer } from './server.js';
import { randomBytes } from 'node:crypto';
import { hashPassword, tokenDigest } from './auth/passwords.js';
import { verifyJournalCommand } from './journal-chain/verify-command.js';

const STOP_TIMEOUT_MS = 9000;
const VERIFY_FAILED_EXIT_CODE = 3;

async function main(): Promise<void> {
  const args = parseServerArgs(process.argv.slice(2));
  if ('error' in args) {
    process.stderr.write(`park-server: ${args.error}\n${SERVER_USAGE}\n`);
    process.exit(CONFIG_ERROR_EXIT_CODE);
  }
  if (args.command === 'hash-password') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    const password = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
    if (password.length < 8) {
      process.stderr.write('park-server: the password must have at least 8 characters\n');
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    process.stdout.write(`${await hashPassword(password)}\n`);
    return;
  }
  if (args.command === 'new-token') {
    const token = randomBytes(32).toString('base64url');
    process.stdout.write(`token:  ${token}\nsha256: ${tokenDigest(token)}\n`);
    return;
  }
  if (args.command === 'verify-journal') {
    let target: Parameters<typeof verifyJournalCommand>[0];
    try {
      target = args.config !== undefined ? { config: loadServerConfig(args.config) } : { influxUrl: args.influx ?? '' };
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`park-server: configuration error\n${err.message}\n`);
        process.exit(CONFIG_ERROR_EXIT_CODE);
      }
      throw err;
    }
    try {
      const result = await verifyJournalCommand(target);
      process.stdout.write(`${result.text}\n`);
      process.exit(result.ok ? 0 : 1);
    } catch (err) {
      // Not 1: a journal that could not be read is not a journal found broken.
      process.stderr.write(`park-server: verify-journal: could not check: ${(err as Error).message}\n`);
      process.exit(VERIFY_FAILED_EXIT_CODE);
    }
  }
  const runArgs = args as Extract<typeof args, { command: 'run' }>;
  let config;
  try {
    config = await loadServerConfigInWorker(runArgs.config);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`park-server: configuration error\n${err.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw err;
  }
  const log = createLogger(config.log.level);
  let server;
  try {
    server = await startServer(config, log);
  } catch (err) {
    log.fatal({ err: (err as Error).message }, 'server could not start');
    process.stderr.write(`park-server: ${(err as Error).message}\n`);
    process.exit(1);
  }
  stopOnSignals(log, () => server.stop(), STOP_TIMEOUT_MS);
}

void main();
