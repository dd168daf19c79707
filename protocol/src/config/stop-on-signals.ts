/** What `stopOnSignals` needs of a logger (pino's fits). */
export interface StopLogger {
  info(obj: object, msg: string): void;
  info(msg: string): void;
  error(msg: string): void;
}

/**
 * The shutdown of every part's command line: on SIGINT or SIGTERM, stop once,
 * exit 0 when stopped, or exit 1 if stopping takes longer than `timeoutMs`
 * (a hung device or broker must not keep a service manager waiting).
 */
export function stopOnSignals(log: StopLogger, stop: () => Promise<void>, timeoutMs: number): void {
  let stopping = false;
  const onSignal = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    const force = setTimeout(() => {
      log.error('stop took too long; exiting');
      process.exit(1);
    }, timeoutMs);
    force.unref();
    void stop().then(() => {
      log.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}
