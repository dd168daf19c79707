#!/usr/bin/env node
// @ts-check
// `npm start`: the whole demo park on this machine. Installs what is missing,
// builds, starts InfluxDB (unless INFLUX_URL), the MQTT broker (unless
// MQTT_URL) and the server with the web app, prints where everything is, and
// stops it all on Ctrl-C or SIGTERM.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, fail, ROOT, say } from './lib/setup.mjs';
import { checkPorts } from './lib/ports.mjs';
import { startPart } from './lib/supervisor.mjs';

const SERVER_CONFIG = path.join('seeds', 'server.yaml');
const STOP_TIMEOUT_MS = 9000;
const START_TIMEOUT_MS = 60_000;

checkNode();
ensureNpmDependencies();
if (!process.env['INFLUX_URL']) ensureDebianPackages([{ command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x, the time-series store' }]);
build();

// The built config module checks the file exactly as the server will, so a
// mistake stops here with the same message and exit code 2.
const { loadServerConfig } = await import(pathToFileURL(path.join(ROOT, 'server', 'dist', 'config.js')).href);
const { ConfigError, CONFIG_ERROR_EXIT_CODE } = await import(pathToFileURL(path.join(ROOT, 'protocol', 'dist', 'config', 'index.js')).href);
let config;
try {
  config = loadServerConfig(SERVER_CONFIG);
} catch (err) {
  if (err instanceof ConfigError) fail(`configuration error\n${err.message}`, CONFIG_ERROR_EXIT_CODE);
  throw err;
}

const wanted = [{ port: config.http.port, host: config.http.host, what: 'web and API', fix: `choose another with PORT=${config.http.port + 1} npm start` }];
if (!config.mqtt.url) wanted.push({ port: config.mqtt.embedded.port, host: config.mqtt.embedded.host, what: 'embedded MQTT broker', fix: 'set MQTT_URL=mqtt://HOST:PORT to use that broker instead' });
if (!config.influx.url) {
  const m = config.influx.managed;
  wanted.push({ port: m.httpPort, host: '127.0.0.1', what: 'managed InfluxDB HTTP', fix: `change influx.managed.httpPort in ${SERVER_CONFIG}, or set INFLUX_URL to use that InfluxDB` });
  wanted.push({ port: m.rpcPort, host: '127.0.0.1', what: 'managed InfluxDB RPC', fix: `change influx.managed.rpcPort in ${SERVER_CONFIG}` });
}
const clashes = await checkPorts(wanted);
if (clashes.length > 0) fail(clashes.join('\n'));

const logDir = path.join(config.dataDir, 'logs');
say('Starting the park server (InfluxDB, MQTT broker, API and web app) …');
const parts = [];
const server = startPart({ name: 'server', args: [path.join(ROOT, 'server', 'dist', 'main.js'), '--config', SERVER_CONFIG], logDir, cwd: ROOT });
parts.push(server);

let stopping = false;
async function stopAll(code) {
  if (stopping) return;
  stopping = true;
  say('Stopping …');
  // Reverse start order: producers before the consumers they feed.
  for (const part of [...parts].reverse()) await part.stop(STOP_TIMEOUT_MS);
  say('Stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  await server.waitForLine((l) => l.includes('"msg":"server ready"'), START_TIMEOUT_MS);
} catch (err) {
  process.stderr.write(`✖ ${/** @type {Error} */ (err).message}\n  last lines of ${server.logFile}:\n${server.tail().slice(-8).map((l) => `    ${l}`).join('\n')}\n`);
  await stopAll(1);
}

for (const part of parts) {
  void part.exited.then(({ code, signal }) => {
    if (stopping) return;
    process.stderr.write(`✖ ${part.name} stopped unexpectedly (${signal ?? `exit code ${code}`}); see ${part.logFile}\n`);
    void stopAll(1);
  });
}

const host = config.http.host === '0.0.0.0' || config.http.host === '127.0.0.1' ? 'localhost' : config.http.host;
const web = `http://${host}:${config.http.port}`;
const rel = (p) => path.relative(process.cwd(), p) || '.';
const influx = config.influx.url ?? `http://127.0.0.1:${config.influx.managed.httpPort} (managed; data in ${rel(path.join(config.dataDir, 'influxdb'))})`;
const mqtt = config.mqtt.url ?? `mqtt://${config.mqtt.embedded.host}:${config.mqtt.embedded.port} (embedded)`;
process.stdout.write(`
  化工园区安全环保应急一体化平台 · Chemical Park Safety, Environment & Emergency Platform
  The demo park "${config.parkModel.park.name.en}" is running.

    Web and API    ${web}
    Health         ${web}/api/health
    MQTT broker    ${mqtt}
    InfluxDB       ${influx}
    Logs           ${rel(logDir)}/ (one file per part; warnings and errors also appear here)
    Config         ${SERVER_CONFIG}, park model ${rel(config.parkFile)}

  Ctrl-C stops everything.
`);
