import { useEffect, useState } from 'react';
import type { AlarmEvent, Role } from '@park/protocol';
import { canAck } from '../alarms/alarm-words';
import { fetchCardMatches, openIncident, type CardMatch } from '../api/emergency';
import { useI18n } from '../i18n/i18n-context';

// The emergency disposal card an alarm opens, beside the alarm on the
// command view and in the alarm list: its title, and for roles that may act
// a button that opens the incident with that card for this alarm (or goes to
// the incident already open with it). Nothing is shown for an alarm no card
// matches.

export function AlarmCardLink({ alarm, role, hrefOfIncident }: { alarm: AlarmEvent; role: Role; hrefOfIncident: (id: string) => string }) {
  const { t, lang } = useI18n();
  const [match, setMatch] = useState<CardMatch | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);

  useEffect(() => {
    let live = true;
    fetchCardMatches(alarm.id).then(
      (m) => {
        if (live) setMatch(m[0] ?? null);
      },
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [alarm.id]);

  if (!match) return null;
  const open = async (): Promise<void> => {
    setBusy(true);
    setFailure(null);
    const outcome = await openIncident(match.card.id, undefined, alarm.id);
    setBusy(false);
    if (outcome.ok) window.location.hash = hrefOfIncident(outcome.value.id);
    else if (outcome.incidentId) window.location.hash = hrefOfIncident(outcome.incidentId);
    else setFailure(outcome.error);
  };
  return (
    <span className="alarm-card-link" data-testid="alarm-card-link" data-card-id={match.card.id}>
      <span aria-hidden="true">📋 </span>
      {t('card.forAlarm', { title: match.card.title[lang] })}{' '}
      {canAck(role) && (
        <button type="button" className="button button--touch" data-testid="alarm-card-open" disabled={busy} onClick={() => void open()}>
          {t('card.openIncident')}
        </button>
      )}
      {failure && (
        <span role="alert" className="command__error">
          {' '}
          ✕ {failure}
        </span>
      )}
    </span>
  );
}
