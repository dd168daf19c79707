import { useEffect, useId, useMemo, useState } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import { MAX_COMMENT_LENGTH, type AlarmEvent, type AlarmPriority, type Role } from '@park/protocol';
import { FirstOutBadge } from '../../../shared/alarms/first-out-badge';
import { alarmHazardSource, alarmSite, alarmText, canAck, PRIORITY_KEY, PRIORITY_SYMBOL, siteName, STATE_KEY, STATE_SYMBOL } from '../../../shared/alarms/alarm-words';
import { ackAlarm } from '../../../shared/api/alarms';
import { fetchHazardRegister, type UnitSummary } from '../../../shared/api/hazards';
import { HazardLevel } from '../../../shared/components/hazard-level';
import { useI18n } from '../../../shared/i18n/i18n-context';
import type { Lang } from '../../../shared/i18n/messages';
import { awaitsAck, isAnnunciated, priorityRank, type EscalationNotice } from '../../../shared/live/alarm-store';
import { isLive } from '../../../shared/live/connection-store';
import { useAlarmList, useAlarmOverview, useCatalogue, useConnection } from '../../../shared/live/live-instance';
import type { Catalogue } from '../../../shared/live/live-store';
import { decimalsFor, formatNumber } from '../../../shared/live/tag-status';
import { formatDateTimeWithZone } from '../../../shared/time/format';
import { refusalText } from '../../../shared/alarms/action-words';
import { CommandIncidents } from './command-incidents';
import { CommandFeed } from './command-feed';
import { AlarmCardLink } from '../../../shared/emergency/alarm-card-link';

// The commander's view, phone first (390 px, in a car, in sunlight): what
// needs a decision now, in large type with large touch targets.
//   1. escalated critical alarms (unacknowledged too long), newest first;
//   2. the other unacknowledged critical and high alarms, newest first;
//      first-out marked, where (site · hazard source · equipment), the value,
//      the time with its zone; acknowledge with a comment in two deliberate taps;
//   0. the open incidents (newest first) with their card, or starting one by hand;
//   3. one line per hazard source: its name, its GB 18218 level (static master
//      data, in its own neutral badge) and its active alarms now.

const COMMAND_PRIORITIES: readonly AlarmPriority[] = ['critical', 'high'];
/** Acknowledgements made here stay listed after their card leaves, the newest few. */
const MAX_DONE = 5;

interface AckDone {
  readonly id: string;
  readonly text: string;
  readonly atMs: number;
  readonly escalated: boolean;
}

function valueText(alarm: AlarmEvent, catalogue: Catalogue | null): string | null {
  if (alarm.value === null) return null;
  const tag = catalogue?.byId.get(alarm.tagId);
  return `${formatNumber(alarm.value, decimalsFor(tag, alarm.value))}${tag?.unit ? ` ${tag.unit}` : ''}`;
}

function placeText(alarm: AlarmEvent, catalogue: Catalogue | null, lang: Lang): string {
  const site = alarmSite(alarm, catalogue);
  const hazard = alarmHazardSource(alarm, catalogue);
  const equipment = catalogue?.byId.get(alarm.tagId)?.equipment;
  const parts = [siteName(catalogue, site, lang)];
  if (hazard) parts.push(catalogue?.hazardNames.get(hazard)?.[lang] ?? hazard);
  if (equipment) parts.push(equipment.toUpperCase());
  return parts.join(' · ');
}

export function CommandView({ role, hrefOfIncident }: { role: Role; hrefOfIncident: (id: string) => string }) {
  const { t, lang } = useI18n();
  const alarms = useAlarmList();
  const overview = useAlarmOverview();
  const connection = useConnection();
  const live = isLive(connection);
  const catalogue = useCatalogue();
  // An acknowledged alarm leaves the lists at once (it no longer waits): what
  // was done here is confirmed in its own list, so the result is not lost with the card.
  const [done, setDone] = useState<readonly AckDone[]>([]);
  const onAcked = (alarm: AlarmEvent, wasEscalated: boolean): void => {
    const entry: AckDone = { id: alarm.id, text: alarmText(t, lang, alarm, catalogue), atMs: Date.now(), escalated: wasEscalated };
    setDone((list) => [entry, ...list.filter((d) => d.id !== alarm.id)].slice(0, MAX_DONE));
  };

  const escalated = useMemo(() => new Map(overview.escalations.map((n) => [n.alarm.id, n])), [overview.escalations]);
  const escalatedNow = useMemo(
    () => overview.escalations.map((n) => ({ notice: n, alarm: alarms.find((a) => a.id === n.alarm.id) ?? n.alarm })).sort((a, b) => b.alarm.raisedAt - a.alarm.raisedAt),
    [overview.escalations, alarms],
  );
  const waiting = useMemo(
    () => alarms.filter((a) => awaitsAck(a.state) && COMMAND_PRIORITIES.includes(a.priority) && !escalated.has(a.id)).sort((a, b) => b.raisedAt - a.raisedAt || priorityRank(a.priority) - priorityRank(b.priority) || a.id.localeCompare(b.id)),
    [alarms, escalated],
  );

  return (
    <div className="command" data-testid="command-view" data-live={live}>
      {!live && (
        <p className="command__not-live" role="alert" data-testid="command-not-live">
          <span aria-hidden="true">⚠ </span>
          {t('command.notLive')}
        </p>
      )}
      {done.length > 0 && (
        <ul className="command__done" role="status" data-testid="command-ack-done">
          {done.map((d) => (
            <li key={d.id} data-testid={`command-ack-done-${d.id}`} data-escalated={d.escalated}>
              <span aria-hidden="true">✓ </span>
              {t(d.escalated ? 'command.ackDone.escalated' : 'command.ackDone', { text: d.text, time: formatDateTimeWithZone(new Date(d.atMs)) })}
            </li>
          ))}
        </ul>
      )}
      <CommandIncidents role={role} hrefOfIncident={hrefOfIncident} />
      <CommandFeed />
      {overview.escalations.length > 0 && (
        <section className="command__section" aria-labelledby="command-escalated" data-testid="command-escalations">
          <h3 id="command-escalated" className="command__heading">
            <span aria-hidden="true">⬆ </span>
            {t('command.escalated', { n: escalatedNow.length })}
          </h3>
          <ul className="command__cards">
            {escalatedNow.map(({ notice, alarm }) => (
              <AlarmCard key={alarm.id} alarm={alarm} escalation={notice} role={role} onAcked={onAcked} hrefOfIncident={hrefOfIncident} />
            ))}
          </ul>
        </section>
      )}
      <section className="command__section" aria-labelledby="command-waiting" data-testid="command-waiting" data-count={waiting.length}>
        <h3 id="command-waiting" className="command__heading">
          {t('command.waiting', { n: waiting.length })}
        </h3>
        {waiting.length === 0 ? (
          <p className="command__none" data-testid="command-none">
            <span aria-hidden="true">✓ </span>
            {overview.known ? t('command.none') : t('banner.unknown')}
          </p>
        ) : (
          <ul className="command__cards">
            {waiting.map((alarm) => (
              <AlarmCard key={alarm.id} alarm={alarm} escalation={null} role={role} onAcked={onAcked} hrefOfIncident={hrefOfIncident} />
            ))}
          </ul>
        )}
      </section>
      <HazardSourceLines />
    </div>
  );
}

function AlarmCard({
  alarm,
  escalation,
  role,
  onAcked,
  hrefOfIncident,
}: {
  alarm: AlarmEvent;
  escalation: EscalationNotice | null;
  role: Role;
  onAcked: (alarm: AlarmEvent, escalated: boolean) => void;
  hrefOfIncident: (id: string) => string;
}) {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const commentId = useId();
  const [open, setOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | null>(null);
  const mayAck = canAck(role);
  const ackable = awaitsAck(alarm.state);
  const value = valueText(alarm, catalogue);

  async function acknowledge(): Promise<void> {
    setBusy(true);
    const outcome = await ackAlarm(alarm.id, comment);
    setBusy(false);
    if (outcome.ok) {
      setOpen(false);
      setResult({ ok: true, text: t('command.acked') });
      onAcked(alarm, escalation !== null);
    } else {
      setResult({ ok: false, text: t('command.ackFailed', { reason: refusalText(t, outcome) }) });
    }
  }

  return (
    <li
      className="command-card"
      data-testid={`command-alarm-${alarm.id}`}
      data-alarm-id={alarm.id}
      data-priority={alarm.priority}
      data-state={alarm.state}
      data-first-out={alarm.firstOut === true}
      data-escalated={escalation !== null}
    >
      <p className="command-card__head">
        <span className="prio-badge prio-badge--large" data-priority={alarm.priority}>
          <span aria-hidden="true">{PRIORITY_SYMBOL[alarm.priority]} </span>
          {t(PRIORITY_KEY[alarm.priority])}
        </span>
        <FirstOutBadge alarm={alarm} />
        {escalation && (
          <span className="command-card__escalated" data-testid="command-escalated-badge">
            <span aria-hidden="true">⬆ </span>
            {t('command.escalatedBadge', { minutes: Math.max(1, Math.round(escalation.unackedForMs / 60_000)) })}
          </span>
        )}
        <span className="command-card__state">
          <span aria-hidden="true">{STATE_SYMBOL[alarm.state]} </span>
          {t(STATE_KEY[alarm.state])}
        </span>
      </p>
      <p className="command-card__text" data-testid="command-alarm-text">
        {alarmText(t, lang, alarm, catalogue)}
      </p>
      <p className="command-card__place">
        <span aria-hidden="true">⌖ </span>
        {placeText(alarm, catalogue, lang)}
      </p>
      <p className="command-card__place">
        <AlarmCardLink alarm={alarm} role={role} hrefOfIncident={hrefOfIncident} />
      </p>
      <p className="command-card__meta">
        {value !== null && <span>{t('command.value', { value })} · </span>}
        <time dateTime={new Date(alarm.raisedAt).toISOString()} data-testid="command-alarm-time">
          {t('command.raisedAt', { time: formatDateTimeWithZone(new Date(alarm.raisedAt)) })}
        </time>
        {escalation && <span> · {t('command.escalatedAt', { time: formatDateTimeWithZone(new Date(escalation.ts)) })}</span>}
      </p>
      {result && (
        <p className="command-card__result" role="status" data-testid="command-result" data-ok={result.ok}>
          <span aria-hidden="true">{result.ok ? '✓ ' : '✕ '}</span>
          {result.text}
        </p>
      )}
      {!mayAck ? (
        <p className="command-card__note">{t('command.noAck')}</p>
      ) : open ? (
        <form
          className="command-card__ack"
          data-testid="command-ack-form"
          onSubmit={(event) => {
            event.preventDefault();
            void acknowledge();
          }}
        >
          {escalation && (
            <p className="command-card__confirm" data-testid="command-ack-confirm">
              <span aria-hidden="true">⬆ </span>
              {t('command.ackConfirm.escalated', { minutes: Math.max(1, Math.round(escalation.unackedForMs / 60_000)) })}
            </p>
          )}
          <label htmlFor={commentId} className="field__label">
            {t('command.comment')}
          </label>
          <textarea
            id={commentId}
            className="field__input command-card__comment"
            data-testid="command-ack-comment"
            maxLength={MAX_COMMENT_LENGTH}
            rows={2}
            value={comment}
            placeholder={t('command.comment.placeholder')}
            onChange={(e) => setComment(e.target.value)}
          />
          <div className="command-card__buttons">
            <button type="submit" className="button button--primary button--touch" data-testid="command-ack-submit" disabled={busy || !ackable}>
              {busy ? t('command.acking') : t('command.ackSubmit')}
            </button>
            <button type="button" className="button button--touch" onClick={() => setOpen(false)} disabled={busy}>
              {t('alarms.cancel')}
            </button>
          </div>
        </form>
      ) : (
        <button type="button" className="button button--primary button--touch" data-testid="command-ack" disabled={!ackable} onClick={() => setOpen(true)}>
          {t('command.ack')}
        </button>
      )}
    </li>
  );
}

type RegisterState = { kind: 'loading' } | { kind: 'ok'; units: ReadonlyMap<string, UnitSummary> } | { kind: 'error'; error: string };


/** One line per hazard source: name, site, GB 18218 level (static), active alarms now. */
function HazardSourceLines() {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const alarms = useAlarmList();
  const [register, setRegister] = useState<RegisterState>({ kind: 'loading' });

  useEffect(() => {
    const controller = new AbortController();
    fetchHazardRegister(controller.signal).then(
      (answer) => setRegister({ kind: 'ok', units: new Map(answer.summary.map((u) => [u.id, u])) }),
      (error: unknown) => {
        if (!controller.signal.aborted) setRegister({ kind: 'error', error: apiErrorText(t, error) });
      },
    );
    return () => controller.abort();
    // The register is static design data: loaded once per visit.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const bySource = useMemo(() => {
    const map = new Map<string, { annunciated: Record<AlarmPriority, number>; unack: number }>();
    for (const alarm of alarms) {
      const source = alarmHazardSource(alarm, catalogue);
      if (!source || !isAnnunciated(alarm.state)) continue;
      let entry = map.get(source);
      if (!entry) map.set(source, (entry = { annunciated: { critical: 0, high: 0, medium: 0, low: 0 }, unack: 0 }));
      entry.annunciated[alarm.priority]++;
      if (awaitsAck(alarm.state)) entry.unack++;
    }
    return map;
  }, [alarms, catalogue]);

  const sources = (catalogue?.park?.sites ?? []).flatMap((site) => site.hazardSources.map((hs) => ({ site, hs })));

  return (
    <section className="command__section" aria-labelledby="command-sources" data-testid="command-sources">
      <h3 id="command-sources" className="command__heading">
        {t('command.sources')}
      </h3>
      <p className="command__hint">{t('command.sources.hint')}</p>
      {register.kind === 'error' && (
        <p className="command__error" role="alert" data-testid="command-register-error">
          <span aria-hidden="true">✕ </span>
          {t('command.register.error', { error: register.error })}
        </p>
      )}
      <ul className="command__sources">
        {sources.map(({ site, hs }) => {
          const unit = register.kind === 'ok' ? register.units.get(hs.id) : undefined;
          const now = bySource.get(hs.id);
          return (
            <li key={hs.id} className="command-source" data-testid={`command-source-${hs.id}`} data-level={unit?.level ?? 'none'}>
              <span className="command-source__name">
                {hs.name[lang]} <span className="command-source__site">({site.name[lang]})</span>
              </span>
              {register.kind === 'loading' ? (
                <span className="command-source__level">{t('command.register.loading')}</span>
              ) : unit ? (
                <HazardLevel level={unit.level} name={unit.levelName} />
              ) : (
                <span className="hazard-level" data-level="none">
                  {t('command.register.notRegistered')}
                </span>
              )}
              <span className="command-source__alarms" data-testid="command-source-alarms" data-unack={now?.unack ?? 0}>
                {now ? (
                  <>
                    {(['critical', 'high', 'medium', 'low'] as const)
                      .filter((p) => now.annunciated[p] > 0)
                      .map((p) => (
                        <span key={p} className="prio-badge" data-priority={p}>
                          <span aria-hidden="true">{PRIORITY_SYMBOL[p]} </span>
                          {t(PRIORITY_KEY[p])} {now.annunciated[p]}
                        </span>
                      ))}
                    {now.unack > 0 && <span className="command-source__unack">{t('command.source.unack', { n: now.unack })}</span>}
                  </>
                ) : (
                  <span className="command-source__quiet">{t('command.source.quiet')}</span>
                )}
              </span>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
