import { useMemo, useSyncExternalStore } from 'react';
import type { CatalogueTag, GatewayStatusEvent } from '@park/protocol';
import { fetchGateways } from '../../../shared/api/gateways';
import { createPollingStore } from '../../../shared/api/polling-store';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import { gatewayStore, liveStore, useCatalogue, useConnection, useGateways } from '../../../shared/live/live-instance';
import { isLive } from '../../../shared/live/connection-store';
import { formatDateTimeWithZone, splitAge } from '../../../shared/time/format';
import { useNow } from '../../../shared/time/use-now';

// The edge gateways and their devices: per gateway its link state (online,
// offline since, never reported), when the server last heard from it (a
// status or a reading, server clock), its software version, store-and-
// forward backlog (outbox) and dropped counts; per device its link state
// with the gateway's error text, and how many of its points are bad now.
//
// Gateways and devices expected by the park model (catalogue) are listed
// even before their first status, so a gateway that never came up is seen.
// A last will carries no devices or counters: what the gateway reported
// before it was lost is shown as last known, with its time.
//
// States and counters follow ISA-101: neutral when normal; colour only for
// offline, device errors, a backlog or losses, always with a word and symbol.

/** Counters change without a push (the server pushes only state and device changes): poll while the screen is open. */
const COUNTERS_POLL_INTERVAL_MS = 5_000;

const countersPoller = createPollingStore({
  fetch: async (signal) => {
    const list = await fetchGateways(signal);
    gatewayStore.applyList(list);
    return list.length;
  },
  intervalMs: COUNTERS_POLL_INTERVAL_MS,
});

function usePolledCounters(): void {
  useSyncExternalStore(countersPoller.subscribe, countersPoller.getSnapshot);
}

interface ExpectedGateway {
  /** Device id → the tags it serves. */
  readonly devices: Map<string, CatalogueTag[]>;
  readonly tags: CatalogueTag[];
}

function expectedGateways(tags: readonly CatalogueTag[]): Map<string, ExpectedGateway> {
  const out = new Map<string, ExpectedGateway>();
  for (const tag of tags) {
    let gateway = out.get(tag.gateway);
    if (!gateway) {
      gateway = { devices: new Map(), tags: [] };
      out.set(tag.gateway, gateway);
    }
    gateway.tags.push(tag);
    const list = gateway.devices.get(tag.device);
    if (list) list.push(tag);
    else gateway.devices.set(tag.device, [tag]);
  }
  return out;
}

function ageText(t: I18n['t'], ageMs: number): string {
  const age = splitAge(ageMs);
  switch (age.unit) {
    case 'seconds':
      return t('time.agoSeconds', { n: age.value });
    case 'minutes':
      return t('time.agoMinutes', { n: age.value });
    case 'hours':
      return t('time.agoHours', { n: age.value });
  }
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB'] as const;

function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

export function GatewaysPage() {
  const { t } = useI18n();
  usePolledCounters();
  const catalogue = useCatalogue();
  const statuses = useGateways();
  const connection = useConnection();
  const expected = useMemo(() => expectedGateways(catalogue?.tags ?? []), [catalogue]);
  const ids = useMemo(() => [...new Set([...expected.keys(), ...statuses.keys()])].sort(), [expected, statuses]);
  const live = isLive(connection);

  if (!catalogue) return <p className="layout__message">{t('wall.loading')}</p>;
  const online = ids.filter((id) => statuses.get(id)?.state === 'online').length;
  return (
    <div className="gateways" data-testid="gateways-page" data-live={live}>
      <p className="gateways__summary" data-testid="gateways-summary">
        {t('gateways.summary', { online, total: ids.length })}
      </p>
      {!live && (
        <p className="gateways__not-live" role="status">
          <span aria-hidden="true">⚠ </span>
          {t('wall.notLive')}
        </p>
      )}
      {ids.length === 0 && <p className="layout__message">{t('gateways.none')}</p>}
      <div className="gateways__list">
        {ids.map((id) => (
          <GatewayCard key={id} id={id} status={statuses.get(id) ?? null} expected={expected.get(id) ?? null} />
        ))}
      </div>
    </div>
  );
}

type ShownState = 'online' | 'offline' | 'unknown';
const STATE_SYMBOL: Record<ShownState, string> = { online: '●', offline: '✕', unknown: '…' };
const STATE_KEY = { online: 'gateways.state.online', offline: 'gateways.state.offline', unknown: 'gateways.state.unknown' } as const;

function GatewayCard({ id, status, expected }: { id: string; status: GatewayStatusEvent | null; expected: ExpectedGateway | null }) {
  const { t } = useI18n();
  // Ticks every second: the age moves, and the latest reading time is read from the live store.
  useNow();
  const state: ShownState = status ? status.state : 'unknown';
  const serverNow = liveStore.serverNowMs();

  // The latest of its own last status and the latest reading of any of its
  // tags. A last will is published by the broker, not the gateway: it does
  // not count as hearing from the gateway.
  const isWill = status !== null && status.state === 'offline' && Object.keys(status.devices).length === 0 && status.counters === undefined;
  let lastMs = status ? (isWill ? (status.lastKnown?.receivedAt ?? null) : status.receivedAt) : null;
  for (const tag of expected?.tags ?? []) {
    const at = liveStore.getTag(tag.id).updatedAtServerMs;
    if (at !== null && (lastMs === null || at > lastMs)) lastMs = at;
  }

  const reported = status && (Object.keys(status.devices).length > 0 || status.counters !== undefined) ? { devices: status.devices, counters: status.counters, receivedAt: status.receivedAt, lastKnown: false } : null;
  const known = reported ?? (status?.lastKnown ? { ...status.lastKnown, lastKnown: true } : null);
  const deviceIds = [...new Set([...(expected?.devices.keys() ?? []), ...Object.keys(known?.devices ?? {})])].sort();
  const counters = known?.counters;

  return (
    <section className="gateway" data-testid={`gateway-${id}`} data-state={state} aria-labelledby={`gateway-title-${id}`}>
      <header className="gateway__head">
        <h3 className="gateway__title" id={`gateway-title-${id}`}>
          {id}
        </h3>
        <span className="gateway__state" data-testid="gateway-state" data-state={state}>
          <span aria-hidden="true">{STATE_SYMBOL[state]} </span>
          {t(STATE_KEY[state])}
          {status?.stateSince !== undefined && <span className="gateway__since"> · {t('gateways.since', { time: formatDateTimeWithZone(new Date(status.stateSince)) })}</span>}
        </span>
      </header>
      <dl className="gateway__facts">
        <div>
          <dt>{t('gateways.lastMessage')}</dt>
          <dd data-testid="gateway-last-message">
            {lastMs === null ? t('gateways.never') : `${formatDateTimeWithZone(new Date(lastMs))} (${ageText(t, Math.max(0, serverNow - lastMs))})`}
          </dd>
        </div>
        <div>
          <dt>{t('gateways.version')}</dt>
          <dd data-testid="gateway-version">{status?.version ?? '—'}</dd>
        </div>
        <Backlog counters={counters} />
        <Dropped counters={counters} />
        {counters?.readErrors !== undefined && (
          <div>
            <dt>{t('gateways.readErrors')}</dt>
            <dd>{t('gateways.readErrors.value', { errors: counters.readErrors, timeouts: counters.timeouts ?? 0, reads: counters.reads ?? 0 })}</dd>
          </div>
        )}
        {counters?.clockSynced !== undefined && (
          <div>
            <dt>{t('gateways.clock')}</dt>
            <dd data-attention={counters.clockSynced === 0 && counters.clockUnknown !== 1}>
              {counters.clockUnknown === 1 ? t('gateways.clock.unknown') : counters.clockSynced === 1 ? t('gateways.clock.synced') : t('gateways.clock.unsynced')}
            </dd>
          </div>
        )}
      </dl>
      {known?.lastKnown && (
        <p className="gateway__last-known" data-testid="gateway-last-known">
          {t('gateways.lastKnown', { time: formatDateTimeWithZone(new Date(known.receivedAt)) })}
        </p>
      )}
      <table className="kpi-table gateway__devices">
        <caption className="visually-hidden">{t('gateways.devices', { gateway: id })}</caption>
        <thead>
          <tr>
            <th scope="col">{t('gateways.col.device')}</th>
            <th scope="col">{t('gateways.col.state')}</th>
            <th scope="col">{t('gateways.col.points')}</th>
          </tr>
        </thead>
        <tbody>
          {deviceIds.map((device) => (
            <DeviceRow key={device} id={device} status={known?.devices[device]} lastKnown={known?.lastKnown ?? false} tags={expected?.devices.get(device) ?? []} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Backlog({ counters }: { counters: Record<string, number> | undefined }) {
  const { t } = useI18n();
  const messages = counters?.outboxMessages;
  const readings = counters?.outboxReadings ?? 0;
  const buffered = counters?.bufferedReadings ?? 0;
  return (
    <div>
      <dt>{t('gateways.backlog')}</dt>
      <dd data-testid="gateway-backlog" data-attention={messages !== undefined && messages > 0} data-readings={readings}>
        {messages === undefined
          ? '—'
          : t('gateways.backlog.value', { readings, messages, size: formatBytes(counters?.outboxBytes ?? 0), buffered })}
      </dd>
    </div>
  );
}

function Dropped({ counters }: { counters: Record<string, number> | undefined }) {
  const { t } = useI18n();
  if (counters?.outboxDroppedReadings === undefined && counters?.bufferDropped === undefined) {
    return (
      <div>
        <dt>{t('gateways.dropped')}</dt>
        <dd data-testid="gateway-dropped">—</dd>
      </div>
    );
  }
  const outbox = counters.outboxDroppedReadings ?? 0;
  const buffer = counters.bufferDropped ?? 0;
  const any = outbox + buffer > 0;
  return (
    <div>
      <dt>{t('gateways.dropped')}</dt>
      <dd data-testid="gateway-dropped" data-attention={any} data-readings={outbox + buffer}>
        {any && <span aria-hidden="true">▲ </span>}
        {t('gateways.dropped.value', { outbox, messages: counters.outboxDroppedMessages ?? 0, buffer })}
      </dd>
    </div>
  );
}

type DeviceState = 'connected' | 'connecting' | 'error' | 'unknown';
const DEVICE_SYMBOL: Record<DeviceState, string> = { connected: '●', connecting: '…', error: '✕', unknown: '?' };
const DEVICE_KEY = {
  connected: 'gateways.device.connected',
  connecting: 'gateways.device.connecting',
  error: 'gateways.device.error',
  unknown: 'gateways.device.unknown',
} as const;

function DeviceRow({ id, status, lastKnown, tags }: { id: string; status: string | undefined; lastKnown: boolean; tags: readonly CatalogueTag[] }) {
  const { t } = useI18n();
  // Ticks every second: the bad-point count is read from the live store.
  useNow();
  const state: DeviceState = status === undefined ? 'unknown' : status === 'connected' ? 'connected' : status === 'connecting' ? 'connecting' : 'error';
  const reason = state === 'error' && status !== undefined ? status.replace(/^error: /, '') : null;
  let bad = 0;
  let firstError: string | null = null;
  for (const tag of tags) {
    const reading = liveStore.getTag(tag.id).reading;
    if (reading?.q === 'bad') {
      bad++;
      firstError ??= reading.err ?? null;
    }
  }
  return (
    <tr data-testid={`gateway-device-${id}`} data-state={state} data-last-known={lastKnown}>
      <th scope="row">{id}</th>
      <td>
        <span className="gateway__device-state" data-state={state} data-last-known={lastKnown}>
          <span aria-hidden="true">{DEVICE_SYMBOL[state]} </span>
          {t(DEVICE_KEY[state])}
          {reason !== null && <span data-testid="gateway-device-error">: {reason}</span>}
          {lastKnown && <span className="gateway__sub"> ({t('gateways.device.lastKnown')})</span>}
        </span>
      </td>
      <td data-testid="gateway-device-points" data-bad={bad}>
        {t('gateways.points', { total: tags.length, bad })}
        {firstError !== null && <span className="gateway__sub"> · {firstError}</span>}
      </td>
    </tr>
  );
}
