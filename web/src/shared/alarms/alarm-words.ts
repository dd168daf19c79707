import type { AlarmEvent, AlarmKind, AlarmPriority, AlarmState, CatalogueTag, Role } from '@park/protocol';
import type { I18n } from '../i18n/i18n-context';
import type { Lang, MessageKey } from '../i18n/messages';
import type { Catalogue } from '../live/live-store';
import { decimalsFor, formatNumber } from '../live/tag-status';

// The alarm vocabulary of every screen: one word, one symbol and one colour
// (CSS `--priority-*`) per priority, used identically on the banner, the
// tiles, the lists and the journal and for nothing else; one word per state.
// Symbols make priority readable without colour (colour-blind operators).

export const PRIORITY_KEY = {
  critical: 'alarm.priority.critical',
  high: 'alarm.priority.high',
  medium: 'alarm.priority.medium',
  low: 'alarm.priority.low',
} as const satisfies Record<AlarmPriority, string>;

export const PRIORITY_SYMBOL: Readonly<Record<AlarmPriority, string>> = { critical: '◆', high: '▲', medium: '■', low: '●' };

export const STATE_KEY = {
  normal: 'alarm.state.normal',
  unack: 'alarm.state.unack',
  acked: 'alarm.state.acked',
  'rtn-unack': 'alarm.state.rtn-unack',
  shelved: 'alarm.state.shelved',
  suppressed: 'alarm.state.suppressed',
  'out-of-service': 'alarm.state.out-of-service',
} as const satisfies Record<AlarmState, string>;

/** Unacknowledged states blink-free but marked: `!` before the word. */
export const STATE_SYMBOL: Readonly<Record<AlarmState, string>> = {
  normal: '✓',
  unack: '!',
  acked: '✓',
  'rtn-unack': '↺',
  shelved: '⏸',
  suppressed: '⊘',
  'out-of-service': '⊗',
};

type KindKey = Extract<MessageKey, `alarm.kind.${string}`>;

/** Kinds a newer server may add show as their raw name until the dictionary has them. */
const KIND_KEY: Readonly<Partial<Record<string, KindKey>>> = {
  hh: 'alarm.kind.hh',
  h: 'alarm.kind.h',
  l: 'alarm.kind.l',
  ll: 'alarm.kind.ll',
  roc: 'alarm.kind.roc',
  discrete: 'alarm.kind.discrete',
  'bad-quality': 'alarm.kind.bad-quality',
  stale: 'alarm.kind.stale',
  'gateway-offline': 'alarm.kind.gateway-offline',
  frozen: 'alarm.kind.frozen',
} satisfies Record<AlarmKind, KindKey>;

export function kindText(t: I18n['t'], kind: string): string {
  const key = KIND_KEY[kind];
  return key ? t(key) : kind;
}

export function tagDisplayName(tag: CatalogueTag | undefined, fallbackId: string, lang: Lang): string {
  return tag?.name?.[lang] || tag?.description || fallbackId;
}

function quantity(tag: CatalogueTag | undefined, value: number, perMinute = false): string {
  const text = formatNumber(value, decimalsFor(tag, value));
  const unit = tag?.unit ? (perMinute ? `${tag.unit}/min` : tag.unit) : perMinute ? '/min' : '';
  return unit ? `${text} ${unit}` : text;
}

/**
 * The alarm in the interface language, built from the catalogue (the
 * server's `message` is in one language only): name, what, value and limit
 * with units.
 */
export function alarmText(t: I18n['t'], lang: Lang, alarm: AlarmEvent, catalogue: Catalogue | null): string {
  if (alarm.kind === 'gateway-offline') return t('alarm.text.gateway', { gateway: alarm.tagId });
  const tag = catalogue?.byId.get(alarm.tagId);
  const name = tagDisplayName(tag, alarm.tagId, lang);
  const kind = kindText(t, alarm.kind);
  if (alarm.value !== null && alarm.limit !== null && alarm.kind !== 'discrete') {
    return t('alarm.text.limit', { name, kind, value: quantity(tag, alarm.value), limit: quantity(tag, alarm.limit, alarm.kind === 'roc') });
  }
  return t('alarm.text.plain', { name, kind });
}

/**
 * Site (flood and KPI area) of an alarm: the server's `area` on the event;
 * only an older server's event (without it) falls back to the tag's site in
 * the catalogue.
 */
export function alarmSite(alarm: AlarmEvent, catalogue: Catalogue | null): string | undefined {
  return alarm.area ?? catalogue?.byId.get(alarm.tagId)?.site;
}

/** Hazard source (重大危险源 unit) of an alarm's tag, from the catalogue. */
export function alarmHazardSource(alarm: AlarmEvent, catalogue: Catalogue | null): string | undefined {
  return catalogue?.byId.get(alarm.tagId)?.hazardSource;
}

export function siteName(catalogue: Catalogue | null, siteId: string | undefined, lang: Lang): string {
  if (siteId === undefined || siteId === '') return '—';
  return catalogue?.siteNames.get(siteId)?.[lang] ?? siteId;
}

// What each role may do, as the server's permissions (server/src/auth/permissions.ts)
// say. The display hides nothing the server would allow; the server decides.
const ACK_ROLES: readonly Role[] = ['operator', 'commander', 'engineer', 'admin'];
const SHELVE_ROLES: readonly Role[] = ['operator', 'engineer', 'admin'];

export function canAck(role: Role): boolean {
  return ACK_ROLES.includes(role);
}

export function canShelve(role: Role): boolean {
  return SHELVE_ROLES.includes(role);
}

/** Unshelving needs the same permission as shelving (`POST /api/alarms/{id}/unshelve`). */
export function canUnshelve(role: Role): boolean {
  return SHELVE_ROLES.includes(role);
}
