import { z } from 'zod';
import { ALARM_PRIORITIES, type AlarmPriority } from '../alarms.js';
import { formatPath } from './format-issue.js';

/**
 * The park model: park → site → hazard source, and per site the devices a
 * gateway reads with their tags. One file (`seeds/park.yaml` for the demo) is
 * read by the simulators, the gateways and the server, so a tag has one id
 * and one description everywhere. Every option is documented in
 * docs/configuration.md.
 */

const ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const TAG_ID_PATTERN = /^[a-z0-9][a-z0-9_.-]{0,127}$/;

export const idSchema = z.string().regex(ID_PATTERN, 'must be 1–64 lower-case letters, digits, "-" or "_"');
export const tagIdSchema = z.string().regex(TAG_ID_PATTERN, 'must be 1–128 lower-case letters, digits, ".", "-" or "_", e.g. a.hs01.t101.level');

/** Text shown to people, always in both languages of the UI. */
export const localizedTextSchema = z.strictObject({
  zh: z.string().min(1),
  en: z.string().min(1),
});
export type LocalizedText = z.output<typeof localizedTextSchema>;

const port = z.number().int().min(1).max(65535);
const finite = z.number().finite();

/** Alarm limits in engineering units; the alarm engine reads them. */
export const limitsSchema = z.strictObject({
  hh: finite.optional(),
  h: finite.optional(),
  l: finite.optional(),
  ll: finite.optional(),
  /** Hysteresis in engineering units before an alarm returns to normal. */
  deadband: finite.min(0).default(0),
});

// ---------------------------------------------------------------------------
// Per-tag alarm options (`alarms:`). The alarm engine's `rulesFromPark`
// (server/src/alarms/rules.ts) reads them; without them it derives alarms
// from `limits`, the unit and the tag id (docs/alarms.md). Durations here are
// in seconds (`…S`), as alarm rationalization records them.

/**
 * GB/T 50493-2019 5.5.2 (DOMAIN.md §2.1): the highest set point allowed for
 * each gas alarm level, as a fraction of the gas's base: combustible (point
 * detector) level 1 ≤ 25 % LEL, level 2 ≤ 50 % LEL; toxic level 1 ≤ 100 %
 * OEL, level 2 ≤ 200 % OEL. Used both to derive set points (at the maximum)
 * and to check explicit ones. The one place these numbers live.
 */
export const GAS_ALARM_SETPOINTS = {
  combustible: { base: 'LEL', maxFraction: { 1: 0.25, 2: 0.5 } },
  toxic: { base: 'OEL', maxFraction: { 1: 1, 2: 2 } },
} as const satisfies Record<string, { base: string; maxFraction: Record<1 | 2, number> }>;
export type GasClass = keyof typeof GAS_ALARM_SETPOINTS;
export const GAS_CLASSES = ['combustible', 'toxic'] as const satisfies readonly GasClass[];

/** OEL kinds of GBZ 2.1 (DOMAIN.md §2.1). Which one applies is not verified: record it per detector. */
export const OEL_BASES = ['MAC', 'PC-STEL', 'PC-TWA'] as const;

/** Alarm kinds a tag can have, for `alarms.priority` and `alarms.suppressWhen.kinds`. */
export const TAG_ALARM_KINDS = ['hh', 'h', 'l', 'll', 'roc', 'discrete', 'bad-quality', 'stale', 'frozen'] as const;
export type TagAlarmKind = (typeof TAG_ALARM_KINDS)[number];
/** The kinds suppressed by `suppressWhen` unless `kinds` says otherwise: the process alarms, not the instrument-health ones. */
export const DEFAULT_SUPPRESSED_KINDS = ['hh', 'h', 'l', 'll', 'roc', 'discrete', 'frozen'] as const satisfies readonly TagAlarmKind[];

const priority = z.enum(ALARM_PRIORITIES as unknown as [AlarmPriority, ...AlarmPriority[]]);
const delayS = z.number().finite().min(0).max(3600);

export const tagAlarmsSchema = z.strictObject({
  /** Priority per alarm kind of this tag, over the defaults (discrete and mismatch alarms: in their own blocks). */
  priority: z
    .strictObject({
      hh: priority.optional(),
      h: priority.optional(),
      l: priority.optional(),
      ll: priority.optional(),
      roc: priority.optional(),
      'bad-quality': priority.optional(),
      stale: priority.optional(),
      frozen: priority.optional(),
    })
    .optional(),
  /** The raise condition of a process alarm (limits, rate, discrete) must hold this long, s. Default 0. */
  onDelayS: delayS.optional(),
  /** The return-to-normal condition must hold this long, s. Default 0. */
  offDelayS: delayS.optional(),
  /** Rate-of-change alarm: |rate| ≥ `limit` units per minute over `windowS`. */
  roc: z
    .strictObject({
      limit: finite.positive(),
      windowS: z.number().finite().min(1).max(3600).default(60),
      deadband: finite.min(0).default(0),
    })
    .optional(),
  /** Frozen-value alarm: exactly the same value for this long, s. Needs every change published (no reportDeadband). */
  frozenAfterS: z.number().finite().min(10).max(7 * 86_400).optional(),
  /** Stale alarm: no good value for this long, s. Default 120 (docs/alarms.md says why). */
  staleAfterS: z.number().finite().min(1).max(86_400).optional(),
  /**
   * A gas detector per GB/T 50493: its h is level 1 and its hh level 2; when
   * `limits.h` / `limits.hh` are absent they are derived (at the maximum of
   * GAS_ALARM_SETPOINTS), when present they are checked against it.
   */
  gas: z
    .strictObject({
      gas: z.enum(GAS_CLASSES),
      /** Combustible: the gas's LEL in the tag's unit; 100 (implied) when the unit is %LEL. */
      lel: finite.positive().optional(),
      /** Toxic: the occupational exposure limit in the tag's unit (required for toxic). */
      oel: finite.positive().optional(),
      /** Toxic: which GBZ 2.1 limit `oel` is (recorded, not interpreted). */
      oelBasis: z.enum(OEL_BASES).optional(),
    })
    .optional(),
  /** Discrete tags: the alarm state, its priority and its meaning (over the naming table). */
  discrete: z
    .strictObject({
      activeValue: z.literal([0, 1]).default(1),
      priority: priority.optional(),
      meaning: localizedTextSchema.optional(),
      /** An SIS trip (or ESD): its raise marks the first-out of its hazard source; priority critical unless set. Default: from the naming table. */
      trip: z.boolean().optional(),
    })
    .optional(),
  /** Suppressed by design while another tag has a value (e.g. a pump's low-flow alarm while the pump is stopped). */
  suppressWhen: z
    .strictObject({
      tag: tagIdSchema,
      equals: finite,
      /** Which of this tag's alarms; default: the process alarms (DEFAULT_SUPPRESSED_KINDS). */
      kinds: z.array(z.enum(TAG_ALARM_KINDS)).min(1).optional(),
      /** Suppression ends only after the condition has been false this long, s (equipment starting up). Default 0. */
      releaseAfterS: delayS.default(0),
    })
    .optional(),
  /**
   * Valve position feedback mismatch, as this tag's `discrete` alarm: both
   * limit switches on, or neither for longer than `afterS` (the travel
   * time); with `commandTag`, the feedback not matching the command (1 =
   * open) for longer than `afterS`.
   */
  mismatch: z
    .strictObject({
      openTag: tagIdSchema,
      closedTag: tagIdSchema,
      commandTag: tagIdSchema.optional(),
      afterS: delayS,
      priority: priority.optional(),
      meaning: localizedTextSchema.optional(),
    })
    .optional(),
});
export type TagAlarmsConfig = z.output<typeof tagAlarmsSchema>;
export type TagGasConfig = NonNullable<TagAlarmsConfig['gas']>;

/** True when the unit is %LEL (case-insensitive, trimmed). */
export function isLelUnit(unit: string): boolean {
  return unit.trim().toLowerCase() === '%lel';
}

/**
 * The GB/T 50493 maximum set point of each gas level in the tag's unit, with
 * the base it comes from, or null when the tag declares no gas or its base
 * (LEL, OEL) is missing.
 */
export function gasSetpointMaxima(unit: string, gas: TagGasConfig | undefined): { 1: number; 2: number; base: number; baseName: 'LEL' | 'OEL' } | null {
  if (!gas) return null;
  const table = GAS_ALARM_SETPOINTS[gas.gas];
  const base = gas.gas === 'combustible' ? (gas.lel ?? (isLelUnit(unit) ? 100 : undefined)) : gas.oel;
  if (base === undefined) return null;
  return { 1: base * table.maxFraction[1], 2: base * table.maxFraction[2], base, baseName: table.base };
}

const tagBase = {
  id: tagIdSchema,
  /** Hazard source (重大危险源 unit) of the tag's site; none for park-wide points such as weather. */
  hazardSource: idSchema.optional(),
  /** Equipment within the hazard source, e.g. a tank number (`t101`). */
  equipment: z.string().min(1).optional(),
  kind: z.enum(['analog', 'discrete']).default('analog'),
  /** Engineering unit as shown, e.g. `%LEL`, `MPa`, `°C`, `ppm`; empty for discrete points. */
  unit: z.string().default(''),
  description: localizedTextSchema,
  /** Engineering range [low, high] of the instrument. */
  range: z.tuple([finite, finite]).optional(),
  limits: limitsSchema.optional(),
  /**
   * Gateway report-by-exception deadband in engineering units: a new value is
   * published only when it differs from the last published one by more than
   * this (quality changes and the integrity period always publish). Default 0:
   * every change. Not the alarm deadband (`limits.deadband`). See docs/gateway.md.
   */
  reportDeadband: finite.min(0).optional(),
  /** Per-alarm options (priorities, delays, rate, frozen, stale, gas, discrete, suppression, mismatch); docs/configuration.md. */
  alarms: tagAlarmsSchema.optional(),
};

export const opcuaAddressSchema = z.strictObject({
  /** Node id in the server's notation, e.g. `ns=1;s=A.HS01.T101.Level`. */
  nodeId: z.string().min(1),
  /**
   * Optional browse path from the Objects folder, e.g. `/1:A/1:HS01/1:T101.Level`.
   * When set, the gateway resolves it on every (re)connect and uses the node id
   * it finds (a PLC program download may renumber node ids); `nodeId` is the
   * fallback when the path does not resolve.
   */
  browsePath: z.string().regex(/^(\/[^/]+)+$/, 'must be a browse path such as /1:A/1:HS01/1:T101.Level').optional(),
  /** Sampling interval of this item in subscription mode, ms; default: the device's. */
  samplingIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
});

const scaleSchema = z.union([
  z.strictObject({ raw: z.tuple([finite, finite]), eng: z.tuple([finite, finite]) }),
  z.strictObject({ factor: finite, offset: finite.default(0) }),
]);

export const MODBUS_TABLES = ['coil', 'discrete-input', 'holding', 'input'] as const;
export const MODBUS_TYPES = ['bool', 'bit', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64'] as const;
export const MODBUS_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;

export const modbusAddressSchema = z.strictObject({
  table: z.enum(MODBUS_TABLES),
  /** Zero-based protocol address (register 40001 is holding 0). */
  address: z.number().int().min(0).max(65535),
  /** Defaults to `bool` for coils and discrete inputs, `uint16` for registers. */
  type: z.enum(MODBUS_TYPES).optional(),
  /** Byte order of multi-register values: A is the most significant byte. */
  order: z.enum(MODBUS_ORDERS).default('ABCD'),
  /** Bit number 0–15 of a register, for type `bit`. */
  bit: z.number().int().min(0).max(15).optional(),
  scale: scaleSchema.optional(),
  /** Clamp the scaled value to the engineering range (`scale.eng`, else the tag's `range`). Default false. */
  clamp: z.boolean().optional(),
  /** Poll interval of this tag's group, ms; default: the device's `pollIntervalMs`. Tags with the same interval form one poll group. */
  pollIntervalMs: z.number().int().min(50).max(3_600_000).optional(),
});

const opcuaTagSchema = z.strictObject({ ...tagBase, address: opcuaAddressSchema });
const modbusTagSchema = z.strictObject({ ...tagBase, address: modbusAddressSchema });

const deviceBase = {
  id: idSchema,
  description: localizedTextSchema.optional(),
};

const modbusCommon = {
  unitId: z.number().int().min(0).max(255).default(1),
  pollIntervalMs: z.number().int().min(50).max(3_600_000).default(1000),
  timeoutMs: z.number().int().min(50).max(60_000).default(1000),
  tags: z.array(modbusTagSchema).min(1),
  /** Gateway acquisition settings (all optional; defaults in docs/gateway.md). */
  /** Retries of a timed-out request within one poll cycle. Default 1. */
  retries: z.number().int().min(0).max(5).optional(),
  /** Largest gap of unused registers (bits: ×16) bridged when coalescing tags into one block read. Default 10. */
  maxGap: z.number().int().min(0).max(124).optional(),
  /** Most registers per block read (protocol limit 125). Default 125. */
  maxRegistersPerRead: z.number().int().min(1).max(125).optional(),
  /** Most coils/discrete inputs per block read (protocol limit 2000). Default 2000. */
  maxBitsPerRead: z.number().int().min(1).max(2000).optional(),
  /** Consecutive poll cycles without an answer before the unit is backed off. Default 3. */
  failedCyclesBeforeBackoff: z.number().int().min(1).max(1000).optional(),
  /** First back-off of an unanswering unit, ms; doubles per failed probe up to `maxBackoffMs`. Default 5000. */
  backoffMs: z.number().int().min(100).max(3_600_000).optional(),
  /** Longest back-off, ms. Default 60000. */
  maxBackoffMs: z.number().int().min(100).max(3_600_000).optional(),
};

export const deviceSchema = z.discriminatedUnion('protocol', [
  z.strictObject({
    ...deviceBase,
    protocol: z.literal('opcua'),
    endpoint: z.string().regex(/^opc\.tcp:\/\/[^\s/]+(:\d+)?(\/\S*)?$/, 'must be an OPC UA endpoint such as opc.tcp://127.0.0.1:4840'),
    tags: z.array(opcuaTagSchema).min(1),
    /** Gateway acquisition settings (all optional; defaults in docs/gateway.md). */
    /** `subscription` (monitored items, default) or `polling` (Read service every `pollIntervalMs`). */
    mode: z.enum(['subscription', 'polling']).optional(),
    /** Poll interval in polling mode, ms. Default 1000. */
    pollIntervalMs: z.number().int().min(50).max(3_600_000).optional(),
    /** Timeout of every request (connect, read, browse), ms. Default 5000. */
    timeoutMs: z.number().int().min(100).max(120_000).optional(),
    security: z
      .strictObject({
        mode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('None'),
        policy: z.enum(['None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']).default('None'),
      })
      .optional(),
    /** User name and password; anonymous when absent. */
    user: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
    subscription: z
      .strictObject({
        publishingIntervalMs: z.number().int().min(10).max(3_600_000).optional(),
        samplingIntervalMs: z.number().int().min(0).max(3_600_000).optional(),
        queueSize: z.number().int().min(1).max(10_000).optional(),
        /** Server-side data-change deadband. */
        deadband: z.strictObject({ type: z.enum(['absolute', 'percent']), value: finite.min(0) }).optional(),
      })
      .optional(),
  }),
  z.strictObject({
    ...deviceBase,
    protocol: z.literal('modbus-tcp'),
    host: z.string().min(1),
    port: port.default(502),
    ...modbusCommon,
  }),
  z.strictObject({
    ...deviceBase,
    protocol: z.literal('modbus-rtu'),
    /** Serial device, e.g. `/dev/ttyUSB0`. */
    serialPath: z.string().min(1),
    baudRate: z.number().int().min(300).max(921_600).default(9600),
    parity: z.enum(['none', 'even', 'odd']).default('none'),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
    ...modbusCommon,
  }),
]);

export const hazardSourceSchema = z.strictObject({
  id: idSchema,
  name: localizedTextSchema,
});

export const siteSchema = z.strictObject({
  id: idSchema,
  name: localizedTextSchema,
  /** Id of the gateway that reads this site's devices. */
  gateway: idSchema,
  hazardSources: z.array(hazardSourceSchema).default([]),
  devices: z.array(deviceSchema).default([]),
});

export const parkSchema = z
  .strictObject({
    park: z.strictObject({
      id: idSchema,
      name: localizedTextSchema,
      /** IANA time zone of the park, used for shift reports and displays. */
      timezone: z.string().min(1).default('Asia/Shanghai'),
    }),
    sites: z.array(siteSchema).min(1),
  })
  .superRefine(checkPark);

export type ParkConfig = z.output<typeof parkSchema>;
export type SiteConfig = z.output<typeof siteSchema>;
export type DeviceConfig = z.output<typeof deviceSchema>;
export type TagConfig = DeviceConfig['tags'][number];
export type ModbusAddress = z.output<typeof modbusAddressSchema>;

type Ctx = z.RefinementCtx;

/** Rules that span entries: unique ids, references that must resolve, consistent limits and addresses. */
function checkPark(park: ParkConfig, ctx: Ctx): void {
  const seen = { site: new Map<string, string>(), hazardSource: new Map<string, string>(), device: new Map<string, string>(), tag: new Map<string, string>(), endpoint: new Map<string, string>() };
  const unique = (kind: keyof typeof seen, id: string, path: (string | number)[]): void => {
    const first = seen[kind].get(id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path, message: `duplicate ${kind} id "${id}" (first used at ${first})`, input: id });
    else seen[kind].set(id, formatPath(path));
  };
  park.sites.forEach((site, si) => {
    unique('site', site.id, ['sites', si, 'id']);
    const hazardSources = new Set(site.hazardSources.map((h) => h.id));
    site.hazardSources.forEach((h, hi) => unique('hazardSource', h.id, ['sites', si, 'hazardSources', hi, 'id']));
    site.devices.forEach((device, di) => {
      const devicePath = ['sites', si, 'devices', di];
      unique('device', device.id, [...devicePath, 'id']);
      device.tags.forEach((tag, ti) => {
        const tagPath = [...devicePath, 'tags', ti];
        unique('tag', tag.id, [...tagPath, 'id']);
        if (tag.hazardSource !== undefined && !hazardSources.has(tag.hazardSource)) {
          ctx.addIssue({ code: 'custom', path: [...tagPath, 'hazardSource'], message: `unknown hazard source "${tag.hazardSource}" (site "${site.id}" has ${[...hazardSources].map((h) => `"${h}"`).join(', ') || 'none'})`, input: tag.hazardSource });
        }
        checkLimits(tag, tagPath, ctx);
        checkTagAlarms(tag, tagPath, ctx);
      });
      checkDevice(device, devicePath, ctx);
      checkFrozenDeadband(device, devicePath, ctx);
    });
  });
  checkAlarmReferences(park, ctx);
}

/** Per-device rules (addresses, security) shared by the park model and a gateway's inline devices. */
function checkDevice(device: DeviceConfig, devicePath: (string | number)[], ctx: Ctx): void {
  if (device.protocol === 'opcua') {
    const sec = device.security;
    if (sec && (sec.mode === 'None') !== (sec.policy === 'None')) {
      ctx.addIssue({ code: 'custom', path: [...devicePath, 'security'], message: `mode "${sec.mode}" needs ${sec.mode === 'None' ? 'policy "None"' : 'a policy other than "None"'}, got "${sec.policy}"`, input: sec });
    }
    return;
  }
  device.tags.forEach((tag, ti) => checkModbusAddress(tag.address, tag.kind, [...devicePath, 'tags', ti, 'address'], ctx));
}

/**
 * A list of devices outside a park model (a standalone gateway's inline
 * `devices:`), with the same per-device and per-tag rules and unique ids.
 */
export const deviceListSchema = z.array(deviceSchema).superRefine((devices, ctx) => {
  const seenDevices = new Map<string, number>();
  const seenTags = new Map<string, string>();
  devices.forEach((device, di) => {
    const first = seenDevices.get(device.id);
    if (first !== undefined) ctx.addIssue({ code: 'custom', path: [di, 'id'], message: `duplicate device id "${device.id}" (first used at [${first}])`, input: device.id });
    else seenDevices.set(device.id, di);
    device.tags.forEach((tag, ti) => {
      const firstTag = seenTags.get(tag.id);
      if (firstTag !== undefined) ctx.addIssue({ code: 'custom', path: [di, 'tags', ti, 'id'], message: `duplicate tag id "${tag.id}" (first used at ${firstTag})`, input: tag.id });
      else seenTags.set(tag.id, formatPath([di, 'tags', ti]));
      checkLimits(tag, [di, 'tags', ti], ctx);
      checkTagAlarms(tag, [di, 'tags', ti], ctx);
    });
    checkDevice(device, [di], ctx);
  });
});

function checkLimits(tag: TagConfig, tagPath: (string | number)[], ctx: Ctx): void {
  if (!tag.limits) return;
  if (tag.kind === 'discrete') {
    ctx.addIssue({ code: 'custom', path: [...tagPath, 'limits'], message: 'discrete points have no analog limits', input: tag.limits });
    return;
  }
  const order: ['ll', 'l', 'h', 'hh'] = ['ll', 'l', 'h', 'hh'];
  let prev: { key: string; value: number } | undefined;
  for (const key of order) {
    const value = tag.limits[key];
    if (value === undefined) continue;
    if (prev && value <= prev.value) {
      ctx.addIssue({ code: 'custom', path: [...tagPath, 'limits', key], message: `must be greater than ${prev.key} (${prev.value}), got ${value}`, input: value });
    }
    prev = { key, value };
  }
}

type Path = (string | number)[];

function fmt(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

/** The `alarms:` options of one tag, on their own: kinds that apply, gas set points, frozen vs report deadband. */
function checkTagAlarms(tag: TagConfig, tagPath: Path, ctx: Ctx): void {
  const a = tag.alarms;
  if (!a) return;
  const at = [...tagPath, 'alarms'];
  const issue = (path: Path, message: string, input?: unknown): void => {
    ctx.addIssue({ code: 'custom', path, message, input });
  };
  const discrete = tag.kind === 'discrete';
  const unit = tag.unit.trim() === '' ? '' : ` ${tag.unit.trim()}`;
  if (discrete) {
    for (const key of ['roc', 'frozenAfterS', 'gas'] as const) {
      if (a[key] !== undefined) issue([...at, key], 'only for analog tags (this tag is kind: discrete)', a[key]);
    }
  } else if (a.discrete !== undefined) {
    issue([...at, 'discrete'], 'only for discrete tags (kind: discrete)', a.discrete);
  }
  const maxima = discrete ? null : gasSetpointMaxima(tag.unit, a.gas);
  if (a.gas) {
    const g = a.gas;
    if (g.gas === 'combustible') {
      if (g.oel !== undefined) issue([...at, 'gas', 'oel'], 'only for toxic gas (gas: toxic)', g.oel);
      if (g.oelBasis !== undefined) issue([...at, 'gas', 'oelBasis'], 'only for toxic gas (gas: toxic)', g.oelBasis);
      if (g.lel === undefined && !isLelUnit(tag.unit)) issue([...at, 'gas', 'lel'], `required for a combustible detector whose unit is not %LEL: the gas's LEL in the tag's unit (${tag.unit.trim() || 'no unit'})`);
      if (g.lel !== undefined && isLelUnit(tag.unit) && g.lel !== 100) issue([...at, 'gas', 'lel'], `must be 100 or left out when the unit is %LEL, got ${fmt(g.lel)}`, g.lel);
    } else {
      if (g.lel !== undefined) issue([...at, 'gas', 'lel'], 'only for combustible gas (gas: combustible)', g.lel);
      if (g.oel === undefined) issue([...at, 'gas', 'oel'], "required for a toxic detector: the gas's occupational exposure limit in the tag's unit");
    }
    if (maxima) {
      for (const [key, level] of [['h', 1], ['hh', 2]] as const) {
        const explicit = tag.limits?.[key];
        if (explicit === undefined || explicit <= maxima[level]) continue;
        const pct = GAS_ALARM_SETPOINTS[g.gas].maxFraction[level] * 100;
        issue([...tagPath, 'limits', key], `${fmt(explicit)}${unit} is above the GB/T 50493 level ${level} maximum of ${fmt(maxima[level])}${unit} (${pct} % of ${maxima.baseName} ${fmt(maxima.base)}${unit})`, explicit);
      }
      const l = tag.limits?.l ?? tag.limits?.ll;
      const h = tag.limits?.h ?? maxima[1];
      if (l !== undefined && tag.limits?.h === undefined && h <= l) issue([...at, 'gas'], `the derived level 1 set point ${fmt(h)}${unit} must be above the low limit ${fmt(l)}${unit}`, a.gas);
      const hh = tag.limits?.hh;
      if (hh !== undefined && tag.limits?.h === undefined && h >= hh) issue([...at, 'gas'], `the derived level 1 set point ${fmt(h)}${unit} must be below hh ${fmt(hh)}${unit}: set limits.h`, a.gas);
    }
  }
  const has = (kind: TagAlarmKind): boolean => {
    switch (kind) {
      case 'hh':
      case 'h':
        return tag.limits?.[kind] !== undefined || maxima !== null;
      case 'l':
      case 'll':
        return tag.limits?.[kind] !== undefined;
      case 'roc':
        return a.roc !== undefined;
      case 'frozen':
        return a.frozenAfterS !== undefined;
      case 'discrete':
        // The naming table (server) may give a discrete tag its alarm: not decidable here.
        return discrete;
      default:
        return true;
    }
  };
  const why = (kind: TagAlarmKind): string =>
    kind === 'roc' ? 'set alarms.roc' : kind === 'frozen' ? 'set alarms.frozenAfterS' : kind === 'discrete' ? 'the tag is analog' : discrete ? 'the tag is discrete' : `set limits.${kind}${kind === 'h' || kind === 'hh' ? ' or alarms.gas' : ''}`;
  if (a.priority) {
    for (const [kind, value] of Object.entries(a.priority) as [TagAlarmKind, AlarmPriority | undefined][]) {
      if (value !== undefined && !has(kind)) issue([...at, 'priority', kind], `this tag has no ${kind} alarm (${why(kind)})`, value);
    }
  }
  if (a.suppressWhen?.kinds) {
    a.suppressWhen.kinds.forEach((kind, i) => {
      if (!has(kind)) issue([...at, 'suppressWhen', 'kinds', i], `this tag has no ${kind} alarm (${why(kind)})`, kind);
    });
  }
  if (a.frozenAfterS !== undefined && (tag.reportDeadband ?? 0) > 0) {
    issue([...at, 'frozenAfterS'], `frozen-value detection needs every change published, but reportDeadband is ${fmt(tag.reportDeadband ?? 0)}: set it to 0 or remove frozenAfterS`, a.frozenAfterS);
  }
  if (a.mismatch && a.discrete) issue([...at, 'mismatch'], 'a tag has one discrete alarm: this one already has alarms.discrete; put the mismatch on another tag (e.g. the valve\'s open feedback)', a.mismatch);
  if (a.mismatch && a.mismatch.openTag === a.mismatch.closedTag) issue([...at, 'mismatch', 'closedTag'], `must differ from openTag ("${a.mismatch.openTag}")`, a.mismatch.closedTag);
}

/** Frozen detection needs every change: an OPC UA server-side data-change deadband hides small ones. */
function checkFrozenDeadband(device: DeviceConfig, devicePath: Path, ctx: Ctx): void {
  if (device.protocol !== 'opcua' || !device.subscription?.deadband || device.subscription.deadband.value <= 0 || device.mode === 'polling') return;
  const db = device.subscription.deadband;
  device.tags.forEach((tag, ti) => {
    if (tag.alarms?.frozenAfterS === undefined) return;
    ctx.addIssue({ code: 'custom', path: [...devicePath, 'tags', ti, 'alarms', 'frozenAfterS'], message: `frozen-value detection needs every change published, but the device's subscription.deadband is ${db.type} ${fmt(db.value)}: set it to 0 or remove frozenAfterS`, input: tag.alarms.frozenAfterS });
  });
}

/** `suppressWhen` and `mismatch` name other tags of the park: they must exist and have the right kind. */
function checkAlarmReferences(park: ParkConfig, ctx: Ctx): void {
  const tags = new Map<string, TagConfig>();
  for (const site of park.sites) for (const device of site.devices) for (const tag of device.tags) if (!tags.has(tag.id)) tags.set(tag.id, tag);
  park.sites.forEach((site, si) =>
    site.devices.forEach((device, di) =>
      device.tags.forEach((tag, ti) => {
        const a = tag.alarms;
        if (!a) return;
        const at = ['sites', si, 'devices', di, 'tags', ti, 'alarms'];
        const s = a.suppressWhen;
        if (s) {
          const ref = tags.get(s.tag);
          if (s.tag === tag.id) ctx.addIssue({ code: 'custom', path: [...at, 'suppressWhen', 'tag'], message: 'a tag cannot suppress its own alarms: name the tag that says the equipment is not in operation', input: s.tag });
          else if (!ref) ctx.addIssue({ code: 'custom', path: [...at, 'suppressWhen', 'tag'], message: `unknown tag "${s.tag}"`, input: s.tag });
          else if (ref.kind === 'discrete' && s.equals !== 0 && s.equals !== 1) ctx.addIssue({ code: 'custom', path: [...at, 'suppressWhen', 'equals'], message: `"${s.tag}" is discrete: equals must be 0 or 1, got ${fmt(s.equals)}`, input: s.equals });
        }
        const m = a.mismatch;
        if (m) {
          for (const key of ['openTag', 'closedTag', 'commandTag'] as const) {
            const id = m[key];
            if (id === undefined) continue;
            const ref = tags.get(id);
            if (!ref) ctx.addIssue({ code: 'custom', path: [...at, 'mismatch', key], message: `unknown tag "${id}"`, input: id });
            else if (ref.kind !== 'discrete') ctx.addIssue({ code: 'custom', path: [...at, 'mismatch', key], message: `"${id}" must be a discrete tag (kind: discrete), it is analog`, input: id });
          }
        }
      }),
    ),
  );
}

const REGISTER_COUNT: Record<(typeof MODBUS_TYPES)[number], number> = { bool: 0, bit: 1, int16: 1, uint16: 1, int32: 2, uint32: 2, float32: 2, float64: 4 };

function checkModbusAddress(a: ModbusAddress, kind: TagConfig['kind'], path: (string | number)[], ctx: Ctx): void {
  const bitTable = a.table === 'coil' || a.table === 'discrete-input';
  const type = a.type ?? (bitTable ? 'bool' : 'uint16');
  if (bitTable && type !== 'bool') {
    ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `${a.table} holds single bits: type must be "bool", got "${type}"`, input: type });
  }
  if (!bitTable && type === 'bool') {
    ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `registers hold 16-bit words: use "bit" with a bit number for a single bit`, input: type });
  }
  if (type === 'bit' && a.bit === undefined) ctx.addIssue({ code: 'custom', path: [...path, 'bit'], message: 'required for type "bit": the bit number 0–15' });
  if (type !== 'bit' && a.bit !== undefined) ctx.addIssue({ code: 'custom', path: [...path, 'bit'], message: `only used with type "bit", not "${type}"`, input: a.bit });
  const words = REGISTER_COUNT[type];
  if (words > 1 && a.address + words - 1 > 65535) ctx.addIssue({ code: 'custom', path: [...path, 'address'], message: `${type} needs ${words} registers from ${a.address}, past the last address 65535`, input: a.address });
  if ((type === 'bool' || type === 'bit') && kind !== 'discrete') ctx.addIssue({ code: 'custom', path: [...path, 'type'], message: `a single bit is a discrete point: set kind: discrete on the tag`, input: type });
  if (a.scale && (type === 'bool' || type === 'bit')) ctx.addIssue({ code: 'custom', path: [...path, 'scale'], message: 'bits cannot be scaled', input: a.scale });
}

/** The effective Modbus data type of an address (the schema leaves `type` optional). */
export function modbusType(a: ModbusAddress): (typeof MODBUS_TYPES)[number] {
  return a.type ?? (a.table === 'coil' || a.table === 'discrete-input' ? 'bool' : 'uint16');
}

/** Number of 16-bit registers a value of this type occupies (0 for coil/discrete-input bits). */
export function modbusRegisterCount(type: (typeof MODBUS_TYPES)[number]): number {
  return REGISTER_COUNT[type];
}
