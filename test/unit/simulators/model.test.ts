import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { ParkModel, SCENARIO_NAMES, SimError, stabilityClass } from '@park/simulators';
import { REPO_ROOT } from '../../harness/park-server.js';

// The process model alone, in model time: no network, no wall clock.
const park = loadConfigFile(path.join(REPO_ROOT, 'seeds', 'park.yaml'), parkSchema).value;
const START_MS = Date.UTC(2026, 5, 1, 0, 0, 0); // 08:00 in Shanghai
const STEP_MS = 1000;

function model(seed = 7): ParkModel {
  return new ParkModel(park, { seed, startMs: START_MS });
}

function run(m: ParkModel, seconds: number, stepMs = STEP_MS): void {
  for (let t = 0; t < seconds * 1000; t += stepMs) m.step(stepMs, START_MS + t);
}

const value = (m: ParkModel, id: string): number => m.value(id).value;
const snapshot = (m: ParkModel): number[] => m.catalog.points.map((p) => m.value(p.id).value);

describe('park model', () => {
  it('is deterministic under a seed', () => {
    const a = model(42);
    const b = model(42);
    const c = model(43);
    run(a, 600);
    run(b, 600);
    run(c, 600);
    expect(snapshot(a)).toEqual(snapshot(b));
    expect(snapshot(a)).not.toEqual(snapshot(c));
  });

  it('covers every point of the demo park', () => {
    const m = model();
    for (const p of m.catalog.points) expect(Number.isFinite(value(m, p.id)), p.id).toBe(true);
    expect(m.catalog.points.length).toBeGreaterThan(100);
  });

  it('crosses no alarm limit and trips nothing in two days of normal running', () => {
    const m = model(3);
    const crossings: string[] = [];
    const stepMs = 10_000;
    for (let t = 0; t < 2 * 86_400_000; t += stepMs) {
      m.step(stepMs, START_MS + t);
      for (const p of m.catalog.points) {
        const v = value(m, p.id);
        const l = p.tag.limits;
        if (l && ((l.h !== undefined && v >= l.h) || (l.l !== undefined && v <= l.l) || (l.hh !== undefined && v >= l.hh) || (l.ll !== undefined && v <= l.ll))) crossings.push(`${p.id}=${v.toFixed(3)} at ${t / 1000}s`);
        if (p.kind === 'discrete' && (p.role.endsWith('trip') || p.role === 'fault' || p.role.startsWith('alarm')) && v !== 0) crossings.push(`${p.id} set at ${t / 1000}s`);
      }
    }
    expect(crossings.slice(0, 5)).toEqual([]);
  });

  it('moves: tanks fill and empty, temperatures follow the day, detectors show noise', () => {
    const m = model(5);
    const level: number[] = [];
    const temp: number[] = [];
    const gas = new Set<number>();
    for (let i = 0; i < 24 * 60; i++) {
      m.step(60_000, START_MS + i * 60_000);
      level.push(value(m, 'b.hs04.t301.level'));
      temp.push(value(m, 'park.weather.air_temperature'));
      gas.add(value(m, 'a.hs01.gd01'));
    }
    expect(Math.max(...level) - Math.min(...level)).toBeGreaterThan(20);
    expect(Math.max(...temp) - Math.min(...temp)).toBeGreaterThan(8);
    expect(gas.size).toBeGreaterThan(100);
  });

  it('pressure follows temperature along the vapour-pressure curve', () => {
    const m = model();
    // Liquid chlorine at ~20 °C: about 0.5–0.7 MPa gauge.
    expect(value(m, 'a.hs01.t101.pressure')).toBeGreaterThan(0.4);
    expect(value(m, 'a.hs01.t101.pressure')).toBeLessThan(0.8);
    expect(value(m, 'a.hs01.t101.inventory')).toBeCloseTo((value(m, 'a.hs01.t101.level') / 100) * 30 * 1.41, 0);
  });

  it('stability class follows wind and daylight', () => {
    expect(stabilityClass(1, 12)).toBe(2);
    expect(stabilityClass(1, 2)).toBe(6);
    expect(stabilityClass(6, 2)).toBe(4);
  });
});

describe('scenarios in model time', () => {
  it('lists every scenario with a default target where one is needed', () => {
    const list = model().scenarios();
    expect(list.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    expect(Object.fromEntries(list.map((s) => [s.name, s.defaultTarget]))).toMatchObject({ 'leak-chlorine': 'a.hs01.t101', overfill: 'b.hs04.t302', 'lpg-fire': 'b.hs03.v201', 'device-offline': 'b-gds,a-dcs' });
  });

  it('leak-chlorine: detectors rise, downwind more; the level falls; the scrubber starts', () => {
    const m = model();
    const before = value(m, 'a.hs01.t101.level');
    m.runScenario('leak-chlorine', undefined, START_MS);
    run(m, 30);
    const gas = ['gd01', 'gd02', 'gd03', 'gd04'].map((g) => value(m, `a.hs01.${g}`));
    expect(Math.max(...gas)).toBeGreaterThan(0.6 * 1.5);
    expect(Math.min(...gas)).toBeLessThan(Math.max(...gas) / 2);
    expect(value(m, 'a.hs01.t101.level')).toBeLessThan(before - 3);
    expect(value(m, 'a.hs01.scrubber.fan_running')).toBe(1);
    expect(value(m, 'a.hs02.gd01')).toBeLessThan(25);
  });

  it('overfill: the level rises through H and HH, the SIS trips, the inlet closes, the level stops', () => {
    const m = model();
    m.runScenario('overfill', 'b.hs04.t302', START_MS);
    const seen: number[] = [];
    for (let i = 0; i < 150; i++) {
      m.step(1000, START_MS + i * 1000);
      seen.push(value(m, 'b.hs04.t302.level'));
    }
    expect(seen.some((v) => v >= 85 && v < 90)).toBe(true);
    expect(value(m, 'b.hs04.t302.hh_trip')).toBe(1);
    expect(value(m, 'b.hs04.t302.inlet_open')).toBe(0);
    const final = value(m, 'b.hs04.t302.level');
    expect(final).toBeGreaterThanOrEqual(90);
    expect(final).toBeLessThan(93);
    run(m, 20);
    expect(Math.abs(value(m, 'b.hs04.t302.level') - final)).toBeLessThan(0.5);
  });

  it('sis-bypass: the bypass reads 1 and an overfill no longer trips', () => {
    const m = model();
    m.runScenario('sis-bypass', 'a.hs01.t101', START_MS);
    expect(value(m, 'a.hs01.t101.sis_bypass')).toBe(1);
    m.runScenario('overfill', 'a.hs01.t101', START_MS);
    run(m, 200);
    expect(value(m, 'a.hs01.t101.level')).toBeGreaterThan(95);
    expect(value(m, 'a.hs01.t101.sis_trip')).toBe(0);
  });

  it('lpg-fire: temperature and pressure climb through their limits; the SIS trips and the ESD valve closes', () => {
    const m = model();
    m.runScenario('lpg-fire', undefined, START_MS);
    run(m, 90);
    expect(value(m, 'b.hs03.v201.temperature')).toBeGreaterThan(50);
    expect(value(m, 'b.hs03.v201.pressure')).toBeGreaterThan(1.6);
    expect(value(m, 'b.hs03.v201.sis_trip')).toBe(1);
    expect(value(m, 'b.hs03.v201.esd_closed')).toBe(1);
    expect(value(m, 'b.hs03.v202.sis_trip')).toBe(0);
  });

  it('sensor-fault: the value freezes with its source time, then reads bad', () => {
    const m = model();
    run(m, 5);
    const before = m.value('b.hs03.gd02');
    m.runScenario('sensor-fault', 'b.hs03.gd02', START_MS + 5000);
    run(m, 5);
    expect(m.value('b.hs03.gd02')).toEqual(before);
    run(m, 6);
    expect(m.value('b.hs03.gd02').status).toBe('BadSensorFailure');
    expect(value(m, 'b.hs03.gd02.fault')).toBe(1);
  });

  it('device-offline and alarm-flood, then recover brings everything back', () => {
    const m = model();
    m.runScenario('device-offline', undefined, START_MS);
    expect(m.deviceOnline('b-gds')).toBe(false);
    expect(m.deviceOnline('a-dcs')).toBe(false);
    expect(m.deviceOnline('b-plc')).toBe(true);
    m.runScenario('alarm-flood', undefined, START_MS);
    run(m, 60);
    const over = m.catalog.points.filter((p) => p.tag.limits?.h !== undefined && value(m, p.id) >= p.tag.limits.h);
    expect(over.length).toBeGreaterThanOrEqual(24);
    m.hold('park.env.voc', 1.5, START_MS);
    m.runScenario('recover', undefined, START_MS);
    run(m, 5);
    expect(m.deviceOnline('b-gds')).toBe(true);
    expect(m.catalog.points.filter((p) => p.tag.limits?.h !== undefined && value(m, p.id) >= p.tag.limits.h)).toEqual([]);
    expect(value(m, 'park.env.voc')).toBe(1.5);
    expect(m.activeScenarios()).toEqual([]);
  });

  it('holds win over the model and are released; reset releases them all', () => {
    const m = model();
    m.hold('a.hs01.t101.level', 50, START_MS);
    run(m, 10);
    expect(value(m, 'a.hs01.t101.level')).toBe(50);
    m.release('a.hs01.t101.level');
    expect(value(m, 'a.hs01.t101.level')).not.toBe(50);
    m.hold('b.hs03.v201.sis_bypass', 1, START_MS);
    m.reset(START_MS);
    expect(m.isHeld('b.hs03.v201.sis_bypass')).toBe(false);
  });

  it.each([
    ['an unknown scenario', () => model().runScenario('meteor', undefined, START_MS), 404, /unknown scenario "meteor"/],
    ['an unknown target', () => model().runScenario('overfill', 'b.hs04.t999', START_MS), 400, /unknown target "b.hs04.t999"/],
    ['a target where none is taken', () => model().runScenario('recover', 'x', START_MS), 400, /takes no target/],
    ['an unknown point', () => model().hold('nope', 1, START_MS), 404, /unknown point "nope"/],
    ['a discrete value other than 0/1', () => model().hold('a.hs01.t101.sis_trip', 2, START_MS), 400, /must be 0 or 1/],
  ])('refuses %s with a SimError', (_what, fn, status, message) => {
    try {
      fn();
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SimError);
      expect((err as SimError).status).toBe(status);
      expect((err as Error).message).toMatch(message);
    }
  });
});

describe('FleetModel.step', () => {
  it('says whether a value can have changed: only when the second turns', async () => {
    const { FleetModel, fleetPark } = await import('@park/simulators');
    const park = fleetPark({ devices: 1, points: 2, opcuaVariables: 0 });
    const m = new FleetModel(park, 1_764_000_000_000);
    expect(m.step(250, 1_764_000_000_250)).toBe(false);
    expect(m.step(250, 1_764_000_000_999)).toBe(false);
    const before = m.value('fleet.m001.p00001').value;
    expect(m.step(250, 1_764_000_001_000)).toBe(true);
    expect(m.value('fleet.m001.p00001').value).toBe(before + 1);
  });
});
