import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, usePlotArea, XAxis, YAxis } from 'recharts';
import type { CatalogueTag } from '@park/protocol';
import { tagDisplayName } from '../../../shared/alarms/alarm-words';
import { ApiError } from '../../../shared/api/client';
import { fetchHistory, type HistoryPoint } from '../../../shared/api/history';
import { downloadCsv, fileStamp, toCsv } from '../../../shared/csv/csv';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { liveStore, useCatalogue } from '../../../shared/live/live-instance';
import { formatDateTimeWithZone } from '../../../shared/time/format';
import { appendLive, MAX_TREND_TAGS, rangeMs, SERIES_COLOURS, TREND_RANGES, unitsOf, type TrendRangeKey } from '../trend-data';

// Trends: pick tags (search by id or name), a range from 15 minutes to 30
// days; history from GET /api/history, downsampled by the server to about
// the chart's width; then live values appended from the socket. Limits are
// dashed reference lines; one Y axis per unit; CSV of what is drawn.
//
// Zoom: drag across the chart (mouse, pen or finger) to select a time span;
// its history is fetched again at the finer resolution the shorter span
// allows, and the chart stays on it (no live sliding) until reset.

const MAX_POINTS = 600;
const MAX_MATCHES = 30;
/** Live points are drawn at most this often: a calm chart, not a flicker. */
const LIVE_REDRAW_MS = 1_000;
/** A drag narrower than this share of the chart is a click, not a zoom. */
const MIN_ZOOM_SHARE = 0.01;
/** The server's raw points have millisecond times: a zoom narrower than this shows nothing more. */
const MIN_ZOOM_MS = 10_000;

interface PlotBox {
  readonly x: number;
  readonly width: number;
}

/** Inside the chart: reports the plot area (pixels from the chart's left) so a pointer's x maps to a time. */
function PlotAreaProbe({ into }: { into: { current: PlotBox | null } }) {
  const area = usePlotArea();
  into.current = area ? { x: area.x, width: area.width } : null;
  return null;
}

type LoadState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'error'; text: string } | { kind: 'done'; atMs: number; intervalMs: number };

interface SeriesData {
  readonly history: number;
  readonly points: readonly HistoryPoint[];
}

function matches(tag: CatalogueTag, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return false;
  return (
    tag.id.toLowerCase().includes(q) ||
    (tag.name?.zh ?? '').toLowerCase().includes(q) ||
    (tag.name?.en ?? '').toLowerCase().includes(q) ||
    tag.description.toLowerCase().includes(q)
  );
}

function tickFormatter(spanMs: number): (ms: number) => string {
  return (ms) => {
    const d = new Date(ms);
    const pad = (n: number): string => String(n).padStart(2, '0');
    const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
    return spanMs > 86_400_000 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}` : time;
  };
}

export default function TrendsPage() {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const [query, setQuery] = useState('');
  const [selected, setSelected] = useState<readonly string[]>([]);
  const [range, setRange] = useState<TrendRangeKey>('1h');
  const [load, setLoad] = useState<LoadState>({ kind: 'idle' });
  const [series, setSeries] = useState<ReadonlyMap<string, SeriesData>>(new Map());
  const [window_, setWindow] = useState<{ from: number; to: number }>(() => ({ from: Date.now() - rangeMs('1h'), to: Date.now() }));
  const [reloadCount, setReloadCount] = useState(0);
  /** The zoomed span (frozen, no live sliding), or null for the live range. */
  const [zoom, setZoom] = useState<{ from: number; to: number } | null>(null);
  /** The span being dragged over, in ms, or null. */
  const [drag, setDrag] = useState<{ start: number; end: number } | null>(null);
  const plotBox = useRef<PlotBox | null>(null);
  const chartBox = useRef<HTMLDivElement | null>(null);

  const found = useMemo(() => {
    if (!catalogue) return [];
    const out: CatalogueTag[] = [];
    for (const tag of catalogue.tags) {
      if (out.length >= MAX_MATCHES) break;
      if (!selected.includes(tag.id) && matches(tag, query)) out.push(tag);
    }
    return out;
  }, [catalogue, query, selected]);

  // History: on every change of tags or range, and on "reload".
  useEffect(() => {
    if (selected.length === 0) {
      setSeries(new Map());
      setLoad({ kind: 'idle' });
      return;
    }
    const controller = new AbortController();
    const to = zoom?.to ?? Date.now();
    const from = zoom?.from ?? to - rangeMs(range);
    setLoad({ kind: 'loading' });
    fetchHistory(selected, from, to, MAX_POINTS, controller.signal).then(
      (response) => {
        if (controller.signal.aborted) return;
        const next = new Map<string, SeriesData>();
        for (const id of selected) {
          const s = response.series.find((x) => x.id === id);
          next.set(id, { history: s?.points.length ?? 0, points: s ? [...s.points] : [] });
        }
        setSeries(next);
        setWindow({ from, to });
        setLoad({ kind: 'done', atMs: Date.now(), intervalMs: response.intervalMs });
      },
      (error: unknown) => {
        if (controller.signal.aborted) return;
        const text =
          error instanceof ApiError
            ? error.code === 'http'
              ? t('trends.error.refused', { reason: error.message })
              : error.code === 'timeout'
                ? t('api.error.timeout')
                : error.code === 'invalid-response'
                  ? t('api.error.invalid-response')
                  : t('api.error.network')
            : String(error);
        setLoad({ kind: 'error', text });
      },
    );
    return () => controller.abort();
    // Not on `t`: a language switch needs no reload.
  }, [selected, range, reloadCount, zoom]);

  // Live append: the socket's values for the selected tags, redrawn at most once a second.
  const pendingLive = useRef(new Map<string, HistoryPoint[]>());
  const flushLive = useCallback(() => {
    const now = Date.now();
    const from = now - rangeMs(range);
    // The window slides with the clock even when nothing new arrives.
    setWindow({ from, to: now });
    if (pendingLive.current.size === 0) return;
    const batch = new Map(pendingLive.current);
    pendingLive.current.clear();
    setSeries((previous) => {
      const next = new Map(previous);
      for (const [id, points] of batch) {
        const current = next.get(id);
        if (!current) continue;
        let merged = current.points;
        for (const point of points) merged = appendLive(merged, point, from);
        next.set(id, { history: current.history, points: merged });
      }
      return next;
    });
  }, [range]);

  useEffect(() => {
    // Zoomed: a fixed span of the past, nothing to append.
    if (load.kind !== 'done' || zoom !== null) return;
    const unsubscribers = selected.map((id) =>
      liveStore.subscribeTag(id, () => {
        const reading = liveStore.getTag(id).reading;
        if (!reading || reading.q === 'bad') return;
        const list = pendingLive.current.get(id) ?? [];
        list.push({ ts: reading.ts, mean: reading.v, min: reading.v, max: reading.v, q: reading.q === 'good' ? 0 : 1 });
        pendingLive.current.set(id, list);
      }),
    );
    const timer = setInterval(flushLive, LIVE_REDRAW_MS);
    return () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      clearInterval(timer);
    };
  }, [selected, load.kind, flushLive, zoom]);

  /** The time under a pointer, or null outside the plot area. */
  function timeAt(clientX: number): number | null {
    const element = chartBox.current;
    const box = plotBox.current;
    if (!element || !box || box.width <= 0) return null;
    const x = clientX - element.getBoundingClientRect().left - box.x;
    if (x < 0 || x > box.width) return null;
    return window_.from + (x / box.width) * (window_.to - window_.from);
  }

  function clampTime(clientX: number): number {
    const element = chartBox.current;
    const box = plotBox.current;
    if (!element || !box || box.width <= 0) return window_.from;
    const x = Math.min(box.width, Math.max(0, clientX - element.getBoundingClientRect().left - box.x));
    return window_.from + (x / box.width) * (window_.to - window_.from);
  }

  function endDrag(): void {
    if (!drag) return;
    const from = Math.min(drag.start, drag.end);
    const to = Math.max(drag.start, drag.end);
    setDrag(null);
    if (to - from < Math.max(MIN_ZOOM_MS, (window_.to - window_.from) * MIN_ZOOM_SHARE)) return;
    setZoom({ from: Math.round(from), to: Math.round(to) });
  }


  const tags = selected.map((id) => catalogue?.byId.get(id));
  const units = unitsOf(selected.map((_, i) => tags[i]?.unit ?? ''));
  const spanMs = window_.to - window_.from;

  function add(id: string): void {
    setSelected((current) => (current.includes(id) || current.length >= MAX_TREND_TAGS ? current : [...current, id]));
    setQuery('');
  }

  function remove(id: string): void {
    setSelected((current) => current.filter((x) => x !== id));
  }

  function exportCsv(): void {
    const header = [t('trends.csv.time'), t('trends.csv.tag'), t('trends.csv.name'), t('trends.csv.unit'), t('trends.csv.mean'), t('trends.csv.min'), t('trends.csv.max'), t('trends.csv.quality')];
    const rows: (string | number)[][] = [];
    for (const id of selected) {
      const tag = catalogue?.byId.get(id);
      for (const p of series.get(id)?.points ?? []) {
        rows.push([formatDateTimeWithZone(new Date(p.ts)), id, tagDisplayName(tag, id, lang), tag?.unit ?? '', p.mean, p.min, p.max, String(p.q)]);
      }
    }
    downloadCsv(`trends-${fileStamp(new Date())}.csv`, toCsv(header, rows));
  }

  const hasPoints = [...series.values()].some((s) => s.points.length > 0);

  return (
    <div className="trends" data-testid="trends" data-load={load.kind} data-zoomed={zoom !== null} data-from={window_.from} data-to={window_.to}>
      <div className="trends__controls">
        <label className="field field--wide">
          <span className="field__label">{t('trends.search')}</span>
          <input
            className="field__input"
            data-testid="trend-search"
            value={query}
            placeholder={t('trends.search.placeholder')}
            spellCheck={false}
            autoCapitalize="none"
            onChange={(e) => setQuery(e.target.value)}
          />
        </label>
        <div className="trends__ranges" role="group" aria-label={t('trends.range')}>
          {TREND_RANGES.map((r) => (
            <button
              key={r.key}
              type="button"
              className="button"
              data-testid={`range-${r.key}`}
              aria-pressed={zoom === null && range === r.key}
              onClick={() => {
                setZoom(null);
                setRange(r.key);
              }}
            >
              {t(`trends.range.${r.key}`)}
            </button>
          ))}
        </div>
        <div className="trends__buttons">
          <button type="button" className="button" data-testid="trend-reload" disabled={selected.length === 0 || load.kind === 'loading'} onClick={() => setReloadCount((n) => n + 1)}>
            {t('trends.reload')}
          </button>
          <button type="button" className="button" data-testid="trend-zoom-reset" disabled={zoom === null} onClick={() => setZoom(null)}>
            <span aria-hidden="true">⤢ </span>
            {t('trends.zoom.reset')}
          </button>
          <button type="button" className="button" data-testid="trend-export" disabled={!hasPoints} onClick={exportCsv}>
            {t('trends.export')}
          </button>
        </div>
      </div>

      {query.trim() !== '' && (
        <ul className="trends__matches" data-testid="trend-matches" aria-label={t('trends.matches')}>
          {found.length === 0 && <li className="trends__none">{t('trends.noMatch')}</li>}
          {found.map((tag) => (
            <li key={tag.id}>
              <button type="button" className="trends__match" data-testid={`trend-add-${tag.id}`} disabled={selected.length >= MAX_TREND_TAGS} onClick={() => add(tag.id)}>
                <span>{tagDisplayName(tag, tag.id, lang)}</span>
                <span className="alarms__sub">
                  {tag.id}
                  {tag.unit ? ` · ${tag.unit}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}

      <ul className="trends__selected" aria-label={t('trends.selected')}>
        {selected.map((id, i) => {
          const tag = catalogue?.byId.get(id);
          const s = series.get(id);
          return (
            <li
              key={id}
              className="trends__chip"
              data-testid="trend-series"
              data-id={id}
              data-history-points={s?.history ?? 0}
              data-points={s?.points.length ?? 0}
              style={{ borderColor: SERIES_COLOURS[i % SERIES_COLOURS.length] }}
            >
              <span className="trends__swatch" style={{ background: SERIES_COLOURS[i % SERIES_COLOURS.length] }} aria-hidden="true" />
              {tagDisplayName(tag, id, lang)} {tag?.unit ? `(${tag.unit})` : ''}
              <span className="alarms__sub">{t('trends.points', { history: s?.history ?? 0, total: s?.points.length ?? 0 })}</span>
              <button type="button" className="trends__remove" aria-label={t('trends.remove', { name: tagDisplayName(tag, id, lang) })} onClick={() => remove(id)}>
                ×
              </button>
            </li>
          );
        })}
        {selected.length >= MAX_TREND_TAGS && <li className="alarms__sub">{t('trends.max', { n: MAX_TREND_TAGS })}</li>}
      </ul>

      <p className="trends__status" data-testid="trend-status" role="status">
        {load.kind === 'idle' && t('trends.hint')}
        {load.kind === 'loading' && t('trends.loading')}
        {load.kind === 'error' && (
          <span className="journal__error" data-testid="trend-error">
            ✕ {load.text}
          </span>
        )}
        {load.kind === 'done' && zoom !== null && (
          <span data-testid="trend-zoomed">
            <span aria-hidden="true">🔍 </span>
            {t('trends.zoomed')}{' '}
          </span>
        )}
        {load.kind === 'done' &&
          t('trends.loaded', {
            from: formatDateTimeWithZone(new Date(window_.from)),
            to: formatDateTimeWithZone(new Date(window_.to)),
            interval: load.intervalMs >= 60_000 ? `${Math.round(load.intervalMs / 60_000)} min` : `${Math.max(1, Math.round(load.intervalMs / 1000))} s`,
          })}
      </p>

      {selected.length > 0 && <p className="trends__zoom-hint">{t('trends.zoom.hint')}</p>}
      {selected.length > 0 && (
        <div
          className="trends__chart"
          data-testid="trend-chart"
          ref={chartBox}
          onPointerDown={(event) => {
            if (event.button !== 0) return;
            const at = timeAt(event.clientX);
            if (at === null) return;
            event.currentTarget.setPointerCapture(event.pointerId);
            setDrag({ start: at, end: at });
          }}
          onPointerMove={(event) => {
            if (drag) setDrag({ start: drag.start, end: clampTime(event.clientX) });
          }}
          onPointerUp={endDrag}
          onPointerCancel={() => setDrag(null)}
        >
          <ResponsiveContainer width="100%" height="100%" minHeight={240}>
            <LineChart margin={{ top: 10, right: 16, bottom: 10, left: 8 }}>
              <PlotAreaProbe into={plotBox} />
              <CartesianGrid stroke="#2b3846" strokeDasharray="3 3" />
              <XAxis
                dataKey="ts"
                type="number"
                scale="time"
                domain={[window_.from, window_.to]}
                allowDataOverflow
                tickFormatter={tickFormatter(spanMs)}
                stroke="#9fb0c0"
                minTickGap={40}
              />
              {units.map((unit, i) => (
                <YAxis
                  key={`axis-${unit}`}
                  yAxisId={unit}
                  orientation={i % 2 === 0 ? 'left' : 'right'}
                  stroke="#9fb0c0"
                  width={64}
                  domain={['auto', 'auto']}
                  label={{ value: unit, angle: -90, position: i % 2 === 0 ? 'insideLeft' : 'insideRight', fill: '#9fb0c0' }}
                />
              ))}
              <Tooltip
                labelFormatter={(label) => (typeof label === 'number' ? formatDateTimeWithZone(new Date(label)) : String(label))}
                contentStyle={{ background: '#121a23', border: '1px solid #2b3846' }}
              />
              <Legend />
              {selected.map((id, i) => {
                const tag = catalogue?.byId.get(id);
                return (
                  <Line
                    key={id}
                    data={series.get(id)?.points ?? []}
                    dataKey="mean"
                    name={`${tagDisplayName(tag, id, lang)}${tag?.unit ? ` (${tag.unit})` : ''}`}
                    yAxisId={tag?.unit ?? ''}
                    stroke={SERIES_COLOURS[i % SERIES_COLOURS.length]}
                    dot={false}
                    strokeWidth={2}
                    isAnimationActive={false}
                    connectNulls={false}
                  />
                );
              })}
              {selected.flatMap((id) => {
                const tag = catalogue?.byId.get(id);
                const limits = tag?.limits;
                if (!limits) return [];
                return (['hh', 'h', 'l', 'll'] as const).flatMap((key) => {
                  const y = limits[key];
                  return y === undefined
                    ? []
                    : [
                        <ReferenceLine
                          key={`${id}-${key}`}
                          yAxisId={tag.unit}
                          y={y}
                          ifOverflow="extendDomain"
                          stroke="#9fb0c0"
                          strokeDasharray={key === 'hh' || key === 'll' ? '2 2' : '6 4'}
                          label={{ value: `${key.toUpperCase()} ${y}${tag.unit ? ` ${tag.unit}` : ''}`, fill: '#c9d1d9', fontSize: 11, position: 'insideTopRight' }}
                        />,
                      ];
                });
              })}
              {drag && units[0] !== undefined && (
                <ReferenceArea
                  yAxisId={units[0]}
                  x1={Math.min(drag.start, drag.end)}
                  x2={Math.max(drag.start, drag.end)}
                  ifOverflow="hidden"
                  fill="#9fb0c0"
                  fillOpacity={0.2}
                  stroke="#c9d1d9"
                  strokeDasharray="3 3"
                />
              )}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </div>
  );
}
