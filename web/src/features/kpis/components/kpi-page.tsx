import { useEffect, useMemo, useState } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import { Bar, BarChart, CartesianGrid, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { kindText, PRIORITY_KEY, PRIORITY_SYMBOL, siteName, tagDisplayName } from '../../../shared/alarms/alarm-words';
import { fetchAlarmKpis, KPI_GUIDE_PER_10_MIN, KPI_MAX_SPAN_DAYS, type AreaKpis, type KpiAnswer, type KpiBucket } from '../../../shared/api/kpis';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import { useCatalogue } from '../../../shared/live/live-instance';
import type { Catalogue } from '../../../shared/live/live-store';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// Alarm-system performance per area (DOMAIN.md §7.3, EEMUA 191 / ISA-18.2),
// as the server computes it from the journal: annunciated alarms per 10
// minutes against the 1-per-10-minutes guide, time in flood, standing and
// chattering alarms, the top-10 bad actors, the priority distribution against
// ~5/15/80 %. The bars are neutral: priority colours are for alarms only.
// Loaded on first visit (Recharts is a separate chunk).

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const PERIODS = [
  { key: '8h', ms: 8 * HOUR_MS, label: 'kpis.period.8h' },
  { key: '24h', ms: DAY_MS, label: 'kpis.period.24h' },
  { key: '7d', ms: 7 * DAY_MS, label: 'kpis.period.7d' },
  { key: '31d', ms: KPI_MAX_SPAN_DAYS * DAY_MS, label: 'kpis.period.31d' },
] as const;
type PeriodKey = (typeof PERIODS)[number]['key'];
const DEFAULT_PERIOD: PeriodKey = '24h';
/** More bars than this are merged (each bar then shows the highest 10-minute count it covers). */
const MAX_BARS = 300;

type Load = { kind: 'idle' } | { kind: 'loading' } | { kind: 'ok'; answer: KpiAnswer } | { kind: 'error'; error: string };

const errorText = (t: I18n['t'], error: unknown): string => apiErrorText(t, error, (reason) => t('kpis.error.refused', { reason }));

function duration(t: I18n['t'], ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (minutes < 120) return t('kpis.minutes', { n: minutes });
  const hours = ms / HOUR_MS;
  if (hours < 48) return t('kpis.hours', { n: hours.toFixed(1) });
  return t('kpis.days', { n: (hours / 24).toFixed(1) });
}

function pct(n: number): string {
  return `${n.toFixed(n > 0 && n < 10 ? 1 : 0)} %`;
}

function alarmName(t: I18n['t'], catalogue: Catalogue | null, tagId: string, kind: string, lang: 'zh' | 'en'): string {
  const tag = catalogue?.byId.get(tagId);
  return `${tagDisplayName(tag, tagId, lang)} ${kindText(t, kind)}`;
}

/** At most MAX_BARS bars: consecutive 10-minute buckets merged, keeping the highest count (the guide is per 10 minutes). */
function barsOf(buckets: readonly KpiBucket[]): { bars: { start: number; count: number }[]; merged: number } {
  const merged = Math.max(1, Math.ceil(buckets.length / MAX_BARS));
  if (merged === 1) return { bars: buckets.map((b) => ({ start: b.start, count: b.count })), merged };
  const bars: { start: number; count: number }[] = [];
  for (let i = 0; i < buckets.length; i += merged) {
    const group = buckets.slice(i, i + merged);
    bars.push({ start: group[0]?.start ?? 0, count: group.reduce((m, b) => Math.max(m, b.count), 0) });
  }
  return { bars, merged };
}

export default function KpiPage() {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const [period, setPeriod] = useState<PeriodKey>(DEFAULT_PERIOD);
  const [area, setArea] = useState('all');
  const [reloads, setReloads] = useState(0);
  const [load, setLoad] = useState<Load>({ kind: 'idle' });

  useEffect(() => {
    const controller = new AbortController();
    const span = PERIODS.find((p) => p.key === period)?.ms ?? DAY_MS;
    const toMs = Date.now();
    setLoad({ kind: 'loading' });
    fetchAlarmKpis({ fromMs: toMs - span, toMs, ...(area !== 'all' ? { area } : {}) }, controller.signal).then(
      (answer) => setLoad({ kind: 'ok', answer }),
      (error: unknown) => {
        if (!controller.signal.aborted) setLoad({ kind: 'error', error: errorText(t, error) });
      },
    );
    return () => controller.abort();
    // `t` changes with the language: the numbers do not.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [period, area, reloads]);

  const sites = catalogue?.park?.sites ?? [];

  return (
    <div className="kpis" data-testid="kpi-page" data-state={load.kind}>
      <div className="kpis__controls" role="group" aria-label={t('kpis.controls')}>
        <label className="field">
          <span className="field__label">{t('kpis.period')}</span>
          <select className="field__input" data-testid="kpi-period" value={period} onChange={(e) => setPeriod(e.target.value as PeriodKey)}>
            {PERIODS.map((p) => (
              <option key={p.key} value={p.key}>
                {t(p.label)}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">{t('kpis.area')}</span>
          <select className="field__input" data-testid="kpi-area" value={area} onChange={(e) => setArea(e.target.value)}>
            <option value="all">{t('alarms.filter.all')}</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name[lang]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button" data-testid="kpi-reload" onClick={() => setReloads((n) => n + 1)} disabled={load.kind === 'loading'}>
          {t('kpis.reload')}
        </button>
      </div>
      {load.kind === 'loading' && <p className="layout__message">{t('kpis.loading')}</p>}
      {load.kind === 'error' && (
        <p className="kpis__error" role="alert" data-testid="kpi-error">
          <span aria-hidden="true">✕ </span>
          {load.error}
        </p>
      )}
      {load.kind === 'ok' && (
        <>
          <p className="kpis__period" data-testid="kpi-range">
            {t('kpis.range', { from: formatDateTimeWithZone(new Date(load.answer.from)), to: formatDateTimeWithZone(new Date(load.answer.to)) })}
          </p>
          {load.answer.truncated && (
            <p className="kpis__truncated" role="alert" data-testid="kpi-truncated">
              <span aria-hidden="true">⚠ </span>
              {t('kpis.truncated')}
            </p>
          )}
          {load.answer.areas.length === 0 ? (
            <p className="kpis__none" data-testid="kpi-none">
              {t('kpis.none')}
            </p>
          ) : (
            load.answer.areas.map((a) => <AreaSection key={a.area} kpis={a} bucketMs={load.answer.bucketMs} catalogue={catalogue} areaName={siteName(catalogue, a.area, lang)} />)
          )}
        </>
      )}
    </div>
  );
}

function AreaSection({ kpis, bucketMs, catalogue, areaName }: { kpis: AreaKpis; bucketMs: number; catalogue: Catalogue | null; areaName: string }) {
  const { t, lang } = useI18n();
  const { bars, merged } = useMemo(() => barsOf(kpis.annunciated.buckets), [kpis.annunciated.buckets]);
  const guide = (KPI_GUIDE_PER_10_MIN * bucketMs) / 600_000;
  const a = kpis.annunciated;
  const f = kpis.floods;
  return (
    <section className="kpi-area" data-testid={`kpi-area-${kpis.area}`} data-area={kpis.area} aria-label={areaName}>
      <h3 className="kpi-area__title">{t('kpis.areaTitle', { area: areaName })}</h3>
      <dl className="kpi-area__numbers">
        <div>
          <dt>{t('kpis.total')}</dt>
          <dd data-testid="kpi-total">{a.total}</dd>
        </div>
        <div>
          <dt>{t('kpis.average')}</dt>
          <dd data-testid="kpi-average" data-rating={a.rating}>
            {a.averagePerBucket.toFixed(2)} <span className="kpi-rating">({t(`kpis.rating.${a.rating}`)})</span>
          </dd>
        </div>
        <div>
          <dt>{t('kpis.max')}</dt>
          <dd data-testid="kpi-max">{a.maxPerBucket}</dd>
        </div>
        <div>
          <dt>{t('kpis.aboveGuide')}</dt>
          <dd>
            {a.bucketsAboveGuide} / {a.buckets.length}
          </dd>
        </div>
        <div>
          <dt>{t('kpis.floodTime')}</dt>
          <dd data-testid="kpi-flood-time" data-over={f.timeInFloodPct >= 1}>
            {pct(f.timeInFloodPct)} ({duration(t, f.totalMs)}) {f.timeInFloodPct >= 1 ? <span aria-hidden="true">⚠</span> : null}
            <span className="kpi-area__target"> {t('kpis.floodTarget')}</span>
          </dd>
        </div>
        <div>
          <dt>{t('kpis.floods')}</dt>
          <dd data-testid="kpi-floods">
            {f.count}
            {f.peak !== null && <span className="kpi-area__target"> {t('kpis.floodPeak', { n: f.peak })}</span>}
          </dd>
        </div>
      </dl>

      <figure className="kpi-chart" data-testid="kpi-chart">
        <figcaption>
          {merged > 1 ? t('kpis.chart.merged', { n: merged }) : t('kpis.chart')} — <span aria-hidden="true">┄ </span>
          {t('kpis.chart.guide')}
        </figcaption>
        <div className="kpi-chart__box">
          <ResponsiveContainer width="100%" height="100%" minHeight={200}>
            <BarChart data={bars} margin={{ top: 10, right: 16, bottom: 4, left: 0 }}>
              <CartesianGrid stroke="#2b3846" strokeDasharray="3 3" vertical={false} />
              <XAxis
                dataKey="start"
                tickFormatter={(v: number) => formatDateTimeWithZone(new Date(v)).slice(5, 16)}
                stroke="#9fb0c0"
                fontSize={12}
                minTickGap={40}
              />
              <YAxis allowDecimals={false} stroke="#9fb0c0" fontSize={12} width={32} domain={[0, (max: number) => Math.max(max, guide * 2)]} />
              <Tooltip
                labelFormatter={(v) => formatDateTimeWithZone(new Date(Number(v)))}
                formatter={(value) => [String(value), t('kpis.chart.count')]}
                contentStyle={{ background: '#18222d', border: '1px solid #2b3846' }}
              />
              <Bar dataKey="count" fill="#9fb0c0" isAnimationActive={false} />
              <ReferenceLine y={guide} stroke="#e6edf3" strokeDasharray="6 4" ifOverflow="extendDomain" label={{ value: t('kpis.chart.guideShort'), fill: '#e6edf3', fontSize: 12, position: 'insideTopRight' }} />
            </BarChart>
          </ResponsiveContainer>
        </div>
      </figure>

      <div className="kpi-area__tables">
        <table className="kpi-table" data-testid="kpi-priority">
          <caption>{t('kpis.priority')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('alarms.col.priority')}</th>
              <th scope="col">{t('kpis.count')}</th>
              <th scope="col">{t('kpis.share')}</th>
              <th scope="col">{t('kpis.target')}</th>
            </tr>
          </thead>
          <tbody>
            {kpis.priority.groups.map((g) => (
              <tr key={g.group} data-group={g.group}>
                <td>
                  {g.priorities.map((p) => (
                    <span key={p} className="prio-badge" data-priority={p}>
                      <span aria-hidden="true">{PRIORITY_SYMBOL[p]} </span>
                      {t(PRIORITY_KEY[p])}
                    </span>
                  ))}
                </td>
                <td>{g.count}</td>
                <td>{pct(g.pct)}</td>
                <td>≈ {g.targetPct} %</td>
              </tr>
            ))}
          </tbody>
        </table>

        <table className="kpi-table" data-testid="kpi-top">
          <caption>{t('kpis.top')}</caption>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">{t('kpis.alarm')}</th>
              <th scope="col">{t('kpis.count')}</th>
              <th scope="col">{t('kpis.share')}</th>
              <th scope="col">{t('kpis.cumulative')}</th>
            </tr>
          </thead>
          <tbody>
            {kpis.top.length === 0 && (
              <tr>
                <td colSpan={5}>{t('kpis.empty')}</td>
              </tr>
            )}
            {kpis.top.map((row, i) => (
              <tr key={row.id} data-alarm-id={row.id}>
                <td>{i + 1}</td>
                <td>
                  <span className="prio-badge" data-priority={row.priority}>
                    <span aria-hidden="true">{PRIORITY_SYMBOL[row.priority]} </span>
                    {t(PRIORITY_KEY[row.priority])}
                  </span>{' '}
                  {alarmName(t, catalogue, row.tagId, row.kind, lang)}
                  <span className="alarms__sub">{row.id}</span>
                </td>
                <td>{row.count}</td>
                <td>{pct(row.sharePct)}</td>
                <td>{pct(row.cumulativePct)}</td>
              </tr>
            ))}
          </tbody>
        </table>

        <table className="kpi-table" data-testid="kpi-standing">
          <caption>{t('kpis.standing')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('kpis.alarm')}</th>
              <th scope="col">{t('kpis.activeSince')}</th>
              <th scope="col">{t('kpis.activeFor')}</th>
            </tr>
          </thead>
          <tbody>
            {kpis.standing.length === 0 && (
              <tr>
                <td colSpan={3}>{t('kpis.empty')}</td>
              </tr>
            )}
            {kpis.standing.map((row) => (
              <tr key={`${row.id}@${row.activeSince}`} data-alarm-id={row.id}>
                <td>
                  <span className="prio-badge" data-priority={row.priority}>
                    <span aria-hidden="true">{PRIORITY_SYMBOL[row.priority]} </span>
                    {t(PRIORITY_KEY[row.priority])}
                  </span>{' '}
                  {alarmName(t, catalogue, row.tagId, row.kind, lang)}
                </td>
                <td>{formatDateTimeWithZone(new Date(row.activeSince))}</td>
                <td>
                  {duration(t, row.activeForMs)}
                  {row.ongoing ? ` ${t('kpis.ongoing')}` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>

        <table className="kpi-table" data-testid="kpi-chattering">
          <caption>{t('kpis.chattering')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('kpis.alarm')}</th>
              <th scope="col">{t('kpis.episodes')}</th>
              <th scope="col">{t('kpis.changes')}</th>
            </tr>
          </thead>
          <tbody>
            {kpis.chattering.length === 0 && (
              <tr>
                <td colSpan={3}>{t('kpis.empty')}</td>
              </tr>
            )}
            {kpis.chattering.map((row) => (
              <tr key={row.id} data-alarm-id={row.id}>
                <td>
                  {tagDisplayName(catalogue?.byId.get(row.tagId), row.tagId, lang)}
                  <span className="alarms__sub">{row.id}</span>
                </td>
                <td>{row.episodes}</td>
                <td>{row.changes}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="kpi-area__note">{t('kpis.note')}</p>
    </section>
  );
}
