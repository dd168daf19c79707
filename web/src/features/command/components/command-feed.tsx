import { useSyncExternalStore } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import { fetchOpenFeed, type FeedIncident } from '../../../shared/api/incident-feed';
import { createPollingStore } from '../../../shared/api/polling-store';
import { PRIORITY_KEY, PRIORITY_SYMBOL, STATE_KEY } from '../../../shared/alarms/alarm-words';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { useCatalogue } from '../../../shared/live/live-instance';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// The incident feed on the command view: one line per installation in
// trouble, not one per alarm. The cause (first-out, else the first raised)
// comes first, then how many alarms joined and how many still wait for an
// operator. Polled like the incident records.

const FEED_POLL_MS = 3_000;
const openFeed = createPollingStore<readonly FeedIncident[]>({ fetch: (signal) => fetchOpenFeed(signal), intervalMs: FEED_POLL_MS });

export function CommandFeed() {
  const { t, lang } = useI18n();
  const state = useSyncExternalStore(openFeed.subscribe, openFeed.getSnapshot);
  const catalogue = useCatalogue();
  const feed = state.value;

  return (
    <section className="command__section" aria-labelledby="command-feed" data-testid="command-feed" data-count={feed?.length ?? -1}>
      <h3 id="command-feed" className="command__heading">
        {t('feed.title', { n: feed?.length ?? 0 })}
      </h3>
      {state.error !== null && (
        <p className="command__error" role="alert" data-testid="command-feed-error">
          <span aria-hidden="true">✕ </span>
          {t('feed.error', { error: apiErrorText(t, state.error) })}
        </p>
      )}
      {feed === null ? (
        state.error === null && <p className="command__none">{t('incidents.loading')}</p>
      ) : feed.length === 0 ? (
        <p className="command__none" data-testid="command-feed-none">
          {t('feed.none')}
        </p>
      ) : (
        <ul className="command__cards">
          {feed.map((incident) => {
            const first = incident.alarms.find((a) => a.id === incident.firstAlarm) ?? incident.alarms[0];
            const waiting = incident.alarms.filter((a) => a.state === 'unack' || a.state === 'rtn-unack').length;
            const place = catalogue?.hazardNames.get(incident.hazardSource)?.[lang] ?? incident.hazardSource;
            return (
              <li key={incident.id} className="command-incident" data-testid={`command-feed-${incident.hazardSource}`} data-incident-id={incident.id} data-priority={incident.priority}>
                <span className="command-incident__title">
                  <span className="prio-badge" data-priority={incident.priority}>
                    <span aria-hidden="true">{PRIORITY_SYMBOL[incident.priority]} </span>
                    {t(PRIORITY_KEY[incident.priority])}
                  </span>{' '}
                  {place}
                </span>
                {first && (
                  <span className="command-incident__meta" data-testid="command-feed-cause">
                    {t(first.firstOut ? 'feed.cause.firstOut' : 'feed.cause.first')}: {first.message} ({t(STATE_KEY[first.state])})
                  </span>
                )}
                <span className="command-incident__meta" data-testid="command-feed-counts" data-alarms={incident.alarms.length} data-waiting={waiting}>
                  {t('feed.counts', { n: incident.alarms.length, waiting })}
                </span>
                <span className="command-incident__meta">{t('feed.openedAt', { time: formatDateTimeWithZone(new Date(incident.openedAt)) })}</span>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
