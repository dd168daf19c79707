import { DEFAULT_PORTS, DEFAULT_TICK_MS, FLEET_DEFAULTS } from './defaults.js';

export const SIM_USAGE = `usage:
  park-sim [--park FILE] [--seed N] [options]        run the demo park (default seeds/park.yaml)
  park-sim --fleet [--devices K] [--points M] [--opcua-variables N] [--write-park FILE] [options]
                                                      run the load-test fleet (defaults ${FLEET_DEFAULTS.devices} × ${FLEET_DEFAULTS.points}, ${FLEET_DEFAULTS.opcuaVariables})
  park-sim scenario NAME [--target T] [--control URL] start a scenario in running simulators
  park-sim reset [--control URL]                      back to the initial state
  park-sim points [--control URL]                     print every point and its value
options:
  --host H            listen address (default 127.0.0.1)
  --opcua-port N      OPC UA port (default ${DEFAULT_PORTS.opcua}; 0 = any free port)
  --modbus-port N     Modbus TCP port (default ${DEFAULT_PORTS.modbus})
  --control-port N    control API port (default ${DEFAULT_PORTS.control})
  --rtu-dir DIR       make the Modbus RTU serial pair in DIR instead of at the park file's serialPath
  --no-rtu            no Modbus RTU line (no socat)
  --tick-ms N         model step (default ${DEFAULT_TICK_MS})
  --speed X           model seconds per second (default 1)
  --log-level L       pino level (default info)`;

export type SimArgs =
  | {
      command: 'run';
      park: string;
      seed: number;
      host: string;
      opcuaPort: number;
      modbusPort: number;
      controlPort: number;
      rtu: false | { dir?: string };
      tickMs?: number;
      speed: number;
      logLevel: string;
      fleet?: { devices: number; points: number; opcuaVariables: number; writePark?: string };
    }
  | { command: 'scenario'; name: string; target?: string; control: string }
  | { command: 'reset' | 'points'; control: string };

const VALUE_OPTIONS = ['--park', '--seed', '--host', '--opcua-port', '--modbus-port', '--control-port', '--rtu-dir', '--tick-ms', '--speed', '--log-level', '--devices', '--points', '--opcua-variables', '--write-park', '--target', '--control'];
const FLAGS = ['--fleet', '--no-rtu'];

export function parseSimArgs(argv: readonly string[]): SimArgs | { error: string } {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    if (VALUE_OPTIONS.includes(name)) {
      const v = eq > 0 && a.startsWith('--') ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) return { error: `${name} needs a value` };
      values.set(name, v);
    } else if (FLAGS.includes(a)) flags.add(a);
    else if (a.startsWith('-')) return { error: `unknown option ${a}` };
    else positional.push(a);
  }
  const int = (name: string, def: number, min: number, max: number): number | { error: string } => {
    const raw = values.get(name);
    if (raw === undefined) return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) return { error: `${name} must be a whole number ${min}–${max}, got "${raw}"` };
    return n;
  };
  const control = values.get('--control') ?? `http://127.0.0.1:${DEFAULT_PORTS.control}`;
  const [command, ...rest] = positional;
  if (command === 'scenario') {
    if (rest.length !== 1) return { error: 'scenario needs exactly one NAME, e.g. "scenario leak-chlorine"' };
    const out: SimArgs = { command: 'scenario', name: rest[0]!, control };
    const target = values.get('--target');
    if (target !== undefined) out.target = target;
    return out;
  }
  if (command === 'reset' || command === 'points') {
    if (rest.length > 0) return { error: `${command} takes no arguments, got "${rest.join(' ')}"` };
    return { command, control };
  }
  if (command !== undefined) return { error: `unknown command "${command}" (commands: scenario, reset, points)` };

  const checks = {
    seed: int('--seed', 1, 0, 2 ** 32 - 1),
    opcuaPort: int('--opcua-port', DEFAULT_PORTS.opcua, 0, 65535),
    modbusPort: int('--modbus-port', DEFAULT_PORTS.modbus, 0, 65535),
    controlPort: int('--control-port', DEFAULT_PORTS.control, 0, 65535),
    devices: int('--devices', FLEET_DEFAULTS.devices, 0, 247),
    points: int('--points', FLEET_DEFAULTS.points, 1, 32767),
    opcuaVariables: int('--opcua-variables', FLEET_DEFAULTS.opcuaVariables, 0, 100_000),
    tickMs: int('--tick-ms', DEFAULT_TICK_MS, 10, 60_000),
  };
  for (const v of Object.values(checks)) if (typeof v !== 'number') return v;
  const n = checks as Record<keyof typeof checks, number>;
  const speed = Number(values.get('--speed') ?? '1');
  if (!Number.isFinite(speed) || speed <= 0 || speed > 10_000) return { error: `--speed must be a number above 0 (at most 10000), got "${values.get('--speed')}"` };
  const fleet = flags.has('--fleet');
  for (const o of ['--devices', '--points', '--opcua-variables', '--write-park']) if (!fleet && values.has(o)) return { error: `${o} only applies with --fleet` };
  const rtuDir = values.get('--rtu-dir');
  if (rtuDir !== undefined && flags.has('--no-rtu')) return { error: '--rtu-dir and --no-rtu contradict each other' };
  const out: SimArgs = {
    command: 'run',
    park: values.get('--park') ?? 'seeds/park.yaml',
    seed: n.seed,
    host: values.get('--host') ?? '127.0.0.1',
    opcuaPort: n.opcuaPort,
    modbusPort: n.modbusPort,
    controlPort: n.controlPort,
    rtu: flags.has('--no-rtu') || fleet ? false : rtuDir !== undefined ? { dir: rtuDir } : {},
    speed,
    logLevel: values.get('--log-level') ?? 'info',
  };
  if (values.has('--tick-ms')) out.tickMs = n.tickMs;
  if (fleet) {
    if (values.has('--park')) return { error: '--park and --fleet exclude each other: the fleet makes its own devices' };
    out.fleet = { devices: n.devices, points: n.points, opcuaVariables: n.opcuaVariables };
    const writePark = values.get('--write-park');
    if (writePark !== undefined) out.fleet.writePark = writePark;
  }
  return out;
}
