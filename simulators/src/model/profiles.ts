import type { ParkConfig } from '@park/protocol/config';

/**
 * Simulator-only knowledge of the demo park that the park file does not carry
 * (the schema describes instruments, not processes): what each hazard source
 * stores, tank sizes, vapour-pressure curves, detector bearings. Chosen by
 * the hazard source's English name, so another park file with "chlorine" or
 * "LPG" in a name gets the same physics; anything unrecognised runs the
 * generic model (a value wandering inside its normal band).
 */

export interface Substance {
  name: string;
  /** Saturated vapour pressure: ln(P / MPa absolute) = a − b / (T / K); none for atmospheric storage. */
  vapour?: { a: number; b: number };
  /** Liquid density, t/m³. */
  densityTPerM3: number;
  /** Volume of one tank, m³. */
  tankVolumeM3: number;
}

/** Two points of each substance's vapour-pressure curve (20 °C and 35 °C), fitted to Clausius–Clapeyron. */
export const SUBSTANCES: Record<string, Substance> = {
  // Cl₂: 0.68 MPa abs at 20 °C, 0.96 MPa at 35 °C.
  chlorine: { name: 'chlorine', vapour: { a: 6.699, b: 2077 }, densityTPerM3: 1.41, tankVolumeM3: 30 },
  // NH₃: 0.857 MPa abs at 20 °C, 1.35 MPa at 35 °C.
  ammonia: { name: 'ammonia', vapour: { a: 9.179, b: 2736 }, densityTPerM3: 0.61, tankVolumeM3: 100 },
  // LPG taken as propane: 0.836 MPa abs at 20 °C, 1.22 MPa at 35 °C.
  lpg: { name: 'lpg', vapour: { a: 7.582, b: 2275 }, densityTPerM3: 0.5, tankVolumeM3: 1000 },
  methanol: { name: 'methanol', densityTPerM3: 0.79, tankVolumeM3: 5000 },
  generic: { name: 'generic', densityTPerM3: 1, tankVolumeM3: 100 },
};

const ATMOSPHERE_MPA = 0.101325;

/** Gauge pressure in MPa of a liquefied gas at temperature `celsius`. */
export function vapourPressureGauge(s: Substance, celsius: number): number | undefined {
  if (!s.vapour) return undefined;
  return Math.exp(s.vapour.a - s.vapour.b / (celsius + 273.15)) - ATMOSPHERE_MPA;
}

/** The substance of a hazard source, from its English name. */
export function substanceOf(park: ParkConfig, siteId: string, hazardSource: string | undefined): Substance {
  const site = park.sites.find((s) => s.id === siteId);
  const name = site?.hazardSources.find((h) => h.id === hazardSource)?.name.en.toLowerCase() ?? '';
  if (name.includes('chlorine')) return SUBSTANCES['chlorine']!;
  if (name.includes('ammonia')) return SUBSTANCES['ammonia']!;
  if (name.includes('lpg') || name.includes('propane') || name.includes('butane')) return SUBSTANCES['lpg']!;
  if (name.includes('methanol')) return SUBSTANCES['methanol']!;
  return SUBSTANCES['generic']!;
}

/** Ambient air: daily mean and swing (°C), coldest at 05:00 local time. */
export const AMBIENT = { meanC: 17, swingC: 6, coldestHour: 5, dayToDayC: 3 } as const;

/** Tanks follow the air with this first-order lag. */
export const TANK_THERMAL_LAG_S = 3 * 3600;

/** Wind: mean speed (m/s) and its spread, mean-reverting with these time constants. */
export const WIND = { meanSpeedMs: [2, 3.5] as const, speedSigmaMs: 0.8, speedTauS: 600, dirSigmaDeg: 25, dirTauS: 1800 } as const;

/** Rates of the normal fill/draw schedule, % of level per second, and the idle time between. */
export const SCHEDULE = { ratePctPerS: [0.01, 0.03] as const, idleS: [120, 600] as const } as const;

/** Scenario dynamics, all in model seconds. */
export const SCENARIO = {
  /** Extra outflow through a leak, %/s. */
  leakOutflowPctPerS: 0.15,
  /** Leak concentration at a detector straight downwind, as a multiple of its HH limit, reached after the ramp. */
  leakPeakTimesHh: 2.5,
  leakRampS: 20,
  /** Share of the peak at a detector upwind; crosswind and downwind ones get more (cosine of the bearing). */
  leakUpwindShare: 0.1,
  overfillPctPerS: 0.5,
  /** Temperature rise of a sphere in a fire: 70 °C × (1 − e^(−t/60 s)). */
  fireRiseC: 70,
  fireTauS: 60,
  /** A faulted transmitter first freezes this long, then reads bad. */
  sensorFreezeS: 10,
  /** Alarm flood: at most this many points, one more every `floodEveryS`. */
  floodPoints: 40,
  floodEveryS: 1,
  /** Shut-off valves take this long to travel. */
  valveTravelS: 3,
} as const;

/** Default targets of the scenarios in the demo park, used when present in the park file. */
export const DEMO_DEFAULT_TARGETS: Record<string, string> = {
  'leak-chlorine': 'a.hs01.t101',
  overfill: 'b.hs04.t302',
  'sis-bypass': 'a.hs01.t101',
  'lpg-fire': 'b.hs03.v201',
  'sensor-fault': 'a.hs01.t102.level',
};

/** Devices taken offline by `device-offline` without a target: one Modbus unit and the OPC UA server. */
export const DEMO_OFFLINE_DEVICES = ['b-gds', 'a-dcs'];
