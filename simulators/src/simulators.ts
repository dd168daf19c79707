import path from 'node:path';
import { pino, type Logger } from 'pino';
import type { ParkConfig } from '@park/protocol/config';
import { DEFAULT_PORTS, DEFAULT_TICK_MS } from './defaults.js';
import { startControlServer, type ControlServer } from './control/http-api.js';
import { ModbusBank } from './modbus/bank.js';
import { startRtuLine, type RtuLine } from './modbus/rtu.js';
import { startModbusTcpServer, type ModbusTcpServer } from './modbus/tcp-server.js';
import type { SimDevice } from './model/catalog.js';
import { checkHoldValue } from './model/holds.js';
import { ParkModel } from './model/park-model.js';
import { SimError, type ScenarioInfo, type ScenarioRun, type SimModel } from './model/types.js';
import { startOpcuaServer, type SimOpcuaServer } from './opcua/server.js';
import { pointState, type PointState } from './point-state.js';

/**
 * Wiring of the simulators:
 *
 *   ParkModel (or the fleet's pattern) ──tick──> register images ──> Modbus TCP listener (all modbus-tcp units)
 *                                          │                    └──> Modbus RTU line(s) (socat pty pair)
 *                                          └──────────────────────> OPC UA server (all opcua devices)
 *   control API (HTTP) ──hold / scenario──> model ──> the same refresh, at once
 *
 * Started model first, then the protocol servers, the control API and the
 * tick; stopped in reverse.
 */

export { DEFAULT_PORTS, DEFAULT_TICK_MS };

export interface SimulatorOptions {
  /** The park model, already loaded (`loadConfigFile(file, parkSchema)`). */
  park: ParkConfig;
  /** Seed of every random choice; the same seed and start time give the same values. Default 1. */
  seed?: number;
  /** Listen address of every server. Default 127.0.0.1. */
  host?: string;
  /** OPC UA port; 0 = a free port. Default 4840. */
  opcuaPort?: number;
  /** Modbus TCP port of all modbus-tcp devices; 0 = a free port. Default 5020. */
  modbusPort?: number;
  /** Control API port; 0 = a free port. Default 8090. */
  controlPort?: number;
  /**
   * Modbus RTU devices: false (default) serves none; `{ dir }` makes the
   * socat pair in `dir` (gateway end `dir/<basename of serialPath>`); `{}`
   * makes it at each device's `serialPath` of the park file.
   */
  rtu?: false | { dir?: string };
  logger?: Logger;
  /** Model step and refresh interval. Default 1000 ms. */
  tickMs?: number;
  /** Model seconds per wall second (tests run scenarios faster). Default 1. */
  speed?: number;
  /** Wall time of model time 0 (sets the time of day). Default now. */
  startMs?: number;
  /** Another value source instead of the park's process model (the fleet's pattern). */
  model?: SimModel;
}

export interface RunningSimulators {
  /** e.g. `opc.tcp://127.0.0.1:4840`; empty when the park has no OPC UA device. */
  opcuaEndpoint: string;
  /** The Modbus TCP port; 0 when the park has no modbus-tcp device. */
  modbusPort: number;
  /** e.g. `http://127.0.0.1:8090`. */
  controlUrl: string;
  /** The gateway's end of the (first) Modbus RTU line, when RTU is on. */
  rtuPath?: string;
  /** The gateway's end of every RTU line, by the serialPath of the park file. */
  rtuPaths: Record<string, string>;
  points(): PointState[];
  point(id: string): PointState;
  /** Holds a value (seen over every protocol at once) until `release`. Throws SimError for an unknown point or a bad value. */
  hold(id: string, value: number): PointState;
  release(id: string): PointState;
  scenarios(): { scenarios: ScenarioInfo[]; active: ScenarioRun[] };
  /** Starts a scenario (docs/simulators.md). Throws SimError for an unknown scenario or target. */
  runScenario(name: string, target?: string): ScenarioRun;
  /** Back to the initial state of the seed: scenarios end, holds released. */
  reset(): void;
  /** Requests answered over Modbus (TCP and RTU) since start. */
  modbusRequests(): number;
  stop(): Promise<void>;
}

export async function startSimulators(options: SimulatorOptions): Promise<RunningSimulators> {
  const host = options.host ?? '127.0.0.1';
  const log = options.logger ?? pino({ level: 'silent' });
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS;
  const speed = options.speed ?? 1;
  if (!(tickMs > 0)) throw new Error(`tickMs must be positive, got ${tickMs}`);
  const model = options.model ?? new ParkModel(options.park, { seed: options.seed ?? 1, startMs: options.startMs ?? Date.now() });
  const devices = model.catalog.devices;

  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err: (err as Error).message }, 'simulators: error while stopping'));
    stops.length = 0;
  };

  let opcua: SimOpcuaServer | undefined;
  let tcp: ModbusTcpServer | undefined;
  let tcpBank: ModbusBank | undefined;
  const lines: { bank: ModbusBank; line: RtuLine; serialPath: string }[] = [];
  let control: ControlServer | undefined;
  const opcuaDevices = devices.filter((d) => d.protocol === 'opcua');

  const refresh = (): void => {
    tcpBank?.refresh();
    for (const l of lines) l.bank.refresh();
    opcua?.refresh();
    if (opcua && opcuaDevices.length > 0) {
      void opcua.setOnline(opcuaDevices.some((d) => model.deviceOnline(d.id))).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'opc ua: could not change online state'));
    }
  };

  try {
    if (opcuaDevices.length > 0) {
      const points = opcuaDevices.flatMap((d) => d.points);
      opcua = await startOpcuaServer(options.park, points, model, { host, port: options.opcuaPort ?? DEFAULT_PORTS.opcua, logger: log }).catch((err: unknown) => {
        throw new Error(`opc ua server on ${host}:${options.opcuaPort ?? DEFAULT_PORTS.opcua}: ${(err as Error).message}`);
      });
      const o = opcua;
      stops.push(() => o.close());
    }
    const tcpDevices = devices.filter((d) => d.protocol === 'modbus-tcp');
    if (tcpDevices.length > 0) {
      tcpBank = new ModbusBank(tcpDevices, model);
      tcp = await startModbusTcpServer(tcpBank, { host, port: options.modbusPort ?? DEFAULT_PORTS.modbus, logger: log }).catch((err: unknown) => {
        throw new Error(`modbus tcp on ${host}:${options.modbusPort ?? DEFAULT_PORTS.modbus}: ${(err as Error).message}`);
      });
      const t = tcp;
      stops.push(() => t.close());
    }
    if (options.rtu) {
      const rtu = options.rtu;
      const bySerial = new Map<string, SimDevice[]>();
      for (const d of devices) if (d.protocol === 'modbus-rtu' && d.serialPath) bySerial.set(d.serialPath, [...(bySerial.get(d.serialPath) ?? []), d]);
      for (const [serialPath, list] of bySerial) {
        const bank = new ModbusBank(list, model);
        const gatewayPath = rtu.dir !== undefined ? path.join(rtu.dir, path.basename(serialPath)) : serialPath;
        const line = await startRtuLine(bank, { gatewayPath, logger: log });
        lines.push({ bank, line, serialPath });
        stops.push(() => line.close());
      }
    }
    const target = {
      points: () => model.catalog.points.map((p) => pointState(p, model)),
      point: (id: string) => pointState(known(id), model),
      hold: (id: string, value: unknown) => {
        const p = known(id);
        model.hold(id, checkHoldValue(p, value), Date.now());
        refresh();
        log.info({ id, value }, 'point held');
        return pointState(p, model);
      },
      release: (id: string) => {
        const p = known(id);
        model.release(id);
        refresh();
        log.info({ id }, 'point released');
        return pointState(p, model);
      },
      scenarios: () => ({ scenarios: model.scenarios(), active: model.activeScenarios() }),
      runScenario: (name: string, scenarioTarget?: string) => {
        const run = model.runScenario(name, scenarioTarget, Date.now());
        refresh();
        log.info({ scenario: name, targets: run.targets }, 'scenario started');
        return run;
      },
      reset: () => {
        model.reset(Date.now());
        refresh();
        log.info('simulators reset');
      },
    };
    const known = (id: string) => {
      const p = model.catalog.byId.get(id);
      if (!p) throw new SimError(404, `unknown point "${id}"`);
      return p;
    };
    control = await startControlServer(target, { host, port: options.controlPort ?? DEFAULT_PORTS.control, logger: log }).catch((err: unknown) => {
      throw new Error(`control api on ${host}:${options.controlPort ?? DEFAULT_PORTS.control}: ${(err as Error).message}`);
    });
    const c = control;
    stops.push(() => c.close());

    const timer = setInterval(() => {
      try {
        if (model.step(tickMs * speed, Date.now()) !== false) refresh();
      } catch (err) {
        log.error({ err: (err as Error).message }, 'simulators: model step failed');
      }
    }, tickMs);
    stops.push(async () => clearInterval(timer));

    const rtuPaths = Object.fromEntries(lines.map((l) => [l.serialPath, l.line.gatewayPath]));
    let stopped: Promise<void> | undefined;
    const running: RunningSimulators = {
      opcuaEndpoint: opcua?.endpoint ?? '',
      modbusPort: tcp?.port ?? 0,
      controlUrl: control.url,
      rtuPaths,
      points: target.points,
      point: target.point,
      hold: (id, value) => target.hold(id, value),
      release: target.release,
      scenarios: target.scenarios,
      runScenario: target.runScenario,
      reset: target.reset,
      modbusRequests: () => (tcp?.requests() ?? 0) + lines.reduce((n, l) => n + l.line.requests(), 0),
      stop: () => (stopped ??= stopAll()),
    };
    const first = lines[0];
    if (first) running.rtuPath = first.line.gatewayPath;
    return running;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
