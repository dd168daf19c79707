import { pino, type Logger } from 'pino';

export type { Logger };

/** One-line JSON logs on stdout (or a given stream), with the part's name on every line. */
export function createLogger(level: string, name = 'gateway', destination?: NodeJS.WritableStream): Logger {
  return pino({ name, level, base: { name } }, destination ?? process.stdout);
}
