import { z } from 'zod';
import { ConfigError, idSchema, loadConfigFile, localizedTextSchema, type ConfigProblem, type LocalizedText, type ParkConfig } from '@park/protocol/config';
import type { AlarmRule } from '../alarms/rules.js';
import { discreteEntryFor } from '../alarms/rules.js';
import { summarizeUnit, SUBSTANCE_PROPERTIES, UNIT_TYPES, type RegisteredUnit } from './register.js';

/**
 * The regulatory obligations a major hazard installation's grade and
 * substances imply (`seeds/major-hazard-obligations.yaml`, SAWS Order 40 as
 * quoted in DOMAIN.md §1.7), and whether the configured tags show each one
 * present. The rules are data; this module only knows how to look for each
 * kind of evidence. A check that finds the tags says which; one that does
 * not says what is missing, so an engineer can add the point or the register
 * declaration, and an inspector can follow the reasoning.
 */

const QUANTITIES = ['temperature', 'pressure', 'level', 'flow', 'composition', 'inventory'] as const;

const evidenceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('measurements'), quantities: z.array(z.enum(QUANTITIES)).min(1), atLeast: z.number().int().min(1).default(1) }),
  z.strictObject({ kind: z.literal('gas-detectors') }),
  z.strictObject({ kind: z.literal('sis') }),
  z.strictObject({ kind: z.literal('shutoff-valves') }),
  z.strictObject({ kind: z.literal('retention'), minDays: z.number().int().min(1) }),
  z.strictObject({ kind: z.literal('declared') }),
]);

const obligationSchema = z.strictObject({
  id: idSchema,
  title: localizedTextSchema,
  appliesTo: z
    .strictObject({
      levels: z.array(z.number().int().min(1).max(4)).min(1).optional(),
      unitTypes: z.array(z.enum(UNIT_TYPES)).min(1).optional(),
      properties: z.array(z.enum(SUBSTANCE_PROPERTIES)).min(1).optional(),
    })
    .default({}),
  evidence: evidenceSchema,
});

export const obligationsFileSchema = z.strictObject({
  obligations: z.strictObject({
    source: z.string().min(1),
    version: z.number().int().min(1),
    date: z.string().min(1),
    items: z.array(obligationSchema).min(1),
  }),
});

export type ObligationsFile = z.output<typeof obligationsFileSchema>;
export type Obligation = ObligationsFile['obligations']['items'][number];

export type ObligationsData = ObligationsFile['obligations'];

/** Loads and checks the obligations file; a ConfigError names file, path and line. */
export function loadObligations(file: string): ObligationsData {
  const value = loadConfigFile(file, obligationsFileSchema).value.obligations;
  const seen = new Set<string>();
  const problems: ConfigProblem[] = [];
  value.items.forEach((o, i) => {
    if (seen.has(o.id)) problems.push({ file, path: `obligations.items[${i}].id`, reason: `duplicate obligation "${o.id}"` });
    seen.add(o.id);
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return value;
}

export type ObligationStatus = 'met' | 'partial' | 'missing' | 'declared' | 'not-applicable';

export interface ObligationResult {
  id: string;
  title: LocalizedText;
  status: ObligationStatus;
  /** Why it applies (or not): the level, type and substance properties that decided it. */
  why: LocalizedText;
  /** What was found (tag ids, the retention, the declaration) or what is missing. */
  evidence: LocalizedText;
  /** Tags that show the obligation present. */
  tags: string[];
}

export interface ObligationContext {
  park: ParkConfig;
  /** The alarm rules built from the park model (rulesFromPark): gas detectors and SIS trips are read from them. */
  rules: readonly AlarmRule[];
  /** Days raw readings are kept (server `influx.retention.rawDays`). */
  rawRetentionDays: number;
}

const lastSegment = (id: string): string => id.slice(id.lastIndexOf('.') + 1);
const named = (id: string, name: string): boolean => {
  const last = lastSegment(id);
  return last === name || last.endsWith(`_${name}`) || last.endsWith(`-${name}`);
};
const list = (xs: readonly string[]): string => xs.join(', ');

export function evaluateObligations(unit: RegisteredUnit, obligations: readonly Obligation[], ctx: ObligationContext): ObligationResult[] {
  const level = summarizeUnit(unit).level;
  const properties = new Set(unit.items.flatMap((i) => i.properties.map((p) => p.property)));
  const tags = ctx.park.sites.flatMap((s) => s.devices.flatMap((d) => (d.tags as readonly { id: string; hazardSource?: string | undefined }[]).filter((t) => t.hazardSource === unit.id)));
  const tagIds = new Set(tags.map((t) => t.id));
  const rules = ctx.rules.filter((r) => tagIds.has(r.tagId));

  return obligations.map((o): ObligationResult => {
    const base = { id: o.id, title: o.title };
    const a = o.appliesTo;
    const reasons: { zh: string[]; en: string[] } = { zh: [], en: [] };
    let applies = level !== null;
    if (level === null) {
      reasons.zh.push('不构成重大危险源');
      reasons.en.push('not a major hazard');
    }
    if (applies && a.levels) {
      const ok = a.levels.includes(level as number);
      applies &&= ok;
      reasons.zh.push(`${level}级${ok ? '' : '（适用：' + a.levels.join('、') + '级）'}`);
      reasons.en.push(`level ${level}${ok ? '' : ` (applies to ${a.levels.join(', ')})`}`);
    }
    if (applies && a.unitTypes) {
      const ok = a.unitTypes.includes(unit.type);
      applies &&= ok;
      reasons.zh.push(`${unit.type === 'storage' ? '储存单元' : '生产单元'}${ok ? '' : '（不适用）'}`);
      reasons.en.push(`${unit.type} unit${ok ? '' : ' (does not apply)'}`);
    }
    if (applies && a.properties) {
      const hits = a.properties.filter((p) => properties.has(p));
      applies &&= hits.length > 0;
      reasons.zh.push(hits.length > 0 ? `涉及 ${list(hits)}` : `不涉及 ${list(a.properties)}`);
      reasons.en.push(hits.length > 0 ? `has ${list(hits)}` : `none of ${list(a.properties)}`);
    }
    if (!a.levels && !a.unitTypes && !a.properties && level !== null) {
      reasons.zh.push('所有重大危险源');
      reasons.en.push('every major hazard installation');
    }
    const why = { zh: reasons.zh.join('；'), en: reasons.en.join('; ') };
    if (!applies) return { ...base, status: 'not-applicable', why, evidence: { zh: '—', en: '—' }, tags: [] };
    return { ...base, why, ...check(o, unit, tags, rules, ctx) };
  });
}

type Found = Pick<ObligationResult, 'status' | 'evidence' | 'tags'>;

function check(o: Obligation, unit: RegisteredUnit, tags: readonly { id: string }[], rules: readonly AlarmRule[], ctx: ObligationContext): Found {
  const e = o.evidence;
  switch (e.kind) {
    case 'measurements': {
      const found = e.quantities.filter((q) => tags.some((t) => named(t.id, q)));
      const ids = tags.filter((t) => e.quantities.some((q) => named(t.id, q))).map((t) => t.id);
      const missing = e.quantities.filter((q) => !found.includes(q));
      const status: ObligationStatus = found.length >= e.atLeast ? 'met' : found.length > 0 ? 'partial' : 'missing';
      return {
        status,
        tags: ids,
        evidence: {
          zh: `已配置：${found.length > 0 ? list(found) : '无'}（${ids.length} 个位号）；未配置：${missing.length > 0 ? list(missing) : '无'}；至少 ${e.atLeast} 类`,
          en: `configured: ${found.length > 0 ? list(found) : 'none'} (${ids.length} tags); not configured: ${missing.length > 0 ? list(missing) : 'none'}; at least ${e.atLeast} kinds needed`,
        },
      };
    }
    case 'gas-detectors': {
      const ids = [...new Set(rules.filter((r) => r.gdsLevel !== null).map((r) => r.tagId))];
      return ids.length > 0
        ? { status: 'met', tags: ids, evidence: { zh: `${ids.length} 个气体检测报警点`, en: `${ids.length} gas detection points with GB/T 50493 level 1/2 alarms` } }
        : { status: 'missing', tags: [], evidence: { zh: '未配置带一级/二级报警的气体检测点', en: 'no gas detector with level 1/2 alarms is configured' } };
    }
    case 'sis': {
      const trips = [...new Set(rules.filter((r) => r.firstOutTrigger).map((r) => r.tagId))];
      const bypasses = tags.filter((t) => discreteEntryFor(t.id)?.suffix === 'bypass').map((t) => t.id);
      const ids = [...trips, ...bypasses];
      if (trips.length > 0 && bypasses.length > 0) return { status: 'met', tags: ids, evidence: { zh: `SIS联锁信号 ${trips.length} 个，旁路信号 ${bypasses.length} 个`, en: `${trips.length} SIS trip and ${bypasses.length} SIS bypass signals` } };
      return {
        status: ids.length > 0 ? 'partial' : 'missing',
        tags: ids,
        evidence: {
          zh: `${trips.length > 0 ? `SIS联锁信号 ${trips.length} 个` : '无SIS联锁信号'}；${bypasses.length > 0 ? `旁路信号 ${bypasses.length} 个` : '无SIS旁路信号'}`,
          en: `${trips.length > 0 ? `${trips.length} SIS trip signals` : 'no SIS trip signal'}; ${bypasses.length > 0 ? `${bypasses.length} bypass signals` : 'no SIS bypass signal'}`,
        },
      };
    }
    case 'shutoff-valves': {
      const ids = tags.filter((t) => named(t.id, 'open') || named(t.id, 'closed')).map((t) => t.id);
      return ids.length > 0
        ? { status: 'met', tags: ids, evidence: { zh: `${ids.length} 个切断阀阀位反馈`, en: `${ids.length} shut-off valve position feedbacks` } }
        : { status: 'missing', tags: [], evidence: { zh: '未配置切断阀阀位反馈（*_open / *_closed）', en: 'no shut-off valve position feedback (*_open / *_closed) is configured' } };
    }
    case 'retention': {
      const ok = ctx.rawRetentionDays >= e.minDays;
      return {
        status: ok ? 'met' : 'missing',
        tags: [],
        evidence: { zh: `原始数据保存 ${ctx.rawRetentionDays} 天（要求 ≥ ${e.minDays} 天）`, en: `raw data kept ${ctx.rawRetentionDays} days (at least ${e.minDays} required)` },
      };
    }
    case 'declared': {
      const text = unit.declared[o.id];
      return text !== undefined
        ? { status: 'declared', tags: [], evidence: { zh: `登记声明：${text}`, en: `declared in the register: ${text}` } }
        : { status: 'missing', tags: [], evidence: { zh: '无法由位号判断，登记表中未声明', en: 'not visible in the tags and not declared in the register' } };
    }
  }
}
