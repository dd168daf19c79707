import { useEffect, useMemo, useRef, useState, type PointerEvent as ReactPointerEvent } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import { fetchHazardZone, fetchParkMap, type HazardZone, type MapPoint, type ParkMapAnswer, type Polygon, type SpillSize } from '../../../shared/api/emergency';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import { useCatalogue, useTagLive } from '../../../shared/live/live-instance';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// A plain SVG site plan (no tiles: the park may have no internet) with the
// first-30-minute hazard zone of `GET /api/hazard-zone`: the release point,
// the isolation circle, the downwind protective-action sector, the wind
// arrow, and every registered place inside the zone, labelled. Refreshed
// every 10 s. Plan coordinates are local metres (x east, y north); the SVG
// draws y = -north so north is up. Zoom and pan with buttons, the wheel, a
// drag or two fingers.
//
// Beneath the zone, the whole site plan of `GET /api/park-map` (site
// fences, roads at their width, buildings, tanks, every registered place and
// the weather station) in calm greys, so the zone is read against the
// ground. Without a plan (none configured, or not reachable) the zone is
// drawn alone, as before.

export const ZONE_REFRESH_MS = 10_000;
const ZOOM_STEP = 1.5;
const MAX_ZOOM = 20;
const MIN_ZOOM = 0.1;

type ZoneState = { value: HazardZone | null; error: string | null; at: number | null };

/** The plan does not change while the server runs: fetched once per page. */
let planRequest: Promise<ParkMapAnswer | null> | null = null;

function useSitePlan(): ParkMapAnswer | null {
  const [plan, setPlan] = useState<ParkMapAnswer | null>(null);
  useEffect(() => {
    let live = true;
    planRequest ??= fetchParkMap().catch(() => {
      // No plan (none configured, or the server unreachable): the zone is drawn alone; ask again next time.
      planRequest = null;
      return null;
    });
    void planRequest.then((answer) => {
      if (live) setPlan(answer);
    });
    return () => {
      live = false;
    };
  }, []);
  return plan;
}


function useHazardZone(hazardSource: string, spill: SpillSize, card: string | undefined): ZoneState {
  const [state, setState] = useState<ZoneState>({ value: null, error: null, at: null });
  const { t } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    setState({ value: null, error: null, at: null });
    const poll = async (): Promise<void> => {
      try {
        const value = await fetchHazardZone(hazardSource, spill, card, controller.signal);
        if (controller.signal.aborted) return;
        setState({ value, error: null, at: Date.now() });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, error: apiErrorText(tRef.current, error) }));
      }
      timer = setTimeout(() => void poll(), ZONE_REFRESH_MS);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [hazardSource, spill, card]);
  return state;
}

/** The wind reading's own time, from the live values of the weather station (the zone answer does not carry it). */
function useWindReadingTs(): number | null {
  const catalogue = useCatalogue();
  const id = useMemo(() => catalogue?.tags.find((tag) => tag.id.endsWith('.wind_direction'))?.id ?? 'park.weather.wind_direction', [catalogue]);
  const live = useTagLive(id);
  return live.reading?.ts ?? null;
}

const svgPoints = (polygon: Polygon): string => polygon.map(([x, y]) => `${round(x)},${round(-y)}`).join(' ');
const round = (n: number): number => Math.round(n * 10) / 10;

interface View {
  cx: number;
  cy: number;
  zoom: number;
}

function niceLength(m: number): number {
  const p = 10 ** Math.floor(Math.log10(m));
  for (const f of [5, 2, 1]) if (f * p <= m) return f * p;
  return p;
}

/** How far from the release the first view follows the plume contours, metres. */
const PLUME_VIEW_M = 1500;

const KIND_SYMBOL: Record<string, string> = { assembly: '⚑', gate: '⛩', installation: '▣', sensitive: '⌂', rescue: '✚' };

export function ParkMap({ hazardSource, card, assemblyPoint }: { hazardSource: string; card?: string; assemblyPoint: MapPoint | null }) {
  const { t, lang } = useI18n();
  const [spill, setSpill] = useState<SpillSize>('small');
  const zone = useHazardZone(hazardSource, spill, card);
  const windTs = useWindReadingTs();
  const plan = useSitePlan();
  const z = zone.value;

  // The extent: the zones, the places inside, the assembly point; 15 % margin.
  const extent = useMemo(() => {
    if (!z) return null;
    const xs: number[] = [z.release.x];
    const ys: number[] = [z.release.y];
    const add = (x: number, y: number): void => {
      xs.push(x);
      ys.push(y);
    };
    for (const [x, y] of z.isolation.polygon) add(x, y);
    for (const [x, y] of z.protectiveAction?.polygon ?? []) add(x, y);
    // A level-1 contour can run for kilometres: the first view keeps to the
    // nearest PLUME_VIEW_M so the site stays readable; zooming out shows the rest.
    for (const c of z.plume?.contours ?? []) {
      for (const [x, y] of c.polygon) {
        const d = Math.hypot(x - z.release.x, y - z.release.y);
        const k = d > PLUME_VIEW_M ? PLUME_VIEW_M / d : 1;
        add(z.release.x + (x - z.release.x) * k, z.release.y + (y - z.release.y) * k);
      }
    }
    if (assemblyPoint) add(assemblyPoint.x, assemblyPoint.y);
    const minX = Math.min(...xs);
    const maxX = Math.max(...xs);
    const minY = Math.min(...ys);
    const maxY = Math.max(...ys);
    const size = Math.max(maxX - minX, maxY - minY, 200) * 1.3;
    return { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, size };
  }, [z, assemblyPoint]);

  const [view, setView] = useState<View | null>(null);
  // A new extent (spill size, wind) resets the view only when none is set yet.
  const shown: View | null = view ?? (extent ? { cx: extent.cx, cy: extent.cy, zoom: 1 } : null);
  const size = extent ? extent.size / (shown?.zoom ?? 1) : 0;

  const svgRef = useRef<SVGSVGElement | null>(null);
  const drag = useRef<Map<number, { x: number; y: number }>>(new Map());
  const pinch = useRef<number | null>(null);

  const zoomBy = (factor: number): void => {
    if (!shown) return;
    setView({ ...shown, zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, shown.zoom * factor)) });
  };
  const panBy = (dxFrac: number, dyFrac: number): void => {
    if (!shown) return;
    setView({ ...shown, cx: shown.cx + dxFrac * size, cy: shown.cy + dyFrac * size });
  };

  // Wheel zoom: a native listener, since React's wheel listener is passive and cannot stop the page scrolling.
  useEffect(() => {
    const el = svgRef.current;
    if (!el) return;
    const onWheel = (event: WheelEvent): void => {
      event.preventDefault();
      setView((v) => {
        const base = v ?? (extent ? { cx: extent.cx, cy: extent.cy, zoom: 1 } : null);
        if (!base) return v;
        const factor = event.deltaY < 0 ? 1.2 : 1 / 1.2;
        return { ...base, zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, base.zoom * factor)) };
      });
    };
    el.addEventListener('wheel', onWheel, { passive: false });
    return () => el.removeEventListener('wheel', onWheel);
  }, [extent]);

  const metresPerPixel = (): number => {
    const width = svgRef.current?.getBoundingClientRect().width ?? 1;
    return size / Math.max(1, width);
  };
  const onPointerDown = (event: ReactPointerEvent<SVGSVGElement>): void => {
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current.set(event.pointerId, { x: event.clientX, y: event.clientY });
    pinch.current = null;
  };
  const onPointerMove = (event: ReactPointerEvent<SVGSVGElement>): void => {
    const previous = drag.current.get(event.pointerId);
    if (!previous || !shown) return;
    drag.current.set(event.pointerId, { x: event.clientX, y: event.clientY });
    if (drag.current.size === 2) {
      const [a, b] = [...drag.current.values()] as [{ x: number; y: number }, { x: number; y: number }];
      const distance = Math.hypot(a.x - b.x, a.y - b.y);
      if (pinch.current !== null && pinch.current > 0) {
        const factor = distance / pinch.current;
        setView({ ...shown, zoom: Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, shown.zoom * factor)) });
      }
      pinch.current = distance;
      return;
    }
    const mpp = metresPerPixel();
    setView({ ...shown, cx: shown.cx - (event.clientX - previous.x) * mpp, cy: shown.cy + (event.clientY - previous.y) * mpp });
  };
  const onPointerUp = (event: ReactPointerEvent<SVGSVGElement>): void => {
    drag.current.delete(event.pointerId);
    pinch.current = null;
  };

  const font = size / 26;
  const scale = niceLength(size / 4);
  const windFrom = z?.wind.fromDeg;
  const downwind = z?.wind.downwindDeg ?? null;
  const assemblyInside = assemblyPoint ? z?.inside.some((p) => p.id === assemblyPoint.id) : false;

  return (
    <div className="park-map" data-testid="park-map" data-state={z ? 'ok' : zone.error ? 'error' : 'loading'} data-spill={spill}>
      <p className="park-map__guidance">
        <span aria-hidden="true">ⓘ </span>
        {t('map.guidance')}
      </p>
      {z && !z.verified && (
        <p className="not-verified" data-testid="zone-not-verified">
          <span className="not-verified__badge">⚠ {t('incident.notVerified')}</span> {t('incident.notVerified.zone')}
        </p>
      )}
      <div className="park-map__controls" role="group" aria-label={t('map.spill')}>
        {(['small', 'large'] as const).map((s) => (
          <button key={s} type="button" className={`button button--touch${spill === s ? ' button--primary' : ''}`} aria-pressed={spill === s} data-testid={`map-spill-${s}`} onClick={() => setSpill(s)}>
            {t(s === 'small' ? 'map.spill.small' : 'map.spill.large')}
          </button>
        ))}
      </div>
      {zone.error !== null && (
        <p className="command__error" role="alert" data-testid="map-error">
          <span aria-hidden="true">✕ </span>
          {z && zone.at !== null ? t('map.stale', { time: formatDateTimeWithZone(new Date(zone.at)) }) + ' · ' : ''}
          {t('map.error', { error: zone.error })}
        </p>
      )}
      {!z && zone.error === null && <p className="command__none">{t('map.loading')}</p>}
      {z && shown && extent && (
        <>
          <div className="park-map__frame">
            <svg
              ref={svgRef}
              className="park-map__svg"
              data-testid="park-map-svg"
              role="img"
              aria-label={t('map.svgLabel')}
              viewBox={`${round(shown.cx - size / 2)} ${round(-shown.cy - size / 2)} ${round(size)} ${round(size)}`}
              data-zoom={shown.zoom}
              onPointerDown={onPointerDown}
              onPointerMove={onPointerMove}
              onPointerUp={onPointerUp}
              onPointerCancel={onPointerUp}
            >
              {plan && <SitePlanLayer plan={plan} font={font} lang={lang} skip={new Set([z.release.id, ...z.inside.map((p) => p.id), ...(assemblyPoint && !assemblyInside ? [assemblyPoint.id] : [])])} />}
              {z.protectiveAction && (
                <polygon
                  className="park-map__protective"
                  data-testid="map-protective"
                  data-shape={z.protectiveAction.shape}
                  data-downwind-deg={z.protectiveAction.downwindDeg ?? ''}
                  data-distance-m={z.protectiveAction.distanceM}
                  points={svgPoints(z.protectiveAction.polygon)}
                />
              )}
              {[...(z.plume?.contours ?? [])]
                .filter((c) => c.reached && c.polygon.length > 2)
                .sort((a, b) => a.level - b.level)
                .map((c) => (
                  <polygon
                    key={c.level}
                    className={`park-map__plume park-map__plume--l${c.level}`}
                    data-testid={`map-plume-l${c.level}`}
                    data-distance-m={Math.round(c.distanceM)}
                    data-threshold={c.thresholdMgM3}
                    points={svgPoints(c.polygon)}
                  />
                ))}
              <polygon className="park-map__isolation" data-testid="map-isolation" data-radius-m={z.isolation.radiusM} points={svgPoints(z.isolation.polygon)} />
              {downwind !== null && (
                <g data-testid="map-wind-arrow" data-to-deg={downwind} transform={`translate(${round(z.release.x)} ${round(-z.release.y)}) rotate(${downwind})`}>
                  <line className="park-map__wind" x1={0} y1={0} x2={0} y2={-size / 5} />
                  <polygon className="park-map__wind-head" points={`0,${-size / 5 - font} ${-font / 2},${-size / 5} ${font / 2},${-size / 5}`} />
                </g>
              )}
              <circle className="park-map__release" data-testid="map-release" cx={round(z.release.x)} cy={round(-z.release.y)} r={font / 2} />
              <text className="park-map__label park-map__label--release" x={z.release.x + font * 0.7} y={-z.release.y + font * 0.35} fontSize={font}>
                {t('map.release')}
              </text>
              {z.inside.map((p) => (
                <MapMark key={p.id} id={p.id} kind={p.kind} x={z.release.x + p.distanceM * Math.sin((p.bearingDeg * Math.PI) / 180)} y={z.release.y + p.distanceM * Math.cos((p.bearingDeg * Math.PI) / 180)} label={p.name[lang]} zone={p.zone} font={font} />
              ))}
              {assemblyPoint && !assemblyInside && <MapMark id={assemblyPoint.id} kind="assembly" x={assemblyPoint.x} y={assemblyPoint.y} label={assemblyPoint.name[lang]} zone={null} font={font} />}
              <g className="park-map__north" transform={`translate(${round(shown.cx + size / 2 - font * 1.5)} ${round(-shown.cy - size / 2 + font * 2)})`}>
                <polygon points={`0,${-font} ${-font / 2},${font / 2} ${font / 2},${font / 2}`} />
                <text y={font * 1.6} fontSize={font} textAnchor="middle">
                  {t('map.north')}
                </text>
              </g>
              <g className="park-map__scale" transform={`translate(${round(shown.cx - size / 2 + font)} ${round(-shown.cy + size / 2 - font)})`}>
                <line x1={0} y1={0} x2={scale} y2={0} />
                <text x={0} y={-font / 3} fontSize={font}>
                  {scale} m
                </text>
              </g>
            </svg>
          </div>
          <div className="park-map__controls" role="group" aria-label={t('map.pan')}>
            <button type="button" className="button button--touch" data-testid="map-zoom-in" aria-label={t('map.zoomIn')} onClick={() => zoomBy(ZOOM_STEP)}>
              ＋
            </button>
            <button type="button" className="button button--touch" data-testid="map-zoom-out" aria-label={t('map.zoomOut')} onClick={() => zoomBy(1 / ZOOM_STEP)}>
              －
            </button>
            <button type="button" className="button button--touch" aria-label={`${t('map.pan')} ←`} onClick={() => panBy(-0.2, 0)}>
              ←
            </button>
            <button type="button" className="button button--touch" aria-label={`${t('map.pan')} ↑`} onClick={() => panBy(0, 0.2)}>
              ↑
            </button>
            <button type="button" className="button button--touch" aria-label={`${t('map.pan')} ↓`} onClick={() => panBy(0, -0.2)}>
              ↓
            </button>
            <button type="button" className="button button--touch" aria-label={`${t('map.pan')} →`} onClick={() => panBy(0.2, 0)}>
              →
            </button>
            <button type="button" className="button button--touch" data-testid="map-reset" onClick={() => setView(null)}>
              {t('map.reset')}
            </button>
          </div>
          <dl className="park-map__facts" data-testid="map-facts">
            <div data-testid="map-wind" data-from-deg={windFrom ?? ''} data-to-deg={downwind ?? ''} data-speed={z.wind.speedMs ?? ''}>
              <dt>
                <span aria-hidden="true" className="park-map__wind-symbol" style={downwind !== null ? { transform: `rotate(${downwind}deg)` } : undefined}>
                  ↑
                </span>
              </dt>
              <dd>
                {z.wind.speedMs !== undefined && windFrom !== undefined && downwind !== null
                  ? t('map.wind', { speed: z.wind.speedMs.toFixed(1), from: Math.round(windFrom), to: Math.round(downwind) })
                  : t('map.wind.none')}
                <br />
                <span data-testid="map-wind-time">{windTs !== null ? t('map.wind.time', { time: formatDateTimeWithZone(new Date(windTs)) }) : t('map.wind.timeUnknown')}</span>
              </dd>
            </div>
            <div>
              <dt>◯</dt>
              <dd>{t('map.isolation', { r: z.isolation.radiusM })}</dd>
            </div>
            <div>
              <dt>◔</dt>
              <dd>
                {z.protectiveAction
                  ? t('map.protective', { d: z.protectiveAction.distanceM, period: t(z.period === 'day' ? 'map.period.day' : 'map.period.night') })
                  : t('map.protective.none')}
              </dd>
            </div>
            <PlumeFacts zone={z} />
          </dl>
          {zone.at !== null && <p className="command__hint" data-testid="map-updated">{t('map.updated', { time: formatDateTimeWithZone(new Date(zone.at)) })}</p>}
          <h4 className="incident__subheading">{t('map.inside', { n: z.inside.length })}</h4>
          {z.inside.length === 0 ? (
            <p className="command__none">{t('map.inside.none')}</p>
          ) : (
            <ul className="park-map__inside" data-testid="map-inside">
              {z.inside.map((p) => (
                <li key={p.id} data-testid={`map-inside-${p.id}`} data-zone={p.zone} data-kind={p.kind}>
                  <strong>
                    <span aria-hidden="true">{KIND_SYMBOL[p.kind] ?? '•'} </span>
                    {p.name[lang]}
                  </strong>{' '}
                  <span className="park-map__zone-word" data-zone={p.zone}>
                    {p.zone === 'plume' ? t('map.zone.plume', { level: p.plumeLevel ?? '?' }) : t(p.zone === 'isolation' ? 'map.zone.isolation' : 'map.zone.protective-action')}
                  </span>{' '}
                  {p.concentrationMgM3 !== undefined && <>· {t('map.concentration', { c: formatConcentration(p.concentrationMgM3) })} </>}
                  · {kindWord(t, p.kind)} · {t('map.inside.row', { distance: Math.round(p.distanceM), bearing: Math.round(p.bearingDeg) })}
                  {p.people !== undefined && <> · {t('map.people', { n: p.people })}</>}
                </li>
              ))}
            </ul>
          )}
          {z.warnings.length > 0 && (
            <>
              <h4 className="incident__subheading">{t('map.warnings')}</h4>
              <ul className="park-map__warnings" data-testid="map-warnings">
                {z.warnings.map((w) => (
                  <li key={w}>⚠ {w}</li>
                ))}
              </ul>
            </>
          )}
          <details className="park-map__limits">
            <summary>{t('map.limits')}</summary>
            <p>{z.limits}</p>
            <p>{z.source}</p>
            {z.plume && (
              <ul data-testid="map-plume-limits">
                {z.plume.limits.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            )}
          </details>
        </>
      )}
    </div>
  );
}

const formatConcentration = (c: number): string => (c >= 100 ? String(Math.round(c)) : c >= 10 ? c.toFixed(1) : c.toPrecision(2));

/**
 * The plume's facts beside the map: it is guidance, so every input is shown
 * (rate and where it came from, stability class and where it came from) and
 * how far each contour reaches; without a plume, why not.
 */
function PlumeFacts({ zone }: { zone: HazardZone }) {
  const { t } = useI18n();
  const p = zone.plume;
  if (p === undefined) return null;
  if (p === null) {
    return (
      <div data-testid="map-plume" data-state="none">
        <dt>☁</dt>
        <dd>{t('map.plume.none', { reason: zone.plumeNotDrawn ?? '—' })}</dd>
      </div>
    );
  }
  const rateFrom = t(p.inputs.rateFrom === 'request' ? 'map.plume.rate.request' : 'map.plume.rate.trend');
  const stabilityFrom = t(p.inputs.stabilityFrom === 'request' ? 'map.plume.stability.request' : p.inputs.stabilityFrom === 'station' ? 'map.plume.stability.station' : 'map.plume.stability.table');
  return (
    <div data-testid="map-plume" data-state="drawn" data-rate-gs={Math.round(p.inputs.rateGs)} data-stability={p.inputs.stabilityClass}>
      <dt>☁</dt>
      <dd>
        <strong>{t('map.plume.guidance')}</strong>
        {!p.verified && <> · ⚠ {t('incident.notVerified')}</>}
        <br />
        {t('map.plume.inputs', { rate: Math.round(p.inputs.rateGs), rateFrom, cls: p.inputs.stabilityClass, stabilityFrom, h: p.inputs.releaseHeightM })}
        {p.contours.map((c) => (
          <span key={c.level} data-testid={`map-plume-fact-l${c.level}`}>
            <br />
            {c.reached
              ? t(c.beyondRange ? 'map.plume.contour.beyond' : 'map.plume.contour', { level: c.level, threshold: c.thresholdMgM3, d: Math.round(c.distanceM), basis: p.basis })
              : t('map.plume.contour.notReached', { level: c.level, threshold: c.thresholdMgM3 })}
          </span>
        ))}
      </dd>
    </div>
  );
}

function kindWord(t: I18n['t'], kind: string): string {
  switch (kind) {
    case 'assembly':
      return t('map.kind.assembly');
    case 'gate':
      return t('map.kind.gate');
    case 'installation':
      return t('map.kind.installation');
    case 'sensitive':
      return t('map.kind.sensitive');
    case 'rescue':
      return t('map.kind.rescue');
    default:
      return kind;
  }
}

/** The site plan in calm greys, beneath the zone; `skip`: places the zone layer draws itself. */
function SitePlanLayer({ plan, font, lang, skip }: { plan: ParkMapAnswer; font: number; lang: 'zh' | 'en'; skip: ReadonlySet<string> }) {
  const p = plan.plan;
  return (
    <g className="park-map__plan" data-testid="map-plan" data-sites={p.sites.length} data-buildings={p.buildings.length} data-tanks={p.tanks.length} data-roads={p.roads.length}>
      {p.sites.map((site) => (
        <polygon key={site.site} className="park-map__site" data-testid={`plan-site-${site.site}`} points={svgPoints(site.outline)} />
      ))}
      {p.roads.map((road) => (
        <polyline key={road.id} className="park-map__road" data-testid={`plan-road-${road.id}`} points={svgPoints(road.path)} strokeWidth={road.widthM}>
          {road.name && <title>{road.name[lang]}</title>}
        </polyline>
      ))}
      {p.buildings.map((b) => (
        <polygon key={b.id} className="park-map__building" data-testid={`plan-building-${b.id}`} points={svgPoints(b.outline)}>
          <title>{b.name?.[lang] ?? b.id}</title>
        </polygon>
      ))}
      {p.tanks.map((tank) => (
        <g key={tank.id} data-testid={`plan-tank-${tank.id}`} data-hazard-source={tank.hazardSource ?? ''}>
          <circle className="park-map__tank" cx={round(tank.x)} cy={round(-tank.y)} r={tank.r} />
          <text className="park-map__plan-label" x={round(tank.x)} y={round(-tank.y + font * 0.2)} fontSize={font * 0.55} textAnchor="middle">
            {tank.name?.[lang] ?? tank.id.toUpperCase()}
          </text>
        </g>
      ))}
      {plan.weather && (
        <g data-testid="plan-weather">
          <circle className="park-map__station" cx={round(plan.weather.x)} cy={round(-plan.weather.y)} r={font / 3} />
        </g>
      )}
      {plan.points
        .filter((point) => !skip.has(point.id))
        .map((point) => (
          <MapMark key={point.id} id={point.id} kind={point.kind} x={point.x} y={point.y} label={point.name[lang]} zone={null} font={font * 0.8} />
        ))}
    </g>
  );
}

function MapMark({ id, kind, x, y, label, zone, font }: { id: string; kind: string; x: number; y: number; label: string; zone: string | null; font: number }) {
  return (
    <g className="park-map__point" data-testid={`map-point-${id}`} data-kind={kind} data-zone={zone ?? 'outside'} data-x={round(x)} data-y={round(y)}>
      <rect x={round(x - font / 2)} y={round(-y - font / 2)} width={font} height={font} className={`park-map__mark park-map__mark--${kind}`} />
      <text className="park-map__label" x={round(x + font * 0.8)} y={round(-y + font * 0.35)} fontSize={font}>
        {(KIND_SYMBOL[kind] ?? '') + ' ' + label}
      </text>
    </g>
  );
}
