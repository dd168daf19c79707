import { z } from 'zod';
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
      });
      checkDevice(device, devicePath, ctx);
    });
  });
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
