import { parentPort, workerData } from 'node:worker_threads';
import { ConfigError } from '@park/protocol/config';
import { loadGatewayConfig } from './config.js';

/**
 * Worker entry of `loadGatewayConfigInWorker`: loads and checks the files,
 * posts the result (or the problems) and ends, taking the parser's garbage
 * with its heap.
 */

export type ConfigWorkerResult =
  | { ok: true; config: ReturnType<typeof loadGatewayConfig> }
  | { ok: false; problems: ConfigError['problems'] }
  | { ok: false; error: string };

const { file, env } = workerData as { file: string; env: NodeJS.ProcessEnv };
let result: ConfigWorkerResult;
try {
  // The park model is not used past start-up; the devices read are in `devices`.
  const { parkModel: _park, ...config } = loadGatewayConfig(file, env);
  result = { ok: true, config };
} catch (err) {
  result = err instanceof ConfigError ? { ok: false, problems: err.problems } : { ok: false, error: (err as Error).stack ?? String(err) };
}
parentPort?.postMessage(result);
