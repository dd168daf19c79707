import { memo } from 'react';
import type { CatalogueTag } from '@park/protocol';
import { useI18n, type I18n } from '../i18n/i18n-context';
import type { Lang } from '../i18n/messages';
import { PRIORITY_KEY, PRIORITY_SYMBOL, STATE_KEY, STATE_SYMBOL } from '../alarms/alarm-words';
import type { TagAlarm } from '../live/alarm-store';
import { useTagAlarm, useTagLive } from '../live/live-instance';
import { SPARK_WINDOW_MS, type TagLive } from '../live/live-store';
import { decimalsFor, formatNumber, type LimitState } from '../live/tag-status';
import { formatDateTimeWithZone } from '../time/format';
import { discreteMeaning } from './discrete-words';
import { Sparkline } from './sparkline';

// One tag: name, value with unit (or the discrete state in words), its place
// in the instrument range, and its state in words and symbols. Subscribes to
// its own tag and its own alarms only, so a commit re-renders just the tiles
// that changed. Shared by the overview wall and the hazard installation page,
// so a value looks the same on both.
//
// Colour comes from the tag's most important ACTIVE ALARM (priority colour;
// the state in words: unacknowledged, acknowledged, returned, shelved…), as
// the server's alarm engine decides it (deadband, delays, shelving). The
// position against the catalogue limits (↑ above H …) is shown as a neutral
// word only: it is not an alarm.

const LIMIT_SYMBOL: Partial<Record<LimitState, string>> = { hh: '⇈', h: '↑', l: '↓', ll: '⇊' };
const LIMIT_KEY = { hh: 'tile.limit.hh', h: 'tile.limit.h', l: 'tile.limit.l', ll: 'tile.limit.ll' } as const;

export function tagName(tag: CatalogueTag, lang: Lang): string {
  return tag.name?.[lang] || tag.description || tag.id;
}

interface Status {
  readonly symbol: string;
  readonly text: string;
  readonly kind: 'alarm' | 'limit' | 'bad' | 'uncertain' | 'stale' | 'no-data';
}

function alarmStatus(t: I18n['t'], tagAlarm: TagAlarm): Status {
  const { alarm, count } = tagAlarm;
  const more = count > 1 ? ` +${count - 1}` : '';
  return {
    symbol: `${PRIORITY_SYMBOL[alarm.priority]}${STATE_SYMBOL[alarm.state]}`,
    text: `${t(PRIORITY_KEY[alarm.priority])} · ${t(STATE_KEY[alarm.state])}${more}`,
    kind: 'alarm',
  };
}

function statuses(t: I18n['t'], live: TagLive, tagAlarm: TagAlarm | null): Status[] {
  const { reading } = live;
  const out: Status[] = [];
  if (tagAlarm) out.push(alarmStatus(t, tagAlarm));
  if (!reading) return [...out, { symbol: '…', text: t('tile.noData'), kind: 'no-data' }];
  if (reading.q === 'bad') {
    out.push({ symbol: '✕', text: reading.err ? `${t('tile.quality.bad')}: ${reading.err}` : t('tile.quality.bad'), kind: 'bad' });
  } else {
    if (live.limit !== 'none' && live.limit !== 'normal') {
      out.push({ symbol: LIMIT_SYMBOL[live.limit] ?? '', text: t(LIMIT_KEY[live.limit]), kind: 'limit' });
    }
    if (reading.q === 'uncertain') {
      out.push({ symbol: '?', text: reading.err ? `${t('tile.quality.uncertain')}: ${reading.err}` : t('tile.quality.uncertain'), kind: 'uncertain' });
    }
  }
  if (live.stale) out.push({ symbol: '⏱', text: t('tile.stale'), kind: 'stale' });
  return out;
}

function limitsText(tag: CatalogueTag): string | null {
  const limits = tag.limits;
  if (!limits) return null;
  const parts: string[] = [];
  if (limits.ll !== undefined) parts.push(`LL ${limits.ll}`);
  if (limits.l !== undefined) parts.push(`L ${limits.l}`);
  if (limits.h !== undefined) parts.push(`H ${limits.h}`);
  if (limits.hh !== undefined) parts.push(`HH ${limits.hh}`);
  return parts.join(' · ');
}

function pct(value: number, low: number, high: number): number {
  return Math.min(100, Math.max(0, ((value - low) / (high - low)) * 100));
}

/** The instrument range as a bar: the normal band, the limits as ticks, the value as a marker. */
function RangeBar({ tag, value }: { tag: CatalogueTag; value: number | null }) {
  const range = tag.range;
  if (!range || range[1] <= range[0]) return <div className="tile__bar tile__bar--none" aria-hidden="true" />;
  const [low, high] = range;
  const limits = tag.limits ?? {};
  const bandFrom = pct(limits.l ?? limits.ll ?? low, low, high);
  const bandTo = pct(limits.h ?? limits.hh ?? high, low, high);
  return (
    <div className="tile__bar" aria-hidden="true">
      <div className="tile__band" style={{ left: `${bandFrom}%`, width: `${Math.max(0, bandTo - bandFrom)}%` }} />
      {(['ll', 'l', 'h', 'hh'] as const).map((key) => {
        const limit = limits[key];
        return limit === undefined ? null : <div key={key} className={`tile__tick tile__tick--${key}`} style={{ left: `${pct(limit, low, high)}%` }} />;
      })}
      {value !== null && <div className="tile__marker" style={{ left: `${pct(value, low, high)}%` }} />}
    </div>
  );
}

export const TagTile = memo(function TagTile({ tag }: { tag: CatalogueTag }) {
  const { t, lang } = useI18n();
  const live = useTagLive(tag.id);
  const tagAlarm = useTagAlarm(tag.id);
  const { reading } = live;
  const name = tagName(tag, lang);
  const discrete = tag.kind === 'discrete';
  const usable = reading !== null && reading.q !== 'bad';

  let valueText = '—';
  let unit = tag.unit;
  let attention = false;
  if (usable && discrete) {
    const meaning = discreteMeaning(tag.id);
    const on = reading.v !== 0;
    valueText = t(on ? meaning.on : meaning.off);
    unit = '';
    attention = meaning.abnormal !== null && meaning.abnormal === (on ? 1 : 0);
  } else if (usable) {
    valueText = formatNumber(reading.v, decimalsFor(tag, reading.v));
  }

  const list = statuses(t, live, tagAlarm);
  const limits = limitsText(tag);
  const title = [
    name,
    tag.id,
    reading ? `${t('tile.sourceTime')}: ${formatDateTimeWithZone(new Date(reading.ts))}` : t('tile.noData'),
    live.updatedAtServerMs !== null ? `${t('tile.serverTime')}: ${formatDateTimeWithZone(new Date(live.updatedAtServerMs))}` : null,
    limits ? `${t('tile.limits')}: ${limits}${tag.unit ? ` ${tag.unit}` : ''}` : null,
    tagAlarm ? `${t('tile.alarm')}: ${tagAlarm.alarm.id} · ${t(PRIORITY_KEY[tagAlarm.alarm.priority])} · ${t(STATE_KEY[tagAlarm.alarm.state])}` : null,
  ]
    .filter((line) => line !== null)
    .join('\n');

  return (
    <div
      className="tile"
      role="group"
      aria-label={name}
      title={title}
      data-testid={`tile-${tag.id}`}
      data-kind={tag.kind}
      data-quality={reading ? reading.q : 'none'}
      data-limit={live.limit}
      data-stale={live.stale}
      data-attention={attention}
      data-alarm-id={tagAlarm?.alarm.id ?? ''}
      data-alarm-priority={tagAlarm?.alarm.priority ?? 'none'}
      data-alarm-state={tagAlarm?.alarm.state ?? 'none'}
    >
      <div className="tile__name">{name}</div>
      <div className="tile__id">{tag.id}</div>
      <div className="tile__value" data-testid="tile-value">
        <span className="tile__number">
          {attention && <span aria-hidden="true">⚠ </span>}
          {valueText}
        </span>
        {unit && usable && <span className="tile__unit">{unit}</span>}
        {!discrete && <Sparkline tag={tag} label={t('tile.spark', { minutes: SPARK_WINDOW_MS / 60_000 })} />}
      </div>
      {!discrete && <RangeBar tag={tag} value={usable ? reading.v : null} />}
      <div className="tile__status" data-testid="tile-status">
        {list.map((status) => (
          <span key={status.kind} className={`tile__badge tile__badge--${status.kind}`}>
            <span aria-hidden="true">{status.symbol} </span>
            {status.text}
          </span>
        ))}
      </div>
    </div>
  );
});
