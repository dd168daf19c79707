import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError, loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';

/**
 * Worker entry of `loadServerConfigInWorker`: parses and checks the park
 * file, posts the model (or the problems) and ends, taking the parser's
 * garbage with its heap.
 */

export type ParkWorkerResult = { ok: true; park: ParkConfig } | { ok: false; problems: ConfigError['problems'] } | { ok: false; error: string };

const { file } = workerData as { file: string };
let result: ParkWorkerResult;
try {
  result = { ok: true, park: loadConfigFile(file, parkSchema).value };
} catch (err) {
  result = err instanceof ConfigError ? { ok: false, problems: err.problems } : { ok: false, error: (err as Error).stack ?? String(err) };
}
parentPort?.postMessage(result);
