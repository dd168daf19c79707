import { memo, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { CatalogueTag } from '@park/protocol';
import { displayConfig } from '../../../shared/config/display-config';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { connectionStore, useCatalogue, useConnection, useLiveSummary } from '../../../shared/live/live-instance';
import type { Catalogue } from '../../../shared/live/live-store';
import { isLive, type ConnectionState } from '../../../shared/live/connection-store';
import { formatTimeWithZone } from '../../../shared/time/format';
import { groupTags, layoutRows, visibleRange, type RowMetrics, type WallRow } from '../wall-rows';
import { TagTile } from '../../../shared/tiles/tag-tile';

// The overview wall: every catalogue tag as a tile, grouped site → hazard
// source → equipment. Only the rows in view (plus a margin) are in the DOM,
// so 5,000 tags cost what 50 do; each tile subscribes to its own tag.

/** Tile and heading sizes in rem, kept in step with styles.css (.tile, .wall__heading--*). */
const TILE_MIN_WIDTH_REM = 11;
const TILE_HEIGHT_REM = 6.6;
const GAP_REM = 0.4;
const SITE_HEADING_REM = 2.4;
const HAZARD_HEADING_REM = 2;
const EQUIPMENT_HEADING_REM = 1.7;
/** Rendered above and below the visible area, so a quick scroll shows no gap. */
const OVERSCAN_PX = 600;

function remPx(): number {
  const px = parseFloat(getComputedStyle(document.documentElement).fontSize);
  return Number.isFinite(px) && px > 0 ? px : 16;
}

interface Viewport {
  readonly width: number;
  readonly height: number;
  readonly rem: number;
}

function metricsFor(rem: number): RowMetrics {
  return {
    site: Math.round(SITE_HEADING_REM * rem),
    hazard: Math.round(HAZARD_HEADING_REM * rem),
    equipment: Math.round(EQUIPMENT_HEADING_REM * rem),
    tiles: Math.round((TILE_HEIGHT_REM + GAP_REM) * rem),
  };
}

function columnsFor(viewport: Viewport): number {
  const gap = GAP_REM * viewport.rem;
  return Math.max(1, Math.floor((viewport.width + gap) / (TILE_MIN_WIDTH_REM * viewport.rem + gap)));
}

function Summary() {
  const { t } = useI18n();
  const s = useLiveSummary();
  const items = [
    { key: 'outer', n: s.beyondOuter, symbol: '⇈', text: t('summary.outer', { n: s.beyondOuter }) },
    { key: 'inner', n: s.beyondInner, symbol: '↑', text: t('summary.inner', { n: s.beyondInner }) },
    { key: 'bad', n: s.bad, symbol: '✕', text: t('summary.bad', { n: s.bad }) },
    { key: 'uncertain', n: s.uncertain, symbol: '?', text: t('summary.uncertain', { n: s.uncertain }) },
    { key: 'stale', n: s.stale, symbol: '⏱', text: t('summary.stale', { n: s.stale }) },
    { key: 'no-data', n: s.noData, symbol: '…', text: t('summary.noData', { n: s.noData }) },
  ];
  return (
    <ul className="wall__summary" aria-label={t('summary.label')} data-testid="wall-summary">
      <li className="wall__count" data-kind="total">
        {t('summary.total', { n: s.total })}
      </li>
      {items.map((item) => (
        <li key={item.key} className="wall__count" data-kind={item.key} data-nonzero={item.n > 0}>
          <span aria-hidden="true">{item.symbol} </span>
          {item.text}
        </li>
      ))}
    </ul>
  );
}

function NotLiveBanner({ state }: { state: ConnectionState }) {
  const { t } = useI18n();
  if (isLive(state)) return null;
  const since = state.kind === 'reconnecting' || state.kind === 'disconnected' ? t('conn.since', { time: formatTimeWithZone(new Date(state.sinceWallMs)) }) : t('conn.connecting');
  const lastMs = connectionStore.lastMessageWallMs();
  const last = lastMs === null ? t('wall.never') : formatTimeWithZone(new Date(lastMs));
  return (
    <div className="wall__not-live" role="alert" data-testid="wall-not-live">
      <strong>
        <span aria-hidden="true">⚠ </span>
        {t('wall.notLive')}
      </strong>{' '}
      {t('wall.notLive.detail', { since, last })}
    </div>
  );
}

const Heading = memo(function Heading({ row, catalogue }: { row: Exclude<WallRow, { kind: 'tiles' }>; catalogue: Catalogue }) {
  const { t, lang } = useI18n();
  let label: string;
  switch (row.kind) {
    case 'site': {
      const name = row.id === undefined ? undefined : catalogue.siteNames.get(row.id)?.[lang];
      label = row.id === undefined ? t('wall.noSite') : name ? t('wall.siteNamed', { name, id: row.id }) : t('wall.site', { id: row.id });
      break;
    }
    case 'hazard': {
      const name = row.id === undefined ? undefined : catalogue.hazardNames.get(row.id)?.[lang];
      label = row.id === undefined ? t('wall.noHazardSource') : name ? t('wall.hazardSourceNamed', { name, id: row.id }) : t('wall.hazardSource', { id: row.id });
      break;
    }
    case 'equipment':
      label = row.id === undefined ? t('wall.noEquipment') : t('wall.equipment', { id: row.id });
      break;
  }
  const Tag = row.kind === 'site' ? 'h3' : row.kind === 'hazard' ? 'h4' : 'h5';
  return (
    <Tag className={`wall__heading wall__heading--${row.kind}`} data-testid={`group-${row.kind}`} data-group-id={row.id ?? ''}>
      {label}
      <span className="wall__heading-count">{t('wall.count', { n: row.count })}</span>
    </Tag>
  );
});

const TilesRow = memo(function TilesRow({ tags, columns }: { tags: readonly CatalogueTag[]; columns: number }) {
  return (
    <div className="wall__tiles" style={{ gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))` }}>
      {tags.map((tag) => (
        <TagTile key={tag.id} tag={tag} />
      ))}
    </div>
  );
});

export function OverviewWall() {
  const { t } = useI18n();
  const catalogue = useCatalogue();
  const connection = useConnection();
  const live = isLive(connection);
  const scroller = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState<Viewport>({ width: 0, height: 0, rem: 16 });
  const [range, setRange] = useState({ start: 0, end: 0 });

  useLayoutEffect(() => {
    const element = scroller.current;
    if (!element) return;
    const measure = (): void => {
      const next = { width: element.clientWidth, height: element.clientHeight, rem: remPx() };
      setViewport((current) => (current.width === next.width && current.height === next.height && current.rem === next.rem ? current : next));
    };
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    return () => observer.disconnect();
  }, [catalogue === null]);

  const groups = useMemo(() => (catalogue ? groupTags(catalogue.tags) : []), [catalogue]);
  const columns = columnsFor(viewport);
  const layout = useMemo(() => layoutRows(groups, columns, metricsFor(viewport.rem)), [groups, columns, viewport.rem]);

  const updateRange = useCallback(() => {
    const element = scroller.current;
    if (!element) return;
    const top = element.scrollTop;
    const next = visibleRange(layout.rows, top - OVERSCAN_PX, top + element.clientHeight + OVERSCAN_PX);
    setRange((current) => (current.start === next.start && current.end === next.end ? current : next));
  }, [layout]);

  useEffect(updateRange, [updateRange, viewport]);

  if (!catalogue) {
    return (
      <div className="wall" data-testid="overview-wall" data-live={live} data-ready="false">
        <NotLiveBanner state={connection} />
        <p className="wall__loading">{t('wall.loading')}</p>
      </div>
    );
  }

  const visible = layout.rows.slice(range.start, range.end);
  return (
    <div className="wall" data-testid="overview-wall" data-live={live} data-ready="true" data-columns={columns}>
      <NotLiveBanner state={connection} />
      <Summary />
      <p className="wall__note">
        <span aria-hidden="true">ⓘ </span>
        {t('wall.derivedNote')} · {t('wall.staleAfter', { seconds: displayConfig.staleAfterMs / 1000 })}
      </p>
      {catalogue.tags.length === 0 && <p className="wall__loading">{t('wall.empty')}</p>}
      <div className="wall__scroller" ref={scroller} onScroll={updateRange} tabIndex={0} role="region" aria-label={t('wall.region')} data-testid="wall-scroller">
        <div className="wall__canvas" style={{ height: layout.height }}>
          {visible.map((row) => (
            <div key={row.key} className="wall__row" style={{ transform: `translateY(${row.top}px)`, height: row.height }}>
              {row.kind === 'tiles' ? <TilesRow tags={row.tags} columns={columns} /> : <Heading row={row} catalogue={catalogue} />}
            </div>
          ))}
        </div>
      </div>
    </div>
  );
}
