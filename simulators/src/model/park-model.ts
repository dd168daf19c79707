import type { ParkConfig } from '@park/protocol/config';
import { createRng, type Rng } from '../random.js';
import { buildCatalog, type SimCatalog, type SimPoint } from './catalog.js';
import { HoldTable } from './holds.js';
import { AMBIENT, DEMO_DEFAULT_TARGETS, DEMO_OFFLINE_DEVICES, SCENARIO, SCHEDULE, substanceOf, TANK_THERMAL_LAG_S, vapourPressureGauge, WIND, type Substance } from './profiles.js';
import { SCENARIO_NAMES, SCENARIO_TEXT, type ScenarioName } from './scenario-text.js';
import { SimError, type PointValue, type ScenarioInfo, type ScenarioRun, type SimModel } from './types.js';

/**
 * The demo park's process model. Deterministic: the values after n steps of
 * the same sizes depend only on the seed and the start time. Model time
 * advances by the `dtMs` given to `step`, independent of the wall clock
 * (the runtime steps with a fixed `tickMs × speed`).
 *
 * Each step: weather → tanks (schedule, leaks, fire, valves) → analog points
 * → scenario overrides (flood, faults, holds) → safety logic on the reported
 * values (SIS trips, scrubber start, GDS status bits) → discrete points.
 */

const DAY_S = 86_400;

/** An Ornstein–Uhlenbeck noise: mean-reverting, smooth, bounded in practice. */
class OU {
  x = 0;
  constructor(
    private readonly rng: Rng,
    private readonly sigma: number,
    private readonly tauS: number,
  ) {
    this.x = sigma * rng.gauss();
  }
  step(dtS: number): number {
    if (dtS <= 0) return this.x;
    const k = Math.exp(-dtS / this.tauS);
    this.x = this.x * k + this.sigma * Math.sqrt(1 - k * k) * this.rng.gauss();
    return this.x;
  }
}

interface Tank {
  key: string;
  siteId: string;
  hazardSource: string | undefined;
  substance: Substance;
  level: SimPoint;
  pressure?: SimPoint;
  temperature?: SimPoint;
  lo: number;
  hi: number;
  ratePctPerS: number;
  mode: 'fill' | 'draw' | 'idle';
  next: 'fill' | 'draw';
  idleLeftS: number;
  levelPct: number;
  tempOffsetC: number;
  hasTrip: boolean;
  trip: boolean;
  bypass: boolean;
  /** Shut-off valve position, 1 open … 0 closed. */
  valve: number;
  leakSinceS?: number;
  fireSinceS?: number;
  overfill: boolean;
  /** Values of this step, before overrides. */
  tempC: number;
  pressureMpa: number;
}

interface Detector {
  point: SimPoint;
  /** Hazard source key `site.hs`. */
  area: string;
  baseline: number;
  hh: number;
  bearingDeg: number;
  noise: OU;
}

interface Fault {
  sinceS: number;
  value: number;
  ts: number;
}

export interface ParkModelOptions {
  seed: number;
  /** Wall time (ms) at model time 0: sets the time of day of the daily cycles. */
  startMs: number;
}

export class ParkModel implements SimModel {
  readonly catalog: SimCatalog;
  private readonly park: ParkConfig;
  private readonly seed: number;
  private startMs: number;
  private tS = 0;
  /** The park's offset from UTC at the start (zones of Chinese parks have no daylight saving). */
  private tzOffsetMs = 0;
  private nowMs: number;
  private readonly holds = new HoldTable();
  private values = new Map<string, PointValue>();
  private raw = new Map<string, number>();

  // State rebuilt by init().
  private tanks = new Map<string, Tank>();
  private detectors = new Map<string, Detector>();
  private noise = new Map<string, OU>();
  private base = new Map<string, number>();
  private wind = { speed: 2.5, dir: 135, meanSpeed: 2.5, prevailing: 135, speedNoise: undefined as OU | undefined, dirNoise: undefined as OU | undefined };
  private dayOffsetC = 0;
  private scrubberOn = new Set<string>();
  private faults = new Map<string, Fault>();
  private offline = new Set<string>();
  private flood: { sinceS: number; order: string[] } | undefined;
  private runs: ScenarioRun[] = [];

  constructor(park: ParkConfig, options: ParkModelOptions) {
    this.park = park;
    this.catalog = buildCatalog(park);
    this.seed = options.seed;
    this.startMs = options.startMs;
    this.nowMs = options.startMs;
    this.init();
    this.compute(0);
  }

  // ---- SimModel -----------------------------------------------------------

  step(dtMs: number, nowMs: number): void {
    this.nowMs = nowMs;
    const dtS = dtMs / 1000;
    this.tS += dtS;
    this.compute(dtS);
  }

  value(id: string): PointValue {
    const v = this.values.get(id);
    if (!v) throw new SimError(404, `unknown point "${id}"`);
    return v;
  }

  deviceOnline(deviceId: string): boolean {
    return !this.offline.has(deviceId);
  }

  isHeld(id: string): boolean {
    return this.holds.has(id);
  }

  hold(id: string, value: number, nowMs: number): void {
    const point = this.catalog.byId.get(id);
    if (!point) throw new SimError(404, `unknown point "${id}"`);
    this.holds.set(point, value);
    this.nowMs = nowMs;
    this.compute(0);
  }

  release(id: string): void {
    if (!this.catalog.byId.has(id)) throw new SimError(404, `unknown point "${id}"`);
    this.holds.delete(id);
    this.compute(0);
  }

  writable(point: SimPoint): boolean {
    return this.tanks.has(point.group) && point.role.endsWith('bypass');
  }

  write(point: SimPoint, value: number, nowMs: number): void {
    const tank = this.tanks.get(point.group);
    if (!tank || !this.writable(point)) throw new SimError(400, `point "${point.id}" is not writable`);
    tank.bypass = value !== 0;
    this.nowMs = nowMs;
    this.compute(0);
  }

  scenarios(): ScenarioInfo[] {
    return SCENARIO_NAMES.map((name) => {
      const targets = this.targetsOf(name);
      const info: ScenarioInfo = { name, description: SCENARIO_TEXT[name].description, targetKind: SCENARIO_TEXT[name].target, targets };
      const def = this.defaultTarget(name);
      if (def !== undefined) info.defaultTarget = def;
      return info;
    });
  }

  activeScenarios(): ScenarioRun[] {
    return this.runs.map((r) => ({ ...r, targets: [...r.targets] }));
  }

  runScenario(name: string, target: string | undefined, nowMs: number): ScenarioRun {
    if (!(SCENARIO_NAMES as readonly string[]).includes(name)) throw new SimError(404, `unknown scenario "${name}" (known: ${SCENARIO_NAMES.join(', ')})`);
    const scenario = name as ScenarioName;
    const targets = this.resolveTargets(scenario, target);
    this.nowMs = nowMs;
    const t = this.tS;
    switch (scenario) {
      case 'leak-chlorine':
        for (const k of targets) this.tank(k).leakSinceS ??= t;
        break;
      case 'overfill':
        for (const k of targets) {
          const tank = this.tank(k);
          tank.overfill = true;
        }
        break;
      case 'sis-bypass':
        for (const k of targets) this.tank(k).bypass = true;
        break;
      case 'lpg-fire':
        for (const k of targets) this.tank(k).fireSinceS ??= t;
        break;
      case 'sensor-fault':
        for (const id of targets) {
          if (this.faults.has(id)) continue;
          const v = this.value(id);
          this.faults.set(id, { sinceS: t, value: v.value, ts: v.ts });
        }
        break;
      case 'device-offline':
        for (const d of targets) this.offline.add(d);
        break;
      case 'alarm-flood':
        this.flood ??= { sinceS: t, order: this.floodCandidates() };
        break;
      case 'recover':
        this.recover();
        break;
    }
    const run: ScenarioRun = { name, targets, startedAt: nowMs };
    if (scenario === 'recover') this.runs = [];
    else this.runs.push(run);
    this.compute(0);
    return run;
  }

  reset(nowMs: number): void {
    this.startMs += this.tS * 1000;
    this.tS = 0;
    this.nowMs = nowMs;
    this.holds.clear();
    this.init();
    this.compute(0);
  }

  // ---- set-up ---------------------------------------------------------------

  private rng(stream: string): Rng {
    return createRng(this.seed, stream);
  }

  private init(): void {
    this.tanks.clear();
    this.detectors.clear();
    this.noise.clear();
    this.base.clear();
    this.scrubberOn.clear();
    this.faults.clear();
    this.offline.clear();
    this.flood = undefined;
    this.runs = [];
    this.tzOffsetMs = zoneOffsetMs(this.park.park.timezone, this.startMs);
    const r = this.rng('park');
    this.dayOffsetC = r.between(-AMBIENT.dayToDayC, AMBIENT.dayToDayC);
    const meanSpeed = r.between(WIND.meanSpeedMs[0], WIND.meanSpeedMs[1]);
    const prevailing = r.between(0, 360);
    this.wind = { speed: meanSpeed, dir: prevailing, meanSpeed, prevailing, speedNoise: new OU(this.rng('wind.speed'), WIND.speedSigmaMs, WIND.speedTauS), dirNoise: new OU(this.rng('wind.dir'), WIND.dirSigmaDeg, WIND.dirTauS) };

    const points = this.catalog.points;
    // Tanks: every equipment group with a level.
    for (const p of points) {
      if (p.kind !== 'analog' || p.role !== 'level') continue;
      const siblings = points.filter((q) => q.group === p.group);
      const find = (role: string): SimPoint | undefined => siblings.find((q) => q.role === role && q.kind === 'analog');
      const tr = this.rng(`tank.${p.group}`);
      const { lo, hi } = normalBand(p);
      const pressure = find('pressure');
      const temperature = find('temperature');
      const tank: Tank = {
        key: p.group,
        siteId: p.siteId,
        hazardSource: p.tag.hazardSource,
        substance: substanceOf(this.park, p.siteId, p.tag.hazardSource),
        level: p,
        lo,
        hi,
        ratePctPerS: tr.between(SCHEDULE.ratePctPerS[0], SCHEDULE.ratePctPerS[1]),
        mode: tr.next() < 0.5 ? 'fill' : 'draw',
        next: 'fill',
        idleLeftS: 0,
        levelPct: tr.between(lo + 0.1 * (hi - lo), hi - 0.1 * (hi - lo)),
        tempOffsetC: tr.between(0.5, 3),
        hasTrip: siblings.some((q) => q.kind === 'discrete' && isTripRole(q.role)),
        trip: false,
        bypass: false,
        valve: 1,
        overfill: false,
        tempC: 20,
        pressureMpa: 0,
      };
      if (pressure) tank.pressure = pressure;
      if (temperature) tank.temperature = temperature;
      this.tanks.set(p.group, tank);
    }
    // Gas detectors: gdNN points, placed around their hazard source.
    const byArea = new Map<string, SimPoint[]>();
    for (const p of points) {
      if (p.kind !== 'analog' || !/^gd\d+$/.test(p.role)) continue;
      const area = areaOf(p);
      byArea.set(area, [...(byArea.get(area) ?? []), p]);
    }
    for (const [area, list] of byArea) {
      list.forEach((p, i) => {
        const dr = this.rng(`detector.${p.id}`);
        const hh = p.tag.limits?.hh ?? (p.tag.limits?.h !== undefined ? 2 * p.tag.limits.h : spanOf(p) * 0.5);
        const h = p.tag.limits?.h ?? hh / 2;
        const baseline = 0.06 * h;
        this.detectors.set(p.id, { point: p, area, baseline, hh, bearingDeg: (i * 360) / list.length + dr.between(-15, 15), noise: new OU(dr, 0.4 * baseline, 120) });
      });
    }
    // Everything else analog: a base value inside the normal band and noise.
    for (const p of points) {
      if (p.kind !== 'analog') continue;
      const sigma = this.noiseSigma(p);
      this.noise.set(p.id, new OU(this.rng(`noise.${p.id}`), sigma.sigma, sigma.tauS));
      this.base.set(p.id, genericBase(p));
    }
  }

  private noiseSigma(p: SimPoint): { sigma: number; tauS: number } {
    switch (p.role) {
      case 'level':
        return { sigma: 0.03, tauS: 30 };
      case 'pressure':
        return { sigma: 0.003, tauS: 30 };
      case 'temperature':
      case 'air_temperature':
        return { sigma: 0.1, tauS: 120 };
      case 'inventory':
        return { sigma: 0, tauS: 1 };
      default: {
        const base = genericBase(p);
        const l = p.tag.limits;
        const nearest = Math.min(...[l?.l, l?.ll, l?.h, l?.hh].filter((x): x is number => x !== undefined).map((x) => Math.abs(x - base)), spanOf(p) * 0.2);
        // A quantity that cannot go negative (a concentration) stays clear of zero too.
        const floor = p.tag.range && p.tag.range[0] >= 0 ? (base - p.tag.range[0]) / 4 : Infinity;
        return { sigma: Math.min(nearest / 10, floor), tauS: 300 };
      }
    }
  }

  // ---- one step -------------------------------------------------------------

  private compute(dtS: number): void {
    this.stepWeather(dtS);
    for (const tank of this.tanks.values()) this.stepTank(tank, dtS);
    const now = this.nowMs;
    this.raw.clear();
    const next = new Map<string, PointValue>();
    // Analog points first: the safety logic reads them.
    for (const p of this.catalog.points) {
      if (p.kind !== 'analog') continue;
      const rawValue = clampToRange(p, this.analog(p, dtS));
      this.raw.set(p.id, rawValue);
      next.set(p.id, this.reported(p, rawValue, now));
    }
    this.values = next;
    this.safetyLogic(dtS);
    for (const p of this.catalog.points) {
      if (p.kind === 'analog') continue;
      const rawValue = this.discrete(p);
      this.raw.set(p.id, rawValue);
      next.set(p.id, this.reported(p, rawValue, now));
    }
  }

  /** Hour of day (0–24, fractional) in the park's time zone at the current model time. */
  private localHour(): number {
    const ms = this.startMs + this.tS * 1000 + this.tzOffsetMs;
    return (((ms / 3_600_000) % 24) + 24) % 24;
  }

  /** Air temperature without noise; `lagS` > 0 gives a first-order-lagged body's temperature. */
  private ambient(lagS = 0): number {
    const w = (2 * Math.PI) / DAY_S;
    const gain = 1 / Math.sqrt(1 + (w * lagS) ** 2);
    const phase = Math.atan(w * lagS);
    const s = ((this.localHour() - AMBIENT.coldestHour) * 3600 + DAY_S) % DAY_S;
    return AMBIENT.meanC + this.dayOffsetC - AMBIENT.swingC * gain * Math.cos(w * s - phase);
  }

  private stepWeather(dtS: number): void {
    const w = this.wind;
    w.speed = Math.min(12, Math.max(0.3, w.meanSpeed + (w.speedNoise?.step(dtS) ?? 0)));
    w.dir = (((w.prevailing + (w.dirNoise?.step(dtS) ?? 0)) % 360) + 360) % 360;
  }

  private stepTank(t: Tank, dtS: number): void {
    // Shut-off valve travels towards its command.
    const command = t.trip ? 0 : 1;
    const travel = dtS / SCENARIO.valveTravelS;
    t.valve = command > t.valve ? Math.min(1, t.valve + travel) : Math.max(0, t.valve - travel);
    // Normal schedule: fill to the top of the band, rest, draw to the bottom, rest.
    let flow = 0;
    if (t.overfill) flow = SCENARIO.overfillPctPerS * t.valve;
    else if (t.mode === 'fill') {
      flow = t.ratePctPerS * t.valve;
      if (t.levelPct >= t.hi) Object.assign(t, { mode: 'idle', next: 'draw', idleLeftS: this.idleS(t) });
    } else if (t.mode === 'draw') {
      flow = -t.ratePctPerS;
      if (t.levelPct <= t.lo) Object.assign(t, { mode: 'idle', next: 'fill', idleLeftS: this.idleS(t) });
    } else {
      t.idleLeftS -= dtS;
      if (t.idleLeftS <= 0) t.mode = t.next;
    }
    if (t.leakSinceS !== undefined) flow -= SCENARIO.leakOutflowPctPerS;
    t.levelPct = Math.min(100, Math.max(0, t.levelPct + flow * dtS));
    // Temperature follows the air with a lag; a fire adds to it; pressure follows temperature.
    t.tempC = this.ambient(TANK_THERMAL_LAG_S) + t.tempOffsetC;
    if (t.fireSinceS !== undefined) t.tempC += SCENARIO.fireRiseC * (1 - Math.exp(-(this.tS - t.fireSinceS) / SCENARIO.fireTauS));
    t.pressureMpa = vapourPressureGauge(t.substance, t.tempC) ?? 0;
  }

  private idleS(t: Tank): number {
    const r = this.rng(`idle.${t.key}.${Math.floor(this.tS)}`);
    return r.between(SCHEDULE.idleS[0], SCHEDULE.idleS[1]);
  }

  private analog(p: SimPoint, dtS: number): number {
    const n = this.noise.get(p.id)?.step(dtS) ?? 0;
    const detector = this.detectors.get(p.id);
    if (detector) return Math.max(0, detector.baseline + detector.noise.step(dtS) + this.gasAt(detector));
    const tank = this.tanks.get(p.group);
    if (tank) {
      if (p === tank.level) return tank.levelPct + n;
      if (p === tank.temperature) return tank.tempC + n;
      if (p === tank.pressure && tank.substance.vapour) return Math.max(0, tank.pressureMpa + n);
      if (p.role === 'inventory') return (tank.levelPct / 100) * tank.substance.tankVolumeM3 * tank.substance.densityTPerM3;
    }
    switch (p.role) {
      case 'wind_speed':
        return this.wind.speed;
      case 'wind_direction':
        return this.wind.dir;
      case 'air_temperature':
        return this.ambient() + n;
      case 'stability_class':
        return stabilityClass(this.wind.speed, this.localHour());
      default:
        return (this.base.get(p.id) ?? 0) + n;
    }
  }

  /** Concentration a leak adds at a detector: more downwind, some crosswind, little upwind. */
  private gasAt(d: Detector): number {
    let sum = 0;
    for (const t of this.tanks.values()) {
      if (t.leakSinceS === undefined || `${t.siteId}.${t.hazardSource ?? ''}` !== d.area) continue;
      const ramp = Math.min(1, (this.tS - t.leakSinceS) / SCENARIO.leakRampS);
      const plume = (this.wind.dir + 180) % 360;
      const cos = Math.cos(((d.bearingDeg - plume) * Math.PI) / 180);
      const share = SCENARIO.leakUpwindShare + (1 - SCENARIO.leakUpwindShare) * Math.max(0, cos);
      sum += SCENARIO.leakPeakTimesHh * d.hh * ramp * share;
    }
    return sum;
  }

  private reported(p: SimPoint, rawValue: number, now: number): PointValue {
    const held = this.holds.get(p.id);
    if (held !== undefined) return { value: held, status: 'Good', ts: now };
    const fault = this.faults.get(p.id);
    if (fault) return { value: fault.value, status: this.tS - fault.sinceS >= SCENARIO.sensorFreezeS ? 'BadSensorFailure' : 'Good', ts: fault.ts };
    const flooded = this.floodValue(p);
    const value = flooded ?? rawValue;
    return { value, status: 'Good', ts: now };
  }

  private floodValue(p: SimPoint): number | undefined {
    if (!this.flood) return undefined;
    const index = this.flood.order.indexOf(p.id);
    if (index < 0) return undefined;
    const due = Math.floor((this.tS - this.flood.sinceS) / SCENARIO.floodEveryS);
    if (index > due) return undefined;
    const l = p.tag.limits;
    if (l?.h === undefined) return undefined;
    return l.hh !== undefined ? l.h + 0.4 * (l.hh - l.h) : l.h + 0.05 * spanOf(p);
  }

  private floodCandidates(): string[] {
    const list = this.catalog.points.filter((p) => p.kind === 'analog' && p.tag.limits?.h !== undefined).map((p) => p.id);
    const r = this.rng('flood');
    for (let i = list.length - 1; i > 0; i--) {
      const j = Math.floor(r.next() * (i + 1));
      [list[i], list[j]] = [list[j]!, list[i]!];
    }
    return list.slice(0, SCENARIO.floodPoints);
  }

  /** SIS trips latch on the reported (transmitter) values; the scrubber starts on a level-2 gas alarm. */
  private safetyLogic(_dtS: number): void {
    for (const t of this.tanks.values()) {
      if (!t.hasTrip || t.trip || t.bypass) continue;
      const over = (p: SimPoint | undefined): boolean => {
        const hh = p?.tag.limits?.hh;
        if (!p || hh === undefined) return false;
        const v = this.values.get(p.id);
        return v !== undefined && v.status === 'Good' && v.value >= hh;
      };
      if (over(t.level) || over(t.pressure)) t.trip = true;
    }
    for (const d of this.detectors.values()) {
      const v = this.values.get(d.point.id);
      if (v && v.status === 'Good' && v.value >= d.hh) this.scrubberOn.add(d.area);
    }
  }

  private discrete(p: SimPoint): number {
    const tank = this.tanks.get(p.group);
    if (tank) {
      if (isTripRole(p.role)) return tank.trip ? 1 : 0;
      if (p.role.endsWith('bypass')) return tank.bypass ? 1 : 0;
      if (p.role.endsWith('_open')) return tank.valve >= 0.999 ? 1 : 0;
      if (p.role.endsWith('_closed')) return tank.valve <= 0.001 ? 1 : 0;
    }
    if (p.role === 'fan_running') return this.scrubberOn.has(areaOf(p)) ? 1 : 0;
    // GDS status bits of a detector: `<detector id>.alarm1|alarm2|fault`.
    const detector = this.detectors.get(p.group);
    if (detector) {
      const v = this.values.get(detector.point.id);
      const bad = v === undefined || v.status !== 'Good';
      const h = detector.point.tag.limits?.h ?? detector.hh / 2;
      if (p.role === 'fault') return bad ? 1 : 0;
      if (p.role === 'alarm1') return !bad && v.value >= h ? 1 : 0;
      if (p.role === 'alarm2') return !bad && v.value >= detector.hh ? 1 : 0;
    }
    return 0;
  }

  // ---- scenarios ------------------------------------------------------------

  private tank(key: string): Tank {
    const t = this.tanks.get(key);
    if (!t) throw new SimError(400, `"${key}" is not a tank`);
    return t;
  }

  private recover(): void {
    for (const t of this.tanks.values()) {
      t.leakSinceS = undefined;
      t.fireSinceS = undefined;
      t.overfill = false;
      t.trip = false;
      t.bypass = false;
      t.levelPct = Math.min(t.hi, Math.max(t.lo, t.levelPct));
      if (t.mode === 'idle') t.idleLeftS = Math.min(t.idleLeftS, 60);
    }
    this.scrubberOn.clear();
    this.faults.clear();
    this.offline.clear();
    this.flood = undefined;
  }

  private targetsOf(name: ScenarioName): string[] {
    const tanks = [...this.tanks.values()];
    switch (name) {
      case 'leak-chlorine':
      case 'lpg-fire':
        return tanks.map((t) => t.key);
      case 'overfill':
        return tanks.map((t) => t.key);
      case 'sis-bypass':
        return tanks.filter((t) => t.hasTrip && this.catalog.points.some((p) => p.group === t.key && p.role.endsWith('bypass'))).map((t) => t.key);
      case 'sensor-fault':
        return this.catalog.points.filter((p) => p.kind === 'analog').map((p) => p.id);
      case 'device-offline':
        return this.catalog.devices.map((d) => d.id);
      case 'alarm-flood':
      case 'recover':
        return [];
    }
  }

  private defaultTarget(name: ScenarioName): string | undefined {
    const targets = this.targetsOf(name);
    if (name === 'device-offline') {
      const demo = DEMO_OFFLINE_DEVICES.filter((d) => targets.includes(d));
      if (demo.length > 0) return demo.join(',');
      const modbus = this.catalog.devices.find((d) => d.protocol !== 'opcua');
      const opcua = this.catalog.devices.find((d) => d.protocol === 'opcua');
      return [modbus?.id, opcua?.id].filter((x) => x !== undefined).join(',') || undefined;
    }
    if (targets.length === 0) return undefined;
    const demo = DEMO_DEFAULT_TARGETS[name];
    if (demo !== undefined && targets.includes(demo)) return demo;
    const want = name === 'leak-chlorine' ? 'chlorine' : name === 'lpg-fire' ? 'lpg' : name === 'overfill' ? 'methanol' : undefined;
    const bySubstance = [...this.tanks.values()].find((t) => t.substance.name === want && targets.includes(t.key));
    return bySubstance?.key ?? targets[0];
  }

  private resolveTargets(name: ScenarioName, target: string | undefined): string[] {
    const known = this.targetsOf(name);
    if (name === 'alarm-flood' || name === 'recover') {
      if (target !== undefined && target !== '') throw new SimError(400, `scenario "${name}" takes no target`);
      return [];
    }
    const wanted = target === undefined || target === '' ? this.defaultTarget(name) : target;
    if (wanted === undefined) throw new SimError(400, `scenario "${name}" has nothing to act on in this park`);
    const list = wanted.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const out: string[] = [];
    for (const item of list) {
      // A point id of a tank names its tank: `a.hs01.t101.level` → `a.hs01.t101`.
      const resolved = known.includes(item) ? item : name !== 'sensor-fault' && name !== 'device-offline' && this.catalog.byId.has(item) ? this.catalog.byId.get(item)!.group : item;
      if (!known.includes(resolved)) {
        const sample = known.slice(0, 8).join(', ') + (known.length > 8 ? ', …' : '');
        throw new SimError(400, `scenario "${name}": unknown target "${item}"; expected ${SCENARIO_TEXT[name].target} (${sample})`);
      }
      out.push(resolved);
    }
    return out;
  }
}

function zoneOffsetMs(timeZone: string, atMs: number): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(atMs));
  const get = (t: string): number => Number(parts.find((x) => x.type === t)?.value ?? 0);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

function isTripRole(role: string): boolean {
  return role === 'sis_trip' || role.endsWith('_trip');
}

/** Hazard-source key `site.hs` of a point (or its site for park-wide points). */
function areaOf(p: SimPoint): string {
  return `${p.siteId}.${p.tag.hazardSource ?? ''}`;
}

function spanOf(p: SimPoint): number {
  const r = p.tag.range;
  return r ? Math.abs(r[1] - r[0]) || 1 : 100;
}

/** Where normal operation keeps a level: 15 % of the L–H span inside the limits. */
function normalBand(p: SimPoint): { lo: number; hi: number } {
  const r = p.tag.range ?? [0, 100];
  const l = p.tag.limits;
  const low = l?.l ?? l?.ll ?? r[0];
  const high = l?.h ?? l?.hh ?? r[1];
  const margin = 0.15 * (high - low);
  return { lo: low + margin, hi: high - margin };
}

/** The centre a generic analog point wanders around: mid-band with low and high limits, 15 % of H with a high limit only. */
function genericBase(p: SimPoint): number {
  const r = p.tag.range;
  const l = p.tag.limits;
  const low = l?.l ?? l?.ll;
  const high = l?.h ?? l?.hh;
  if (low !== undefined && high !== undefined) return (low + high) / 2;
  if (high !== undefined) return (r ? r[0] : 0) + 0.15 * (high - (r ? r[0] : 0));
  if (low !== undefined) return low + 0.3 * spanOf(p);
  return r ? r[0] + 0.4 * (r[1] - r[0]) : 0;
}

function clampToRange(p: SimPoint, v: number): number {
  const r = p.tag.range;
  if (!r) return v;
  return Math.min(Math.max(v, Math.min(r[0], r[1])), Math.max(r[0], r[1]));
}

/** Pasquill–Gifford class (1 = A … 6 = F) from wind speed and whether the sun is up (07–18 h, moderate insolation). */
export function stabilityClass(windMs: number, localHour: number): number {
  const day = localHour >= 7 && localHour < 18;
  if (day) return windMs < 2 ? 2 : windMs < 3 ? 2 : windMs < 5 ? 3 : 4;
  return windMs < 2 ? 6 : windMs < 3 ? 5 : 4;
}
