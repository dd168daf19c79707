import type { SimCatalog, SimPoint } from './catalog.js';

/** OPC UA status names the simulators report; the Modbus side maps them to its own signs (docs/simulators.md). */
export type SimStatus = 'Good' | 'BadSensorFailure' | 'BadCommunicationError';

export type Quality = 'good' | 'uncertain' | 'bad';

/** What a point reports right now, as every protocol serves it. */
export interface PointValue {
  /** Engineering value; discrete points 0 or 1. NaN never leaves the model: a bad point keeps its last value and says so in `status`. */
  value: number;
  status: SimStatus;
  /** Source time in ms since the epoch: when the instrument last produced this value. */
  ts: number;
}

/** A failure of a control request; `status` is the HTTP status the control API answers with. */
export class SimError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'SimError';
    this.status = status;
  }
}

export interface ScenarioInfo {
  name: string;
  description: string;
  /** What `target` names for this scenario, e.g. "a tank (equipment id such as a.hs01.t101)". */
  targetKind: string;
  defaultTarget?: string;
  targets: string[];
}

export interface ScenarioRun {
  name: string;
  targets: string[];
  startedAt: number;
}

/** The source of values behind the protocol servers: the process model of the demo park, or the fleet's pattern. */
export interface SimModel {
  readonly catalog: SimCatalog;
  /**
   * Advances model time by `dtMs`; `nowMs` is the wall time stamped on fresh
   * values. Returns false when no value can have changed, so the protocol
   * servers need not copy the values in again.
   */
  step(dtMs: number, nowMs: number): boolean | void;
  value(id: string): PointValue;
  /** False while a device-offline scenario silences the device. */
  deviceOnline(deviceId: string): boolean;
  isHeld(id: string): boolean;
  hold(id: string, value: number, nowMs: number): void;
  release(id: string): void;
  scenarios(): ScenarioInfo[];
  activeScenarios(): ScenarioRun[];
  runScenario(name: string, target: string | undefined, nowMs: number): ScenarioRun;
  reset(nowMs: number): void;
  /** Whether a Modbus master may write the point (coils and holding registers): only the SIS bypass switches. */
  writable(point: SimPoint): boolean;
  /** Applies a Modbus write to a writable point. */
  write(point: SimPoint, value: number, nowMs: number): void;
}

export function qualityOf(status: SimStatus): Quality {
  return status === 'Good' ? 'good' : 'bad';
}
