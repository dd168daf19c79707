import { useEffect, useState } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { apiErrorText } from '../../../shared/api/error-text';
import { fetchEnvironment, type EnvironmentAnswer, type EnvironmentMonitor } from '../../../shared/api/environment';
import { fetchHistory, type HistorySeries } from '../../../shared/api/history';
import { tagDisplayName } from '../../../shared/alarms/alarm-words';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { useCatalogue } from '../../../shared/live/live-instance';
import { TagTile } from '../../../shared/tiles/tag-tile';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// The environment page (docs/environment.md): each fence-line and outlet
// monitor with its instant value and its averages as tiles, the limits on
// the averages with where they come from, and a 24-hour trend of the
// instant value and its averages against every limit. The tiles are live;
// the trend is read again every 15 s (a 24-hour trend comes from the
// 1-minute rollup, which InfluxDB fills up to a minute behind).

const TREND_MS = 24 * 3_600_000;
const TREND_REFRESH_MS = 15_000;
const COLOURS = ['#7aa2f7', '#e0af68', '#9ece6a'];

export default function EnvironmentPage() {
  const { t } = useI18n();
  const [answer, setAnswer] = useState<EnvironmentAnswer | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetchEnvironment(controller.signal).then(setAnswer, (err: unknown) => {
      if (!controller.signal.aborted) setError(apiErrorText(t, err));
    });
    return () => controller.abort();
    // The configuration changes only with a server restart: loaded once per visit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (error !== null) {
    return (
      <p className="command__error" role="alert" data-testid="environment-error">
        <span aria-hidden="true">✕ </span>
        {t('environment.error', { error })}
      </p>
    );
  }
  if (answer === null) return <p className="layout__message">{t('environment.loading')}</p>;
  return (
    <div className="environment" data-testid="environment-page" data-monitors={answer.monitors.length}>
      <p className="command__hint">{t('environment.hint', { coverage: Math.round(answer.minCoverage * 100), every: answer.everySeconds })}</p>
      {answer.monitors.map((m) => (
        <MonitorCard key={m.tag} monitor={m} />
      ))}
    </div>
  );
}

function MonitorCard({ monitor }: { monitor: EnvironmentMonitor }) {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const tag = catalogue?.byId.get(monitor.tag);
  const ids = [monitor.tag, ...monitor.averages.map((a) => a.id)];
  const tiles = ids.map((id) => catalogue?.byId.get(id)).filter((x): x is NonNullable<typeof x> => x !== undefined);
  return (
    <section className="environment__monitor" data-testid={`env-monitor-${monitor.tag}`} aria-labelledby={`env-${monitor.tag}`}>
      <h3 id={`env-${monitor.tag}`} className="command__heading">
        {tagDisplayName(tag, monitor.tag, lang)} <span className="command-source__site">({t(monitor.kind === 'fence-line' ? 'environment.kind.fence-line' : 'environment.kind.outlet')})</span>
      </h3>
      <div className="environment__tiles">
        {tiles.map((x) => (
          <TagTile key={x.id} tag={x} />
        ))}
      </div>
      <ul className="environment__limits" data-testid="env-limits">
        {monitor.averages.map((a) => (
          <li key={a.id} data-testid={`env-limit-${a.id}`}>
            <strong>{t(a.window === '1h' ? 'environment.window.1h' : 'environment.window.24h')}</strong>{' '}
            {(['ll', 'l', 'h', 'hh'] as const)
              .filter((k) => a.limits[k] !== undefined)
              .map((k) => `${k.toUpperCase()} ${a.limits[k]}${tag?.unit ? ` ${tag.unit}` : ''}`)
              .join(' · ')}{' '}
            — {a.basis}
          </li>
        ))}
      </ul>
      <MonitorTrend monitor={monitor} unit={tag?.unit ?? ''} />
    </section>
  );
}

function MonitorTrend({ monitor, unit }: { monitor: EnvironmentMonitor; unit: string }) {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const [series, setSeries] = useState<readonly HistorySeries[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = [monitor.tag, ...monitor.averages.map((a) => a.id)];
  const key = ids.join(',');

  useEffect(() => {
    let controller = new AbortController();
    const load = (): void => {
      controller.abort();
      controller = new AbortController();
      const to = Date.now();
      fetchHistory(ids, to - TREND_MS, to, 300, controller.signal).then(
        (r) => {
          setSeries(r.series);
          setError(null);
        },
        (err: unknown) => {
          if (!controller.signal.aborted) setError(apiErrorText(t, err));
        },
      );
    };
    load();
    const timer = setInterval(load, TREND_REFRESH_MS);
    return () => {
      clearInterval(timer);
      controller.abort();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);

  const points = series?.reduce((n, s) => n + s.points.length, 0) ?? 0;
  const instantLimits = catalogue?.byId.get(monitor.tag)?.limits ?? {};
  const lines: { y: number; label: string; dash: string }[] = [];
  for (const k of ['hh', 'h', 'l', 'll'] as const) {
    const y = instantLimits[k];
    if (y !== undefined) lines.push({ y, label: `${t('environment.instant')} ${k.toUpperCase()} ${y}`, dash: '2 2' });
  }
  for (const a of monitor.averages) {
    for (const k of ['hh', 'h', 'l', 'll'] as const) {
      const y = a.limits[k];
      if (y !== undefined) lines.push({ y, label: `${t(a.window === '1h' ? 'environment.window.1h' : 'environment.window.24h')} ${k.toUpperCase()} ${y}`, dash: '6 4' });
    }
  }
  return (
    <div className="environment__trend" data-testid={`env-trend-${monitor.tag}`} data-points={points} data-limits={lines.length}>
      {error !== null && (
        <p className="command__error" role="alert">
          {t('environment.trendError', { error })}
        </p>
      )}
      <ResponsiveContainer width="100%" height={220}>
        <LineChart margin={{ top: 8, right: 16, bottom: 8, left: 8 }}>
          <CartesianGrid stroke="#2b3846" strokeDasharray="3 3" />
          <XAxis dataKey="ts" type="number" scale="time" domain={['dataMin', 'dataMax']} stroke="#9fb0c0" tickFormatter={(ms: number) => new Date(ms).toTimeString().slice(0, 5)} />
          <YAxis stroke="#9fb0c0" width={64} domain={['auto', 'auto']} label={{ value: unit, angle: -90, position: 'insideLeft', fill: '#9fb0c0' }} />
          <Tooltip labelFormatter={(label) => (typeof label === 'number' ? formatDateTimeWithZone(new Date(label)) : String(label))} contentStyle={{ background: '#121a23', border: '1px solid #2b3846' }} />
          {(series ?? []).map((s, i) => (
            <Line key={s.id} data={[...s.points]} dataKey="mean" name={tagDisplayName(catalogue?.byId.get(s.id), s.id, lang)} stroke={COLOURS[i % COLOURS.length]} dot={false} strokeWidth={2} isAnimationActive={false} />
          ))}
          {lines.map((l) => (
            <ReferenceLine key={l.label} y={l.y} ifOverflow="extendDomain" stroke="#9fb0c0" strokeDasharray={l.dash} label={{ value: `${l.label}${unit ? ` ${unit}` : ''}`, fill: '#c9d1d9', fontSize: 11, position: 'insideTopRight' }} />
          ))}
        </LineChart>
      </ResponsiveContainer>
      {series !== null && points === 0 && <p className="command__none">{t('environment.noHistory')}</p>}
    </div>
  );
}
