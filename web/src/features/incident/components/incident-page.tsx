import { useCallback, useEffect, useId, useRef, useState } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import type { Role } from '@park/protocol';
import { canAck } from '../../../shared/alarms/alarm-words';
import {
  addIncidentNote,
  fetchCard,
  fetchIncident,
  stepComment,
  tickStep,
  type CardStep,
  type EmergencyCard,
  type IncidentDetail,
  type IncidentStep,
  type MapPoint,
  type TimelineEntry,
  type ValvePosition,
  type ValveState,
} from '../../../shared/api/emergency';
import { useI18n } from '../../../shared/i18n/i18n-context';
import type { MessageKey } from '../../../shared/i18n/messages';
import { formatDateTimeWithZone } from '../../../shared/time/format';
import { ParkMap } from './park-map';

// One incident for the commander (`#/incident/{id}`), phone first: the
// card's ordered steps with the responsible post, the time limit and the
// live position of each step's valves, tick-off with a comment (who and
// when shown); the park map with the hazard zone; assembly point, PPE,
// contacts, the substance's hazards; the record with notes. Whatever the
// card or the distances mark `verified: false` says 未核实 / NOT VERIFIED.
// Polled every 3 s (no push for incidents yet).

const INCIDENT_POLL_MS = 3_000;


type LoadState = { detail: IncidentDetail | null; error: string | null; at: number | null };

function useIncident(id: string): { state: LoadState; reload: () => void } {
  const { t } = useI18n();
  const tRef = useRef(t);
  tRef.current = t;
  const [state, setState] = useState<LoadState>({ detail: null, error: null, at: null });
  const kick = useRef<() => void>(() => {});
  useEffect(() => {
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let inFlight = false;
    setState({ detail: null, error: null, at: null });
    const poll = async (): Promise<void> => {
      if (inFlight) return;
      inFlight = true;
      clearTimeout(timer);
      try {
        const detail = await fetchIncident(id, controller.signal);
        if (controller.signal.aborted) return;
        setState({ detail, error: null, at: Date.now() });
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((s) => ({ ...s, error: apiErrorText(tRef.current, error) }));
      } finally {
        inFlight = false;
      }
      if (!controller.signal.aborted) timer = setTimeout(() => void poll(), INCIDENT_POLL_MS);
    };
    kick.current = () => void poll();
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [id]);
  const reload = useCallback(() => kick.current(), []);
  return { state, reload };
}

function useAssemblyPoint(cardId: string | undefined): MapPoint | null {
  const [point, setPoint] = useState<MapPoint | null>(null);
  useEffect(() => {
    if (!cardId) return;
    const controller = new AbortController();
    fetchCard(cardId, controller.signal).then(
      (answer) => setPoint(answer.assemblyPoint),
      () => {},
    );
    return () => controller.abort();
  }, [cardId]);
  return point;
}

export function IncidentPage({ id, role, backHref }: { id: string; role: Role; backHref: string }) {
  const { t, lang } = useI18n();
  const { state, reload } = useIncident(id);
  const detail = state.detail;
  const card = detail?.card ?? null;
  const assembly = useAssemblyPoint(card?.card.id);

  return (
    <div className="incident command" data-testid="incident-page" data-incident-id={id} data-state={detail?.state ?? 'loading'}>
      <a className="incident__back" href={backHref} data-testid="incident-back">
        {t('incident.back')}
      </a>
      {state.error !== null && (
        <p className="command__not-live" role="alert" data-testid="incident-error">
          <span aria-hidden="true">⚠ </span>
          {detail && state.at !== null ? t('incident.notLive', { error: state.error, time: formatDateTimeWithZone(new Date(state.at)) }) : t('incident.error', { error: state.error })}
        </p>
      )}
      {!detail && state.error === null && <p className="command__none">{t('incident.loading')}</p>}
      {detail && (
        <>
          <header className="incident__header">
            <p className="incident__state" data-testid="incident-state" data-state={detail.state}>
              {detail.state === 'open' ? `● ${t('incident.state.open')}` : `■ ${t('incident.state.closed')}`}
            </p>
            <h3 className="incident__title" data-testid="incident-title">
              {card ? t('incident.card', { title: card.card.title[lang], version: detail.cardVersion, date: card.card.reviewDate }) : detail.cardId}
            </h3>
            <p className="command-card__meta">
              {t('incident.openedAt', { time: formatDateTimeWithZone(new Date(detail.openedAt)), user: detail.openedBy })}
              {detail.closedAt !== undefined && <> · {t('incident.closedAt', { time: formatDateTimeWithZone(new Date(detail.closedAt)), user: detail.closedBy ?? '?' })}</>}
            </p>
            {detail.alarmId && <p className="command-card__meta">{t('incident.alarm', { alarm: detail.alarmId })}</p>}
            <p className="command-card__meta">{card?.card.post[lang]}</p>
          </header>
          {card && !card.substance.verified && (
            <p className="not-verified" data-testid="card-not-verified">
              <span className="not-verified__badge">⚠ {t('incident.notVerified')}</span> {t('incident.notVerified.substance')}
            </p>
          )}
          {card && !card.zone.verified && (
            <p className="not-verified" data-testid="card-zone-not-verified">
              <span className="not-verified__badge">⚠ {t('incident.notVerified')}</span> {t('incident.notVerified.zone')}
            </p>
          )}
          {!card && <p className="command__error">{t('incident.noCard')}</p>}
          {card && <Steps detail={detail} card={card} role={role} onChange={reload} />}
          <section className="command__section" aria-labelledby="incident-map-heading" data-testid="incident-map">
            <h3 id="incident-map-heading" className="command__heading">
              {t('map.title')}
            </h3>
            <ParkMap hazardSource={detail.hazardSource} {...(card ? { card: card.card.id } : {})} assemblyPoint={assembly} />
          </section>
          {card && <CardFacts card={card} assembly={assembly} />}
          <Timeline detail={detail} card={card} role={role} onChange={reload} />
        </>
      )}
    </div>
  );
}

const VALVE_KEY = {
  open: 'incident.valve.open',
  closed: 'incident.valve.closed',
  travel: 'incident.valve.travel',
  mismatch: 'incident.valve.mismatch',
  unknown: 'incident.valve.unknown',
} as const satisfies Record<ValvePosition, MessageKey>;
const VALVE_SYMBOL: Record<ValvePosition, string> = { open: '◯', closed: '⬤', travel: '◐', mismatch: '✕', unknown: '?' };

function Steps({ detail, card, role, onChange }: { detail: IncidentDetail; card: EmergencyCard; role: Role; onChange: () => void }) {
  const { t } = useI18n();
  const done = detail.steps.filter((s) => s.done).length;
  return (
    <section className="command__section" aria-labelledby="incident-steps-heading" data-testid="incident-steps">
      <h3 id="incident-steps-heading" className="command__heading">
        {t('incident.steps', { done, total: detail.steps.length })}
      </h3>
      <ol className="command__cards incident__steps">
        {card.steps.map((step) => (
          <StepItem
            key={step.seq}
            step={step}
            state={detail.steps.find((s) => s.seq === step.seq) ?? { seq: step.seq, done: false }}
            valves={(step.valves ?? []).map((v) => detail.valves.find((x) => x.id === v)).filter((v): v is ValveState => v !== undefined)}
            timeline={detail.timeline}
            incidentId={detail.id}
            open={detail.state === 'open'}
            role={role}
            onChange={onChange}
          />
        ))}
      </ol>
    </section>
  );
}

function StepItem({
  step,
  state,
  valves,
  timeline,
  incidentId,
  open,
  role,
  onChange,
}: {
  step: CardStep;
  state: IncidentStep;
  valves: readonly ValveState[];
  timeline: readonly TimelineEntry[];
  incidentId: string;
  open: boolean;
  role: Role;
  onChange: () => void;
}) {
  const { t, lang } = useI18n();
  const commentId = useId();
  const [formOpen, setFormOpen] = useState(false);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const last = [...timeline].reverse().find((e) => e.type === 'step' && e.seq === step.seq);
  const shownComment = state.done && last ? stepComment(last, step.action.zh) : null;
  const mayAct = canAck(role) && open;

  async function send(doneNow: boolean): Promise<void> {
    setBusy(true);
    setFailure(null);
    const outcome = await tickStep(incidentId, step.seq, doneNow, doneNow ? comment : undefined);
    setBusy(false);
    if (outcome.ok) {
      setFormOpen(false);
      setComment('');
      onChange();
    } else {
      setFailure(t('incident.step.failed', { reason: outcome.error }));
      onChange();
    }
  }

  return (
    <li className="command-card incident-step" data-testid={`incident-step-${step.seq}`} data-done={state.done}>
      <p className="incident-step__head">
        <span className="incident-step__seq">{step.seq}</span>
        <span className="incident-step__action">{step.action[lang]}</span>
      </p>
      <p className="command-card__meta">
        {t('incident.step.post', { post: step.post[lang] })}
        {step.timeLimitMin !== undefined && <> · ⏱ {t('incident.step.limit', { n: step.timeLimitMin })}</>}
      </p>
      {valves.length > 0 && (
        <ul className="incident-step__valves" aria-label={t('incident.valves')}>
          {valves.map((v) => (
            <li key={v.id} className="valve" data-testid={`valve-${v.id}`} data-position={v.position}>
              <span aria-hidden="true">{VALVE_SYMBOL[v.position]} </span>
              {v.name[lang]}: <strong>{t(VALVE_KEY[v.position])}</strong>
              {v.ts !== undefined && <span className="valve__time"> ({formatDateTimeWithZone(new Date(v.ts))})</span>}
            </li>
          ))}
        </ul>
      )}
      <p className="incident-step__status" data-testid="incident-step-status">
        {state.done ? t('incident.step.done', { user: state.doneBy ?? '?', time: state.doneAt !== undefined ? formatDateTimeWithZone(new Date(state.doneAt)) : '?' }) : t('incident.step.pending')}
      </p>
      {shownComment && (
        <p className="incident-step__comment" data-testid="incident-step-comment">
          {t('incident.step.comment', { comment: shownComment })}
        </p>
      )}
      {failure && (
        <p className="command-card__result" role="alert" data-ok="false" data-testid="incident-step-failure">
          ✕ {failure}
        </p>
      )}
      {mayAct &&
        (state.done ? (
          <button type="button" className="button button--touch incident-step__undo" data-testid="incident-step-undo" disabled={busy} onClick={() => void send(false)}>
            {t('incident.step.untick')}
          </button>
        ) : formOpen ? (
          <form
            className="command-card__ack"
            data-testid="incident-step-form"
            onSubmit={(event) => {
              event.preventDefault();
              void send(true);
            }}
          >
            <label htmlFor={commentId} className="field__label">
              {t('incident.step.commentLabel')}
            </label>
            <textarea id={commentId} className="field__input command-card__comment" data-testid="incident-step-comment-input" rows={2} maxLength={500} value={comment} onChange={(e) => setComment(e.target.value)} />
            <div className="command-card__buttons">
              <button type="submit" className="button button--primary button--touch" data-testid="incident-step-submit" disabled={busy}>
                {busy ? t('incident.step.busy') : t('incident.step.submit')}
              </button>
              <button type="button" className="button button--touch" onClick={() => setFormOpen(false)} disabled={busy}>
                {t('alarms.cancel')}
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="button button--primary button--touch" data-testid="incident-step-tick" onClick={() => setFormOpen(true)}>
            {t('incident.step.tick')}
          </button>
        ))}
    </li>
  );
}

function CardFacts({ card, assembly }: { card: EmergencyCard; assembly: MapPoint | null }) {
  const { t, lang } = useI18n();
  const s = card.substance;
  return (
    <>
      <section className="command__section" aria-labelledby="incident-assembly" data-testid="incident-assembly">
        <h3 id="incident-assembly" className="command__heading">
          ⚑ {t('incident.assembly')}
        </h3>
        <p className="incident__fact">{assembly ? t('incident.assembly.at', { name: assembly.name[lang], x: assembly.x, y: assembly.y }) : card.assemblyPoint}</p>
      </section>
      <section className="command__section" aria-labelledby="incident-ppe" data-testid="incident-ppe">
        <h3 id="incident-ppe" className="command__heading">
          {t('incident.ppe')}
        </h3>
        <ul className="incident__list">
          {card.ppe.map((p) => (
            <li key={p.zh}>{p[lang]}</li>
          ))}
        </ul>
      </section>
      <section className="command__section" aria-labelledby="incident-contacts" data-testid="incident-contacts">
        <h3 id="incident-contacts" className="command__heading">
          {t('incident.contacts')}
        </h3>
        <ul className="incident__list incident__contacts">
          {card.contacts.map((c) => (
            <li key={`${c.role.zh}-${c.phone}`}>
              {c.role[lang]}
              {c.name ? ` (${c.name})` : ''}:{' '}
              <a className="incident__phone" href={`tel:${c.phone.replace(/[^\d+]/g, '')}`}>
                ☎ {c.phone}
              </a>
            </li>
          ))}
        </ul>
      </section>
      {card.precautions && card.precautions.length > 0 && (
        <section className="command__section" aria-labelledby="incident-precautions">
          <h3 id="incident-precautions" className="command__heading">
            {t('incident.precautions')}
          </h3>
          <ul className="incident__list">
            {card.precautions.map((p) => (
              <li key={p.zh}>⚠ {p[lang]}</li>
            ))}
          </ul>
        </section>
      )}
      <section className="command__section" aria-labelledby="incident-substance" data-testid="incident-substance" data-verified={s.verified}>
        <h3 id="incident-substance" className="command__heading">
          {t('incident.substance')}: {s.name[lang]}
          {!s.verified && <span className="not-verified__badge"> ⚠ {t('incident.notVerified')}</span>}
        </h3>
        <p className="command-card__meta">{t('incident.substance.ids', { cas: s.cas ?? '—', un: s.un ?? '—', guide: s.ergGuide ?? '—' })}</p>
        <ul className="incident__list">
          {s.ghs.map((g) => (
            <li key={g.zh}>{g[lang]}</li>
          ))}
        </ul>
        <h4 className="incident__subheading">{t('incident.firstAid')}</h4>
        <p className="incident__fact">{s.firstAid[lang]}</p>
        <h4 className="incident__subheading">{t('incident.fireFighting')}</h4>
        <p className="incident__fact">{s.fireFighting[lang]}</p>
        <h4 className="incident__subheading">{t('incident.spillMeasures')}</h4>
        <p className="incident__fact">{s.spill[lang]}</p>
      </section>
    </>
  );
}

function Timeline({ detail, card, role, onChange }: { detail: IncidentDetail; card: EmergencyCard | null; role: Role; onChange: () => void }) {
  const { t } = useI18n();
  const noteId = useId();
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const mayAct = canAck(role) && detail.state === 'open';
  void card;

  async function add(): Promise<void> {
    if (text.trim() === '') return;
    setBusy(true);
    setFailure(null);
    const outcome = await addIncidentNote(detail.id, text);
    setBusy(false);
    if (outcome.ok) {
      setText('');
      onChange();
    } else setFailure(t('incident.note.failed', { reason: outcome.error }));
  }

  const entries = [...detail.timeline].reverse();
  return (
    <section className="command__section" aria-labelledby="incident-timeline" data-testid="incident-timeline">
      <h3 id="incident-timeline" className="command__heading">
        {t('incident.timeline')}
      </h3>
      <p className="incident__export" data-testid="incident-export">
        {t('incident.export')}{' '}
        <a className="button button--touch" href={`/api/incidents/${encodeURIComponent(detail.id)}/record.csv`} download data-testid="incident-export-csv">
          CSV
        </a>{' '}
        <a className="button button--touch" href={`/api/incidents/${encodeURIComponent(detail.id)}/record.html`} target="_blank" rel="noopener" data-testid="incident-export-html">
          {t('incident.export.print')}
        </a>
      </p>
      {mayAct && (
        <form
          className="command-card__ack"
          data-testid="incident-note-form"
          onSubmit={(event) => {
            event.preventDefault();
            void add();
          }}
        >
          <label htmlFor={noteId} className="field__label">
            {t('incident.note.label')}
          </label>
          <textarea id={noteId} className="field__input command-card__comment" data-testid="incident-note-input" rows={2} maxLength={1000} value={text} placeholder={t('incident.note.placeholder')} onChange={(e) => setText(e.target.value)} />
          {failure && (
            <p className="command-card__result" role="alert" data-ok="false">
              ✕ {failure}
            </p>
          )}
          <button type="submit" className="button button--touch" data-testid="incident-note-submit" disabled={busy || text.trim() === ''}>
            {t('incident.note.submit')}
          </button>
        </form>
      )}
      {entries.length === 0 ? (
        <p className="command__none">{t('incident.timeline.empty')}</p>
      ) : (
        <ol className="incident__timeline" reversed>
          {entries.map((e) => (
            <li key={`${e.ts}-${e.type}`} className="incident__entry" data-testid={`timeline-${e.type}`} data-type={e.type}>
              <time dateTime={new Date(e.ts).toISOString()}>{formatDateTimeWithZone(new Date(e.ts))}</time>
              {e.user && <span className="incident__entry-user"> · {e.user}</span>}
              <span className="incident__entry-text"> · {e.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
