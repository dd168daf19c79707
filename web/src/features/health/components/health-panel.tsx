import { ApiError } from '../../../shared/api/client';
import type { HealthReport, HealthStatus } from '../../../shared/api/health';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import type { MessageKey } from '../../../shared/i18n/messages';
import { formatTimeWithZone, splitAge } from '../../../shared/time/format';
import { useNow } from '../../../shared/time/use-now';
import { assessFreshness, HEALTH_MAX_AGE_MS, type Freshness } from '../freshness';
import { useHealth } from '../health-store';

// Status is never colour alone: each has a word and a distinct symbol too.
const STATUS_SYMBOL: { readonly [S in HealthStatus]: string } = { ok: '✓', degraded: '▲', down: '✕' };

type ComponentLabelKey = Extract<MessageKey, `health.component.${string}`>;
const COMPONENT_LABELS: Partial<Record<string, ComponentLabelKey>> = {
  influxdb: 'health.component.influxdb',
  mqtt: 'health.component.mqtt',
  alarms: 'health.component.alarms',
  gateways: 'health.component.gateways',
};

function componentLabel(t: I18n['t'], name: string): string {
  const key = COMPONENT_LABELS[name];
  return key ? t(key) : name;
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

function errorText(t: I18n['t'], error: unknown): string {
  if (!(error instanceof ApiError)) return error instanceof Error ? error.message : String(error);
  switch (error.code) {
    case 'timeout':
      return t('api.error.timeout');
    case 'network':
      return t('api.error.network');
    case 'http':
      return t('api.error.http', { status: error.httpStatus ?? '?' });
    case 'invalid-response':
      return t('api.error.invalid-response');
  }
}

function StatusBadge({ status }: { status: HealthStatus }) {
  const { t } = useI18n();
  return (
    <span className="status-badge" data-status={status}>
      <span className="status-badge__symbol" aria-hidden="true">
        {STATUS_SYMBOL[status]}
      </span>
      {t(`health.status.${status}`)}
    </span>
  );
}

function NotLiveReason({ freshness }: { freshness: Freshness }) {
  const { t } = useI18n();
  switch (freshness.kind) {
    case 'live':
    case 'connecting':
      return null;
    case 'error':
      return <p className="health__reason">{t('health.notLive.error', { error: errorText(t, freshness.error) })}</p>;
    case 'stale':
      return <p className="health__reason">{t('health.notLive.stale', { seconds: HEALTH_MAX_AGE_MS / 1000 })}</p>;
  }
}

function Overall({ report, freshness }: { report: HealthReport | null; freshness: Freshness }) {
  const { t } = useI18n();
  const live = freshness.kind === 'live';
  const state = live && report ? report.status : freshness.kind === 'connecting' ? 'connecting' : 'not-live';
  return (
    <div className="health__overall" data-testid="health-overall" data-live={live} data-status={state}>
      <span className="health__overall-label">{t('health.overall')}</span>
      <span role="status">
        {live && report ? (
          <StatusBadge status={report.status} />
        ) : freshness.kind === 'connecting' ? (
          <span className="status-badge" data-status="connecting">
            {t('health.connecting')}
          </span>
        ) : (
          <span className="status-badge" data-status="not-live">
            <span className="status-badge__symbol" aria-hidden="true">
              ⚠
            </span>
            {t('health.notLive')}
          </span>
        )}
      </span>
    </div>
  );
}

export function HealthPanel() {
  const { t } = useI18n();
  const state = useHealth();
  const now = useNow();
  const freshness = assessFreshness(state, now.monoMs);
  const live = freshness.kind === 'live';
  const report = state.value;
  const components = report ? Object.entries(report.components).sort(([a], [b]) => a.localeCompare(b)) : [];
  const updatedAt = state.receivedAtWallMs === null ? null : formatTimeWithZone(new Date(state.receivedAtWallMs));
  const ageMs = state.receivedAtMonoMs === null ? null : Math.max(0, now.monoMs - state.receivedAtMonoMs);

  return (
    <div className="health" data-live={live}>
      <Overall report={report} freshness={freshness} />
      <NotLiveReason freshness={freshness} />

      {report && (
        <>
          {!live && <p className="health__last-known">{t('health.lastKnown', { time: updatedAt ?? '' })}</p>}
          <h3 className="visually-hidden">{t('health.components')}</h3>
          {components.length === 0 ? (
            <p className="health__empty">{t('health.noComponents')}</p>
          ) : (
            <ul className="health__components" data-stale={!live}>
              {components.map(([name, component]) => (
                <li key={name} className="health__component" data-testid={`health-component-${name}`} data-status={component.status}>
                  <span className="health__component-name">
                    {componentLabel(t, name)}
                    {COMPONENT_LABELS[name] && <span className="health__component-id"> ({name})</span>}
                  </span>
                  <StatusBadge status={component.status} />
                  {component.detail && <span className="health__component-detail">{component.detail}</span>}
                </li>
              ))}
            </ul>
          )}
        </>
      )}

      <p className="health__updated">
        {t('health.lastUpdated')}
        {updatedAt === null || ageMs === null ? (
          t('health.never')
        ) : (
          <>
            <time dateTime={new Date(state.receivedAtWallMs ?? 0).toISOString()}>{updatedAt}</time>
            {t('health.updatedAge', { age: ageText(t, ageMs) })}
          </>
        )}
      </p>
    </div>
  );
}
