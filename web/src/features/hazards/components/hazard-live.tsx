import { useEffect, useMemo, useReducer } from 'react';
import type { AlarmEvent, CatalogueTag } from '@park/protocol';
import { alarmText, PRIORITY_KEY, PRIORITY_SYMBOL, STATE_KEY, STATE_SYMBOL } from '../../../shared/alarms/alarm-words';
import { FirstOutBadge } from '../../../shared/alarms/first-out-badge';
import type { HazardUnitAnswer, ItemTerm } from '../../../shared/api/hazards';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { isAnnunciated, priorityRank } from '../../../shared/live/alarm-store';
import { isLive } from '../../../shared/live/connection-store';
import { liveStore, useAlarmList, useCatalogue, useConnection, useTagLive } from '../../../shared/live/live-instance';
import { decimalsFor, formatNumber } from '../../../shared/live/tag-status';
import { formatDateTimeWithZone } from '../../../shared/time/format';
import { TagTile, tagName } from '../../../shared/tiles/tag-tile';

// A major hazard installation as it is now, above its GB 18218 calculation:
// its active alarms (priority colour with symbol and word), its inventory
// items (substance, design maximum quantity q, each vessel and the live tags
// measuring it, and the measured total against q) and every live point of
// the installation as wall tiles. The register gives the design data; the
// live store and the alarm store give the values, so the page follows the
// socket like the wall does.

/** Re-renders when any of the tags changes (a handful: one item's measuring tags). */
function useTagsChanged(ids: readonly string[]): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const key = ids.join(',');
  useEffect(() => {
    const stops = key === '' ? [] : key.split(',').map((id) => liveStore.subscribeTag(id, bump));
    return () => {
      for (const stop of stops) stop();
    };
  }, [key]);
}

export function HazardLive({ unit }: { unit: HazardUnitAnswer }) {
  const { t } = useI18n();
  const catalogue = useCatalogue();
  const connection = useConnection();
  const live = isLive(connection);
  const tags = useMemo(() => (catalogue?.tags ?? []).filter((tag) => tag.hazardSource === unit.id), [catalogue, unit.id]);

  return (
    <div className="hazard-live" data-testid="hazard-live" data-live={live}>
      {!live && (
        <p className="gateways__not-live" role="status">
          <span aria-hidden="true">⚠ </span>
          {t('wall.notLive')}
        </p>
      )}
      <HazardAlarms unitId={unit.id} />
      <Inventory unit={unit} />
      <section className="hazard-live__section" aria-labelledby="hazard-values-title" data-testid="hazard-values">
        <h4 id="hazard-values-title">{t('hazards.live.values', { n: tags.length })}</h4>
        {!catalogue ? (
          <p className="layout__message">{t('wall.loading')}</p>
        ) : (
          <div className="hazard-live__tiles">
            {tags.map((tag) => (
              <TagTile key={tag.id} tag={tag} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}

function HazardAlarms({ unitId }: { unitId: string }) {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const alarms = useAlarmList();
  const mine = useMemo(
    () =>
      alarms
        .filter((a) => catalogue?.byId.get(a.tagId)?.hazardSource === unitId)
        .sort((a, b) => Number(isAnnunciated(b.state)) - Number(isAnnunciated(a.state)) || priorityRank(a.priority) - priorityRank(b.priority) || b.raisedAt - a.raisedAt),
    [alarms, catalogue, unitId],
  );
  return (
    <section className="hazard-live__section" aria-labelledby="hazard-alarms-title" data-testid="hazard-alarms" data-count={mine.length}>
      <h4 id="hazard-alarms-title">{t('hazards.live.alarms', { n: mine.length })}</h4>
      {mine.length === 0 ? (
        <p className="hazard-live__quiet" data-testid="hazard-alarms-none">
          <span aria-hidden="true">✓ </span>
          {t('hazards.live.noAlarms')}
        </p>
      ) : (
        <ul className="hazard-live__alarms">
          {mine.map((alarm: AlarmEvent) => (
            <li key={alarm.id} className="hazard-live__alarm" data-testid={`hazard-alarm-${alarm.id}`} data-priority={alarm.priority} data-state={alarm.state}>
              <span className="prio-badge" data-priority={alarm.priority}>
                <span aria-hidden="true">{PRIORITY_SYMBOL[alarm.priority]} </span>
                {t(PRIORITY_KEY[alarm.priority])}
              </span>
              <FirstOutBadge alarm={alarm} />
              <span className="hazard-live__alarm-state">
                <span aria-hidden="true">{STATE_SYMBOL[alarm.state]} </span>
                {t(STATE_KEY[alarm.state])}
              </span>
              <span className="hazard-live__alarm-text">{alarmText(t, lang, alarm, catalogue)}</span>
              <time className="hazard-live__alarm-time" dateTime={new Date(alarm.raisedAt).toISOString()}>
                {formatDateTimeWithZone(new Date(alarm.raisedAt))}
              </time>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

interface VesselTags {
  readonly vessel: string;
  readonly tagIds: string[];
}

function Inventory({ unit }: { unit: HazardUnitAnswer }) {
  const { t } = useI18n();
  const byItem = useMemo(() => {
    const map = new Map<string, VesselTags[]>();
    for (const tag of unit.tags ?? []) {
      let vessels = map.get(tag.item);
      if (!vessels) map.set(tag.item, (vessels = []));
      let vessel = vessels.find((v) => v.vessel === tag.vessel);
      if (!vessel) vessels.push((vessel = { vessel: tag.vessel, tagIds: [] }));
      vessel.tagIds.push(tag.id);
    }
    return map;
  }, [unit.tags]);
  return (
    <section className="hazard-live__section" aria-labelledby="hazard-inventory-title" data-testid="hazard-inventory">
      <h4 id="hazard-inventory-title">{t('hazards.live.inventory')}</h4>
      {unit.calculation.terms.map((term) => (
        <InventoryItem key={term.id} term={term} vessels={byItem.get(term.id) ?? []} />
      ))}
    </section>
  );
}

function InventoryItem({ term, vessels }: { term: ItemTerm; vessels: readonly VesselTags[] }) {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const allIds = useMemo(() => vessels.flatMap((v) => v.tagIds), [vessels]);
  useTagsChanged(allIds);

  // The measured total: each vessel's inventory tag (unit t), when every vessel has a usable one.
  let total = 0;
  let measured = 0;
  for (const vessel of vessels) {
    const id = vessel.tagIds.find((tagId) => catalogue?.byId.get(tagId)?.unit === 't');
    const reading = id === undefined ? null : liveStore.getTag(id).reading;
    if (reading && reading.q !== 'bad') {
      total += reading.v;
      measured++;
    }
  }
  const complete = vessels.length > 0 && measured === vessels.length;
  const share = term.q.value > 0 ? (total / term.q.value) * 100 : null;

  return (
    <div className="hazard-item" data-testid={`hazard-item-${term.id}`}>
      <p className="hazard-item__head">
        <strong>{term.substance.name[lang]}</strong>
        {term.substance.cas.length > 0 && <span className="alarms__sub"> CAS {term.substance.cas.join(', ')}</span>}
        <span data-testid="hazard-item-design"> · {t('hazards.live.designMax', { q: term.q.text })}</span>
      </p>
      <p className="hazard-item__total" data-testid="hazard-item-total" data-complete={complete} data-total={complete ? total.toFixed(3) : ''}>
        {measured === 0
          ? t('hazards.live.totalNone')
          : complete
            ? t('hazards.live.total', { total: formatNumber(total, 2), share: share === null ? '—' : formatNumber(share, 1) })
            : t('hazards.live.totalPartial', { total: formatNumber(total, 2), measured, vessels: vessels.length })}
      </p>
      {vessels.length > 0 && (
        <div className="hazards__table-wrap">
          <table className="kpi-table">
            <thead>
              <tr>
                <th scope="col">{t('hazards.col.vessel')}</th>
                <th scope="col">{t('hazards.live.col.tag')}</th>
                <th scope="col">{t('hazards.live.col.value')}</th>
                <th scope="col">{t('hazards.live.col.time')}</th>
              </tr>
            </thead>
            <tbody>
              {vessels.flatMap((vessel) =>
                vessel.tagIds.map((id, i) => (
                  <tr key={id} data-testid={`hazard-measure-${id}`}>
                    {i === 0 && (
                      <th scope="rowgroup" rowSpan={vessel.tagIds.length}>
                        {vessel.vessel.toUpperCase()}
                      </th>
                    )}
                    <MeasureCells tag={catalogue?.byId.get(id)} id={id} />
                  </tr>
                )),
              )}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function MeasureCells({ tag, id }: { tag: CatalogueTag | undefined; id: string }) {
  const { t, lang } = useI18n();
  const live = useTagLive(id);
  const reading = live.reading;
  const usable = reading !== null && reading.q !== 'bad';
  const state = reading === null ? 'none' : live.stale ? 'stale' : reading.q;
  return (
    <>
      <td>
        {tag ? tagName(tag, lang) : id}
        <span className="alarms__sub">{id}</span>
      </td>
      <td className="hazards__num" data-testid="hazard-measure-value" data-quality={state}>
        {usable ? `${formatNumber(reading.v, decimalsFor(tag, reading.v))}${tag?.unit ? ` ${tag.unit}` : ''}` : '—'}
        {reading?.q === 'bad' && (
          <span className="hazard-live__bad">
            <span aria-hidden="true"> ✕ </span>
            {t('tile.quality.bad')}
          </span>
        )}
        {reading?.q === 'uncertain' && (
          <span className="alarms__sub">
            <span aria-hidden="true">? </span>
            {t('tile.quality.uncertain')}
          </span>
        )}
        {live.stale && (
          <span className="alarms__sub">
            <span aria-hidden="true">⏱ </span>
            {t('tile.stale')}
          </span>
        )}
      </td>
      <td>{reading ? formatDateTimeWithZone(new Date(reading.ts)) : t('tile.noData')}</td>
    </>
  );
}
