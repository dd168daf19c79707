import { useEffect, useId, useState, useSyncExternalStore } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import type { Role } from '@park/protocol';
import { canAck } from '../../../shared/alarms/alarm-words';
import { fetchCards, fetchIncidents, openIncident, type CardSummary, type Incident } from '../../../shared/api/emergency';
import { createPollingStore } from '../../../shared/api/polling-store';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// The open incidents on the command view, newest first, each with its card
// and a link to its page; when none is open, the commander can start one by
// hand from a card. Polled (the server has no push for incidents yet).

const INCIDENT_POLL_MS = 3_000;

const openIncidents = createPollingStore<readonly Incident[]>({ fetch: (signal) => fetchIncidents('open', signal), intervalMs: INCIDENT_POLL_MS });


export function CommandIncidents({ role, hrefOfIncident }: { role: Role; hrefOfIncident: (id: string) => string }) {
  const { t, lang } = useI18n();
  const state = useSyncExternalStore(openIncidents.subscribe, openIncidents.getSnapshot);
  const [cards, setCards] = useState<readonly CardSummary[] | null>(null);
  const [cardsError, setCardsError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetchCards(controller.signal).then(setCards, (error: unknown) => {
      if (!controller.signal.aborted) setCardsError(apiErrorText(t, error));
    });
    return () => controller.abort();
    // Cards change only by an engineer's edit: loaded once per visit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const incidents = state.value;
  const titleOf = (cardId: string): string => cards?.find((c) => c.id === cardId)?.title[lang] ?? cardId;

  return (
    <section className="command__section" aria-labelledby="command-incidents" data-testid="command-incidents" data-count={incidents?.length ?? -1}>
      <h3 id="command-incidents" className="command__heading">
        {t('incidents.title', { n: incidents?.length ?? 0 })}
      </h3>
      {state.error !== null && (
        <p className="command__error" role="alert" data-testid="command-incidents-error">
          <span aria-hidden="true">✕ </span>
          {t('incidents.error', { error: apiErrorText(t, state.error) })}
        </p>
      )}
      {incidents === null ? (
        state.error === null && <p className="command__none">{t('incidents.loading')}</p>
      ) : incidents.length === 0 ? (
        <>
          <p className="command__none" data-testid="command-incidents-none">
            {t('incidents.none')}
          </p>
          {canAck(role) ? (
            <StartIncident cards={cards} cardsError={cardsError} hrefOfIncident={hrefOfIncident} />
          ) : (
            <p className="command__hint">{t('incidents.noAct')}</p>
          )}
        </>
      ) : (
        <ul className="command__cards">
          {incidents.map((inc) => {
            const done = inc.steps.filter((s) => s.done).length;
            return (
              <li key={inc.id} className="command-incident" data-testid={`command-incident-${inc.id}`} data-incident-id={inc.id} data-card-id={inc.cardId}>
                <a className="command-incident__link" href={hrefOfIncident(inc.id)} data-testid="command-incident-link">
                  <span className="command-incident__title">{titleOf(inc.cardId)}</span>
                  <span className="command-incident__meta">
                    {t('incidents.openedAt', { time: formatDateTimeWithZone(new Date(inc.openedAt)), user: inc.openedBy })}
                  </span>
                  <span className="command-incident__meta" data-testid="command-incident-steps">
                    {t('incidents.steps', { done, total: inc.steps.length })}
                  </span>
                  <span className="command-incident__go">{t('incidents.open')} →</span>
                </a>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

function StartIncident({ cards, cardsError, hrefOfIncident }: { cards: readonly CardSummary[] | null; cardsError: string | null; hrefOfIncident: (id: string) => string }) {
  const { t, lang } = useI18n();
  const selectId = useId();
  const noteId = useId();
  const [open, setOpen] = useState(false);
  const [cardId, setCardId] = useState('');
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<{ text: string; incidentId?: string } | null>(null);

  async function start(): Promise<void> {
    if (cardId === '') {
      setFailure({ text: t('incidents.start.choose') });
      return;
    }
    setBusy(true);
    setFailure(null);
    const outcome = await openIncident(cardId, note);
    setBusy(false);
    if (outcome.ok) {
      window.location.hash = hrefOfIncident(outcome.value.id);
    } else {
      setFailure({ text: t('incidents.start.failed', { reason: outcome.error }), ...(outcome.incidentId ? { incidentId: outcome.incidentId } : {}) });
    }
  }

  if (!open) {
    return (
      <div className="command-start">
        <p className="command__hint">{t('incidents.start.hint')}</p>
        <button type="button" className="button button--touch" data-testid="command-start-incident" onClick={() => setOpen(true)}>
          {t('incidents.start')}
        </button>
      </div>
    );
  }
  return (
    <form
      className="command-start command-card__ack"
      data-testid="command-start-form"
      onSubmit={(event) => {
        event.preventDefault();
        void start();
      }}
    >
      {cardsError !== null && (
        <p className="command__error" role="alert">
          {t('incidents.start.noCards', { error: cardsError })}
        </p>
      )}
      <label htmlFor={selectId} className="field__label">
        {t('incidents.start.card')}
      </label>
      <select id={selectId} className="field__input command-start__select" data-testid="command-start-card" value={cardId} onChange={(e) => setCardId(e.target.value)}>
        <option value="">{t('incidents.start.choose')}</option>
        {(cards ?? []).map((c) => (
          <option key={c.id} value={c.id}>
            {c.title[lang]}
          </option>
        ))}
      </select>
      <label htmlFor={noteId} className="field__label">
        {t('incidents.start.note')}
      </label>
      <textarea id={noteId} className="field__input command-card__comment" data-testid="command-start-note" rows={2} maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
      {failure && (
        <p className="command-card__result" role="alert" data-ok="false" data-testid="command-start-result">
          <span aria-hidden="true">✕ </span>
          {failure.text}
          {failure.incidentId && (
            <>
              {' '}
              <a href={hrefOfIncident(failure.incidentId)}>{t('incidents.start.existing')}</a>
            </>
          )}
        </p>
      )}
      <div className="command-card__buttons">
        <button type="submit" className="button button--primary button--touch" data-testid="command-start-submit" disabled={busy || cards === null}>
          {busy ? t('incidents.start.starting') : t('incidents.start.submit')}
        </button>
        <button type="button" className="button button--touch" onClick={() => setOpen(false)} disabled={busy}>
          {t('alarms.cancel')}
        </button>
      </div>
    </form>
  );
}
