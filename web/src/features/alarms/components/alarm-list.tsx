import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { ALARM_PRIORITIES, MAX_COMMENT_LENGTH, MAX_SHELVE_MINUTES, MIN_SHELVE_MINUTES, type AlarmEvent, type AlarmPriority, type Role } from '@park/protocol';
import { FirstOutBadge } from '../../../shared/alarms/first-out-badge';
import { alarmSite, alarmText, canAck, canShelve, canUnshelve, PRIORITY_KEY, PRIORITY_SYMBOL, siteName, STATE_KEY, STATE_SYMBOL, tagDisplayName } from '../../../shared/alarms/alarm-words';
import { ackAlarm, shelveAlarm, unshelveAlarm, type ActionOutcome } from '../../../shared/api/alarms';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { ACTIVE_STATES, awaitsAck, priorityRank, stateRank, type ActiveState } from '../../../shared/live/alarm-store';
import { useAlarmList, useCatalogue } from '../../../shared/live/live-instance';
import { AlarmCardLink } from '../../../shared/emergency/alarm-card-link';
import type { Catalogue } from '../../../shared/live/live-store';
import { decimalsFor, formatNumber } from '../../../shared/live/tag-status';
import { formatDateTimeWithZone } from '../../../shared/time/format';
import { refusalText } from '../../../shared/alarms/action-words';

// The active alarm list: sortable, filtered by priority, site and state, in
// pages; acknowledge one alarm or the unacknowledged alarms of the visible
// page with a comment; shelve one with a duration and a reason. What the role
// may not do is disabled with the reason beside it, and every action's result
// or refusal is listed in words. Keyboard: ↑/↓ move through the rows, A
// acknowledges the focused row.

export const PAGE_SIZE = 25;
const MAX_RESULTS = 20;
const DEFAULT_SHELVE_MINUTES = 30;

type SortKey = 'priority' | 'time' | 'state' | 'site' | 'tag';
type Filter<T extends string> = T | 'all';

interface ResultLine {
  readonly key: number;
  readonly alarmId: string;
  readonly ok: boolean;
  readonly text: string;
}

const ROLE_KEYS = { viewer: 'role.viewer', operator: 'role.operator', commander: 'role.commander', engineer: 'role.engineer', admin: 'role.admin' } as const satisfies Record<
  Role,
  string
>;

function compare(key: SortKey, catalogue: Catalogue | null): (a: AlarmEvent, b: AlarmEvent) => number {
  switch (key) {
    case 'priority':
      return (a, b) => priorityRank(a.priority) - priorityRank(b.priority) || b.raisedAt - a.raisedAt;
    case 'time':
      return (a, b) => b.raisedAt - a.raisedAt || priorityRank(a.priority) - priorityRank(b.priority);
    case 'state':
      return (a, b) => stateRank(a.state) - stateRank(b.state) || priorityRank(a.priority) - priorityRank(b.priority);
    case 'site':
      return (a, b) => (alarmSite(a, catalogue) ?? '~').localeCompare(alarmSite(b, catalogue) ?? '~') || priorityRank(a.priority) - priorityRank(b.priority);
    case 'tag':
      return (a, b) => a.id.localeCompare(b.id);
  }
}

function valueText(alarm: AlarmEvent, catalogue: Catalogue | null): string {
  if (alarm.value === null) return '—';
  const tag = catalogue?.byId.get(alarm.tagId);
  return `${formatNumber(alarm.value, decimalsFor(tag, alarm.value))}${tag?.unit ? ` ${tag.unit}` : ''}`;
}

export function AlarmList({ role, hrefOfIncident }: { role: Role; hrefOfIncident: (id: string) => string }) {
  const { t, lang } = useI18n();
  const alarms = useAlarmList();
  const catalogue = useCatalogue();
  const commentId = useId();
  const [priority, setPriority] = useState<Filter<AlarmPriority>>('all');
  const [site, setSite] = useState<string>('all');
  const [state, setState] = useState<Filter<ActiveState>>('all');
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: 'priority', descending: false });
  const [page, setPage] = useState(0);
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [results, setResults] = useState<readonly ResultLine[]>([]);
  const [shelving, setShelving] = useState<string | null>(null);
  const [confirmPage, setConfirmPage] = useState(false);
  const resultKey = useRef(0);
  const tbody = useRef<HTMLTableSectionElement>(null);

  const mayAck = canAck(role);
  const mayShelve = canShelve(role);
  const mayUnshelve = canUnshelve(role);
  const roleName = t(ROLE_KEYS[role]);

  const sites = useMemo(() => {
    const ids = new Set<string>();
    for (const s of catalogue?.park?.sites ?? []) ids.add(s.id);
    return [...ids];
  }, [catalogue]);

  const filtered = useMemo(() => {
    const out = alarms.filter((alarm) => {
      if (priority !== 'all' && alarm.priority !== priority) return false;
      if (state !== 'all' && alarm.state !== state) return false;
      if (site !== 'all') {
        const s = alarmSite(alarm, catalogue) ?? 'none';
        if (s !== site) return false;
      }
      return true;
    });
    const cmp = compare(sort.key, catalogue);
    out.sort(sort.descending ? (a, b) => cmp(b, a) : cmp);
    return out;
  }, [alarms, priority, state, site, sort, catalogue]);

  const pages = Math.max(1, Math.ceil(filtered.length / PAGE_SIZE));
  const pageIndex = Math.min(page, pages - 1);
  const visible = filtered.slice(pageIndex * PAGE_SIZE, pageIndex * PAGE_SIZE + PAGE_SIZE);
  const pageUnacked = visible.filter((alarm) => awaitsAck(alarm.state));

  function report(alarm: AlarmEvent, outcome: ActionOutcome, okText: string, failVerb: string): void {
    const text = alarmText(t, lang, alarm, catalogue);
    const line: ResultLine = outcome.ok
      ? { key: ++resultKey.current, alarmId: alarm.id, ok: true, text: t('action.result.ok', { verb: okText, text }) }
      : { key: ++resultKey.current, alarmId: alarm.id, ok: false, text: t('action.result.failed', { verb: failVerb, text, reason: refusalText(t, outcome) }) };
    setResults((current) => [line, ...current].slice(0, MAX_RESULTS));
  }

  function markBusy(ids: readonly string[], on: boolean): void {
    setBusy((current) => {
      const next = new Set(current);
      for (const id of ids) if (on) next.add(id);
      else next.delete(id);
      return next;
    });
  }

  async function acknowledge(targets: readonly AlarmEvent[]): Promise<void> {
    if (!mayAck || targets.length === 0) return;
    const ids = targets.map((a) => a.id);
    markBusy(ids, true);
    // One request per alarm, in order; each result is reported on its own.
    for (const alarm of targets) {
      const outcome = await ackAlarm(alarm.id, comment);
      report(alarm, outcome, t('action.acked'), t('action.ackFailed'));
    }
    markBusy(ids, false);
  }

  async function shelve(alarm: AlarmEvent, minutes: number, reason: string): Promise<boolean> {
    markBusy([alarm.id], true);
    const outcome = await shelveAlarm(alarm.id, minutes, reason);
    report(alarm, outcome, t('action.shelved', { minutes }), t('action.shelveFailed'));
    markBusy([alarm.id], false);
    return outcome.ok;
  }

  async function unshelve(alarm: AlarmEvent): Promise<void> {
    if (!mayUnshelve) return;
    markBusy([alarm.id], true);
    const outcome = await unshelveAlarm(alarm.id, comment);
    report(alarm, outcome, t('action.unshelved'), t('action.unshelveFailed'));
    markBusy([alarm.id], false);
  }

  function sortBy(key: SortKey): void {
    setSort((current) => (current.key === key ? { key, descending: !current.descending } : { key, descending: false }));
  }

  function onRowKey(event: KeyboardEvent<HTMLTableRowElement>, alarm: AlarmEvent): void {
    if (event.target !== event.currentTarget) return;
    const row = event.currentTarget;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = (event.key === 'ArrowDown' ? row.nextElementSibling : row.previousElementSibling) as HTMLElement | null;
      next?.focus();
    } else if ((event.key === 'a' || event.key === 'A') && mayAck && awaitsAck(alarm.state) && !busy.has(alarm.id)) {
      event.preventDefault();
      void acknowledge([alarm]);
    }
  }

  const header = (key: SortKey, label: string) => (
    <th scope="col" aria-sort={sort.key === key ? (sort.descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className="alarms__sort" data-testid={`sort-${key}`} onClick={() => sortBy(key)}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.descending ? ' ▾' : ' ▴') : ' ↕'}</span>
      </button>
    </th>
  );

  return (
    <div className="alarms" data-testid="alarm-list" data-count={filtered.length}>
      <div className="alarms__filters" role="group" aria-label={t('alarms.filters')}>
        <label className="field">
          <span className="field__label">{t('alarms.filter.priority')}</span>
          <select className="field__input" data-testid="filter-priority" value={priority} onChange={(e) => (setPriority(e.target.value as Filter<AlarmPriority>), setPage(0))}>
            <option value="all">{t('alarms.filter.all')}</option>
            {ALARM_PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_SYMBOL[p]} {t(PRIORITY_KEY[p])}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">{t('alarms.filter.site')}</span>
          <select className="field__input" data-testid="filter-site" value={site} onChange={(e) => (setSite(e.target.value), setPage(0))}>
            <option value="all">{t('alarms.filter.all')}</option>
            {sites.map((s) => (
              <option key={s} value={s}>
                {siteName(catalogue, s, lang)}
              </option>
            ))}
            <option value="none">{t('alarms.filter.noSite')}</option>
          </select>
        </label>
        <label className="field">
          <span className="field__label">{t('alarms.filter.state')}</span>
          <select className="field__input" data-testid="filter-state" value={state} onChange={(e) => (setState(e.target.value as Filter<ActiveState>), setPage(0))}>
            <option value="all">{t('alarms.filter.all')}</option>
            {ACTIVE_STATES.map((s) => (
              <option key={s} value={s}>
                {t(STATE_KEY[s])}
              </option>
            ))}
          </select>
        </label>
        <label className="field field--wide" htmlFor={commentId}>
          <span className="field__label">{t('alarms.comment')}</span>
          <input
            id={commentId}
            className="field__input"
            data-testid="ack-comment"
            maxLength={MAX_COMMENT_LENGTH}
            value={comment}
            disabled={!mayAck}
            placeholder={t('alarms.comment.placeholder')}
            onChange={(e) => setComment(e.target.value)}
          />
        </label>
        <div className="alarms__page-ack">
          {confirmPage ? (
            <span className="alarms__confirm" role="group" data-testid="ack-page-confirm">
              {t('alarms.ackPage.confirm', { n: pageUnacked.length })}{' '}
              <button
                type="button"
                className="button button--primary"
                data-testid="ack-page-yes"
                onClick={() => {
                  setConfirmPage(false);
                  void acknowledge(pageUnacked);
                }}
              >
                {t('alarms.ackPage.yes')}
              </button>{' '}
              <button type="button" className="button" onClick={() => setConfirmPage(false)}>
                {t('alarms.cancel')}
              </button>
            </span>
          ) : (
            <button
              type="button"
              className="button"
              data-testid="ack-page"
              disabled={!mayAck || pageUnacked.length === 0}
              title={mayAck ? undefined : t('alarms.role.noAck', { role: roleName })}
              onClick={() => setConfirmPage(true)}
            >
              {t('alarms.ackPage', { n: pageUnacked.length })}
            </button>
          )}
        </div>
      </div>

      {(!mayAck || !mayShelve) && (
        <p className="alarms__role-note" data-testid="role-note" role="note">
          <span aria-hidden="true">ⓘ </span>
          {!mayAck ? t('alarms.role.noAck', { role: roleName }) : t('alarms.role.noShelve', { role: roleName })}
        </p>
      )}

      {results.length > 0 && (
        <ul className="alarms__results" aria-live="polite" data-testid="action-results">
          {results.map((line) => (
            <li key={line.key} className="alarms__result" data-testid="action-result" data-ok={line.ok} data-alarm-id={line.alarmId}>
              <span aria-hidden="true">{line.ok ? '✓ ' : '✕ '}</span>
              {line.text}
            </li>
          ))}
        </ul>
      )}

      <p className="alarms__summary" data-testid="alarm-list-summary">
        {t('alarms.summary', { shown: visible.length, total: filtered.length, all: alarms.length })}
      </p>

      <div className="alarms__table-wrap">
        <table className="alarms__table">
          <thead>
            <tr>
              {header('priority', t('alarms.col.priority'))}
              {header('state', t('alarms.col.state'))}
              {header('time', t('alarms.col.time'))}
              {header('site', t('alarms.col.site'))}
              {header('tag', t('alarms.col.tag'))}
              <th scope="col">{t('alarms.col.text')}</th>
              <th scope="col">{t('alarms.col.value')}</th>
              <th scope="col">{t('alarms.col.ack')}</th>
              <th scope="col">{t('alarms.col.actions')}</th>
            </tr>
          </thead>
          <tbody ref={tbody}>
            {visible.length === 0 && (
              <tr>
                <td colSpan={9} className="alarms__empty" data-testid="alarm-list-empty">
                  {alarms.length === 0 ? t('alarms.none') : t('alarms.noneMatch')}
                </td>
              </tr>
            )}
            {visible.map((alarm) => {
              const tag = catalogue?.byId.get(alarm.tagId);
              const working = busy.has(alarm.id);
              const ackable = awaitsAck(alarm.state);
              const shelvable = alarm.state === 'unack' || alarm.state === 'acked' || alarm.state === 'rtn-unack';
              return (
                <tr
                  key={alarm.id}
                  className="alarms__row"
                  tabIndex={0}
                  data-testid={`alarm-row-${alarm.id}`}
                  data-alarm-id={alarm.id}
                  data-priority={alarm.priority}
                  data-state={alarm.state}
                  data-first-out={alarm.firstOut === true}
                  onKeyDown={(e) => onRowKey(e, alarm)}
                >
                  <td>
                    <span className="prio-badge" data-priority={alarm.priority}>
                      <span aria-hidden="true">{PRIORITY_SYMBOL[alarm.priority]} </span>
                      {t(PRIORITY_KEY[alarm.priority])}
                    </span>
                    <FirstOutBadge alarm={alarm} />
                  </td>
                  <td className="alarms__state" data-testid="alarm-state" data-state={alarm.state}>
                    <span aria-hidden="true">{STATE_SYMBOL[alarm.state]} </span>
                    {t(STATE_KEY[alarm.state])}
                    {alarm.state === 'shelved' && alarm.shelvedUntil !== undefined && (
                      <span className="alarms__sub">{t('alarms.shelvedUntil', { time: formatDateTimeWithZone(new Date(alarm.shelvedUntil)) })}</span>
                    )}
                  </td>
                  <td className="alarms__time">{alarm.raisedAt > 0 ? formatDateTimeWithZone(new Date(alarm.raisedAt)) : '—'}</td>
                  <td>{siteName(catalogue, alarmSite(alarm, catalogue), lang)}</td>
                  <td>
                    <span className="alarms__tag-name">{alarm.kind === 'gateway-offline' ? alarm.tagId : tagDisplayName(tag, alarm.tagId, lang)}</span>
                    <span className="alarms__sub">{alarm.id}</span>
                  </td>
                  <td data-testid="alarm-text">
                    {alarmText(t, lang, alarm, catalogue)}
                    {(alarm.priority === 'critical' || alarm.priority === 'high') && (
                      <span className="alarms__sub">
                        <AlarmCardLink alarm={alarm} role={role} hrefOfIncident={hrefOfIncident} />
                      </span>
                    )}
                  </td>
                  <td className="alarms__value">{valueText(alarm, catalogue)}</td>
                  <td className="alarms__acked">
                    {alarm.ackedBy ? t('alarms.ackedBy', { user: alarm.ackedBy, time: formatDateTimeWithZone(new Date(alarm.ackedAt ?? alarm.ts)) }) : '—'}
                    {alarm.comment && (
                      <span className="alarms__sub" data-testid="alarm-comment">
                        {t('alarms.commentShown', { comment: alarm.comment })}
                      </span>
                    )}
                  </td>
                  <td className="alarms__actions">
                    <button
                      type="button"
                      className="button button--primary"
                      data-testid="ack"
                      disabled={!mayAck || !ackable || working}
                      title={!mayAck ? t('alarms.role.noAck', { role: roleName }) : !ackable ? t('alarms.ack.notNeeded') : undefined}
                      onClick={() => void acknowledge([alarm])}
                    >
                      {t('alarms.ack')}
                    </button>
                    {alarm.state === 'shelved' && (
                      <button
                        type="button"
                        className="button"
                        data-testid="unshelve"
                        disabled={!mayUnshelve || working}
                        title={!mayUnshelve ? t('alarms.role.noShelve', { role: roleName }) : t('alarms.unshelve.hint')}
                        onClick={() => void unshelve(alarm)}
                      >
                        {t('alarms.unshelve')}
                      </button>
                    )}
                    <button
                      type="button"
                      className="button"
                      data-testid="shelve"
                      disabled={!mayShelve || !shelvable || working}
                      title={!mayShelve ? t('alarms.role.noShelve', { role: roleName }) : !shelvable ? t('alarms.shelve.notPossible') : undefined}
                      aria-expanded={shelving === alarm.id}
                      onClick={() => setShelving((current) => (current === alarm.id ? null : alarm.id))}
                    >
                      {t('alarms.shelve')}
                    </button>
                    {shelving === alarm.id && mayShelve && (
                      <ShelveForm
                        onCancel={() => setShelving(null)}
                        onSubmit={async (minutes, reason) => {
                          if (await shelve(alarm, minutes, reason)) setShelving(null);
                        }}
                        busy={working}
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>

      {pages > 1 && (
        <div className="alarms__pager" data-testid="pager">
          <button type="button" className="button" disabled={pageIndex === 0} onClick={() => setPage(pageIndex - 1)}>
            {t('alarms.page.prev')}
          </button>
          <span>{t('alarms.page.of', { page: pageIndex + 1, pages })}</span>
          <button type="button" className="button" disabled={pageIndex >= pages - 1} onClick={() => setPage(pageIndex + 1)}>
            {t('alarms.page.next')}
          </button>
        </div>
      )}
    </div>
  );
}

function ShelveForm({ onSubmit, onCancel, busy }: { onSubmit: (minutes: number, reason: string) => Promise<void>; onCancel: () => void; busy: boolean }) {
  const { t } = useI18n();
  const [minutes, setMinutes] = useState(String(DEFAULT_SHELVE_MINUTES));
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <form
      className="shelve"
      data-testid="shelve-form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const n = Number(minutes);
        if (!Number.isInteger(n) || n < MIN_SHELVE_MINUTES || n > MAX_SHELVE_MINUTES) {
          setError(t('alarms.shelve.badMinutes', { min: MIN_SHELVE_MINUTES, max: MAX_SHELVE_MINUTES }));
          return;
        }
        if (reason.trim() === '') {
          setError(t('alarms.shelve.noReason'));
          return;
        }
        setError(null);
        void onSubmit(n, reason);
      }}
    >
      <label className="field">
        <span className="field__label">{t('alarms.shelve.minutes', { min: MIN_SHELVE_MINUTES, max: MAX_SHELVE_MINUTES })}</span>
        <input
          className="field__input"
          data-testid="shelve-minutes"
          type="number"
          inputMode="numeric"
          min={MIN_SHELVE_MINUTES}
          max={MAX_SHELVE_MINUTES}
          step={1}
          value={minutes}
          onChange={(e) => setMinutes(e.target.value)}
        />
      </label>
      <label className="field">
        <span className="field__label">{t('alarms.shelve.reason')}</span>
        <input className="field__input" data-testid="shelve-reason" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} />
      </label>
      {error && (
        <p className="shelve__error" role="alert" data-testid="shelve-error">
          {error}
        </p>
      )}
      <div className="shelve__buttons">
        <button type="submit" className="button button--primary" data-testid="shelve-submit" disabled={busy}>
          {t('alarms.shelve.submit')}
        </button>
        <button type="button" className="button" onClick={onCancel}>
          {t('alarms.cancel')}
        </button>
      </div>
    </form>
  );
}
