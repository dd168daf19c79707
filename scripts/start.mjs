#!/usr/bin/env node
// @ts-check
// `npm start`: the whole demo park on this machine. Installs what is missing,
// builds, starts the server with InfluxDB (unless INFLUX_URL), the MQTT broker
// (unless MQTT_URL) and the web app, then the simulated devices and the two
// demo gateways, prints where everything is, and stops it all on Ctrl-C or
// SIGTERM (gateways first, the server last).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, checkNode, ensureDebianPackages, ensureNpmDependencies, fail, ROOT, say } from './lib/setup.mjs';
import { checkPorts } from './lib/ports.mjs';
import { startPart } from './lib/supervisor.mjs';

const SERVER_CONFIG = path.join('seeds', 'server.yaml');
const GATEWAYS = [
  { name: 'gw-a', config: path.join('seeds', 'gateway-a.yaml'), what: 'site A, OPC UA' },
  { name: 'gw-b', config: path.join('seeds', 'gateway-b.yaml'), what: 'site B, Modbus TCP and RTU' },
];
const SIM = { opcua: 4840, modbus: 5020, control: 8090 };
const STOP_TIMEOUT_MS = 9000;
const START_TIMEOUT_MS = 60_000;

checkNode();
ensureNpmDependencies();
ensureDebianPackages([
  ...(process.env['INFLUX_URL'] ? [] : [{ command: 'influxd', pkg: 'influxdb', why: 'InfluxDB 1.x, the time-series store' }]),
  { command: 'socat', pkg: 'socat', why: 'the serial line of the simulated Modbus RTU gas controller' },
]);
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
wanted.push({ port: SIM.opcua, host: '127.0.0.1', what: 'simulated OPC UA server', fix: 'stop the program using it' });
wanted.push({ port: SIM.modbus, host: '127.0.0.1', what: 'simulated Modbus TCP devices', fix: 'stop the program using it' });
wanted.push({ port: SIM.control, host: '127.0.0.1', what: 'simulator control API', fix: 'stop the program using it' });
const clashes = await checkPorts(wanted);
if (clashes.length > 0) fail(clashes.join('\n'));

const logDir = path.join(config.dataDir, 'logs');
const parts = [];
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

/** Starts one part and waits for its ready line; on failure shows its last lines and stops everything. */
async function start(name, args, readyMsg, env = {}) {
  const part = startPart({ name, args, logDir, cwd: ROOT, env });
  parts.push(part);
  try {
    await part.waitForLine((l) => l.includes(`"msg":"${readyMsg}"`), START_TIMEOUT_MS);
  } catch (err) {
    process.stderr.write(`✖ ${/** @type {Error} */ (err).message}\n  last lines of ${part.logFile}:\n${part.tail().slice(-8).map((l) => `    ${l}`).join('\n')}\n`);
    await stopAll(1);
  }
  return part;
}

say('Starting the park server (InfluxDB, MQTT broker, API and web app) …');
await start('server', [path.join(ROOT, 'server', 'dist', 'main.js'), '--config', SERVER_CONFIG], 'server ready');
say('Starting the simulated devices (OPC UA, Modbus TCP, Modbus RTU) …');
await start('simulators', [path.join(ROOT, 'simulators', 'dist', 'main.js'), '--park', path.relative(ROOT, config.parkFile)], 'simulators ready');
say('Starting the gateways …');
const dataDirEnv = process.env['DATA_DIR'];
for (const g of GATEWAYS) {
  // One DATA_DIR for the whole demo: each gateway gets its own folder in it.
  await start(g.name, [path.join(ROOT, 'gateway', 'dist', 'main.js'), '--config', g.config], 'gateway ready', dataDirEnv ? { DATA_DIR: path.join(dataDirEnv, g.name) } : {});
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
const logins = config.demo ? ['admin', 'engineer', 'operator', 'commander', 'viewer'].map((u) => `${u} / demo-${u}`).join(', ') : 'the users in auth.users';
process.stdout.write(`
  化工园区安全环保应急一体化平台 · Chemical Park Safety, Environment & Emergency Platform
  The demo park "${config.parkModel.park.name.en}" is running.

    Web and API    ${web}
    Log in as      ${logins}
    Health         ${web}/api/health
    MQTT broker    ${mqtt}
    InfluxDB       ${influx}
    Devices        OPC UA opc.tcp://127.0.0.1:${SIM.opcua}, Modbus TCP 127.0.0.1:${SIM.modbus}, Modbus RTU on a socat serial pair
    Scenarios      http://127.0.0.1:${SIM.control}/api/sim/scenarios, e.g. npm run sim -- scenario leak-chlorine
    Gateways       ${GATEWAYS.map((g) => `${g.name} (${g.what})`).join(', ')}
    Logs           ${rel(logDir)}/ (one file per part; warnings and errors also appear here)
    Config         ${[SERVER_CONFIG, ...GATEWAYS.map((g) => g.config)].join(', ')}, park model ${rel(config.parkFile)}

  Ctrl-C stops everything.
`);
