import { parkSchema, type ParkConfig } from '@park/protocol/config';
import { buildCatalog, type SimCatalog, type SimPoint } from './model/catalog.js';
import { HoldTable } from './model/holds.js';
import { SimError, type PointValue, type ScenarioInfo, type ScenarioRun, type SimModel } from './model/types.js';

/**
 * Fleet mode, the load generator of the benchmarks: K Modbus TCP units
 * (unit ids 1…K) × M float32 points in holding registers 0, 2, 4 … (ABCD),
 * and one OPC UA server with N Double variables. Every value changes once a
 * second in a pattern a reader can check without asking anyone:
 *
 *   v = (s + 7·u + i) mod 10000
 *
 * s = whole seconds since the epoch of the reading's source time, u = the
 * unit id (0 for OPC UA), i = the point number from 1. Values are whole
 * numbers below 10000, exact in a float32.
 */

export interface FleetOptions {
  /** Modbus TCP units, 0–247. */
  devices: number;
  /** float32 points per unit, 1–32767. */
  points: number;
  /** OPC UA variables, 0 for none. */
  opcuaVariables: number;
  host?: string;
  modbusPort?: number;
  opcuaPort?: number;
}

export { FLEET_DEFAULTS } from './defaults.js';

export function fleetValue(second: number, unit: number, index: number): number {
  return (((second + 7 * unit + index) % 10000) + 10000) % 10000;
}

/** The fleet as a park file (validated by the park schema), e.g. for a benchmark gateway's config. */
export function fleetPark(o: FleetOptions): ParkConfig {
  if (!Number.isInteger(o.devices) || o.devices < 0 || o.devices > 247) throw new Error(`fleet: devices must be 0–247, got ${o.devices}`);
  if (!Number.isInteger(o.points) || o.points < 1 || o.points > 32767) throw new Error(`fleet: points must be 1–32767, got ${o.points}`);
  if (!Number.isInteger(o.opcuaVariables) || o.opcuaVariables < 0 || o.opcuaVariables > 100_000) throw new Error(`fleet: opcua variables must be 0–100000, got ${o.opcuaVariables}`);
  if (o.devices === 0 && o.opcuaVariables === 0) throw new Error('fleet: nothing to serve (0 devices and 0 OPC UA variables)');
  const host = o.host ?? '127.0.0.1';
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  const devices: unknown[] = [];
  for (let u = 1; u <= o.devices; u++) {
    const tags = [];
    for (let i = 1; i <= o.points; i++) {
      tags.push({ id: `fleet.m${pad(u, 3)}.p${pad(i, 5)}`, description: { zh: `负载点 ${u}/${i}`, en: `Load point ${u}/${i}` }, address: { table: 'holding', address: 2 * (i - 1), type: 'float32', order: 'ABCD' } });
    }
    devices.push({ id: `fleet-m${pad(u, 3)}`, protocol: 'modbus-tcp', host, port: o.modbusPort || 5020, unitId: u, tags });
  }
  if (o.opcuaVariables > 0) {
    const tags = [];
    for (let i = 1; i <= o.opcuaVariables; i++) {
      tags.push({ id: `fleet.ua.v${pad(i, 6)}`, description: { zh: `负载变量 ${i}`, en: `Load variable ${i}` }, address: { nodeId: `ns=1;s=Fleet.V${pad(i, 6)}` } });
    }
    devices.push({ id: 'fleet-opcua', protocol: 'opcua', endpoint: `opc.tcp://${host}:${o.opcuaPort || 4840}`, tags });
  }
  return parkSchema.parse({
    park: { id: 'fleet', name: { zh: '负载测试园区', en: 'Load-test fleet' } },
    sites: [{ id: 'fleet', name: { zh: '负载测试', en: 'Load test' }, gateway: 'gw-fleet', devices }],
  });
}

/** The fleet's value source: the pattern above, holds, no scenarios. */
export class FleetModel implements SimModel {
  readonly catalog: SimCatalog;
  private readonly holds = new HoldTable();
  private readonly coords = new Map<string, { unit: number; index: number }>();
  private second: number;

  constructor(park: ParkConfig, nowMs = Date.now()) {
    this.catalog = buildCatalog(park);
    for (const p of this.catalog.points) {
      const m = /\.(?:m(\d+)\.p|ua\.v)(\d+)$/.exec(p.id);
      this.coords.set(p.id, { unit: m?.[1] !== undefined ? Number(m[1]) : 0, index: Number(m?.[2] ?? 0) });
    }
    this.second = Math.floor(nowMs / 1000);
  }

  step(_dtMs: number, nowMs: number): boolean {
    // Values change once a second: the 250 ms ticks between re-encoded a
    // whole unit for nothing up to four times a second.
    const second = Math.floor(nowMs / 1000);
    if (second === this.second) return false;
    this.second = second;
    return true;
  }

  value(id: string): PointValue {
    // Almost always nothing is held: skip a lookup in a table of 100,000 per point read.
    const held = this.holds.size > 0 ? this.holds.get(id) : undefined;
    if (held !== undefined) return { value: held, status: 'Good', ts: this.second * 1000 };
    const c = this.coords.get(id);
    if (!c) throw new SimError(404, `unknown point "${id}"`);
    return { value: fleetValue(this.second, c.unit, c.index), status: 'Good', ts: this.second * 1000 };
  }

  deviceOnline(): boolean {
    return true;
  }
  isHeld(id: string): boolean {
    return this.holds.has(id);
  }
  hold(id: string, value: number): void {
    const p = this.known(id);
    this.holds.set(p, value);
  }
  release(id: string): void {
    this.known(id);
    this.holds.delete(id);
  }
  scenarios(): ScenarioInfo[] {
    return [];
  }
  activeScenarios(): ScenarioRun[] {
    return [];
  }
  runScenario(name: string): ScenarioRun {
    throw new SimError(404, `unknown scenario "${name}": the fleet has no scenarios`);
  }
  reset(): void {
    this.holds.clear();
  }
  writable(): boolean {
    return false;
  }
  write(point: SimPoint): void {
    throw new SimError(400, `point "${point.id}" is not writable`);
  }

  private known(id: string): SimPoint {
    const p = this.catalog.byId.get(id);
    if (!p) throw new SimError(404, `unknown point "${id}"`);
    return p;
  }
}
