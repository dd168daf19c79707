import { useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { ALARM_STATES, type AlarmState } from '@park/protocol';
import { alarmText, PRIORITY_KEY, PRIORITY_SYMBOL, siteName, STATE_KEY, tagDisplayName } from '../../../shared/alarms/alarm-words';
import { ApiError } from '../../../shared/api/client';
import { fetchJournal, type JournalEntry } from '../../../shared/api/alarms';
import { downloadCsv, fileStamp, toCsv } from '../../../shared/csv/csv';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import type { MessageKey } from '../../../shared/i18n/messages';
import { useCatalogue } from '../../../shared/live/live-instance';
import { decimalsFor, formatNumber } from '../../../shared/live/tag-status';
import { formatDateTimeWithZone } from '../../../shared/time/format';

// The alarm journal (every transition, with who and why): search by time
// range, tag, area (site) and user; the result as a table and as CSV for
// Excel (built here from the result; UTF-8 with BOM so Chinese shows).

const RANGES = [
  { key: '1h', ms: 3_600_000 },
  { key: '24h', ms: 86_400_000 },
  { key: '7d', ms: 7 * 86_400_000 },
  { key: '30d', ms: 30 * 86_400_000 },
] as const;
type RangeKey = (typeof RANGES)[number]['key'] | 'custom';
const LIMITS = [100, 500, 1000, 5000] as const;

const CAUSE_KEYS: Readonly<Partial<Record<string, Extract<MessageKey, `journal.cause.${string}`>>>> = {
  condition: 'journal.cause.condition',
  ack: 'journal.cause.ack',
  shelve: 'journal.cause.shelve',
  unshelve: 'journal.cause.unshelve',
  'shelve-expired': 'journal.cause.shelve-expired',
  suppress: 'journal.cause.suppress',
  unsuppress: 'journal.cause.unsuppress',
  'out-of-service': 'journal.cause.out-of-service',
  'in-service': 'journal.cause.in-service',
  restore: 'journal.cause.restore',
};

function causeText(t: I18n['t'], cause: string): string {
  const key = CAUSE_KEYS[cause];
  return key ? t(key) : cause;
}

function stateText(t: I18n['t'], state: string): string {
  return (ALARM_STATES as readonly string[]).includes(state) ? t(STATE_KEY[state as AlarmState]) : state;
}

/** `yyyy-MM-ddTHH:mm` in local time, for datetime-local inputs. */
function localInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

type Status =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'error'; readonly text: string }
  | { readonly kind: 'done'; readonly entries: readonly JournalEntry[]; readonly limit: number; readonly fromMs: number; readonly toMs: number };

export function JournalPage() {
  const { t, lang } = useI18n();
  const catalogue = useCatalogue();
  const tagListId = useId();
  const [range, setRange] = useState<RangeKey>('24h');
  const [from, setFrom] = useState(() => localInput(Date.now() - 86_400_000));
  const [to, setTo] = useState(() => localInput(Date.now()));
  const [tag, setTag] = useState('');
  const [area, setArea] = useState('');
  const [user, setUser] = useState('');
  const [limit, setLimit] = useState<number>(500);
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const running = useRef<AbortController | null>(null);

  const sites = catalogue?.park?.sites ?? [];
  const tagIds = useMemo(() => catalogue?.tags.map((x) => x.id) ?? [], [catalogue]);

  async function search(event?: FormEvent): Promise<void> {
    event?.preventDefault();
    let fromMs: number;
    let toMs: number;
    if (range === 'custom') {
      fromMs = new Date(from).getTime();
      toMs = to === '' ? Date.now() : new Date(to).getTime();
      if (!Number.isFinite(fromMs) || !Number.isFinite(toMs)) {
        setStatus({ kind: 'error', text: t('journal.error.time') });
        return;
      }
      if (fromMs >= toMs) {
        setStatus({ kind: 'error', text: t('journal.error.order') });
        return;
      }
    } else {
      toMs = Date.now();
      fromMs = toMs - (RANGES.find((r) => r.key === range)?.ms ?? 86_400_000);
    }
    running.current?.abort();
    const controller = new AbortController();
    running.current = controller;
    setStatus({ kind: 'loading' });
    try {
      const entries = await fetchJournal(
        { fromMs, toMs, limit, ...(tag.trim() ? { tag: tag.trim() } : {}), ...(area ? { area } : {}), ...(user.trim() ? { user: user.trim() } : {}) },
        controller.signal,
      );
      if (controller.signal.aborted) return;
      setStatus({ kind: 'done', entries, limit, fromMs, toMs });
    } catch (error) {
      if (controller.signal.aborted) return;
      const text =
        error instanceof ApiError
          ? error.code === 'http'
            ? t('journal.error.refused', { reason: error.message })
            : error.code === 'timeout'
              ? t('api.error.timeout')
              : error.code === 'invalid-response'
                ? t('api.error.invalid-response')
                : t('api.error.network')
          : String(error);
      setStatus({ kind: 'error', text });
    }
  }

  function exportCsv(entries: readonly JournalEntry[]): void {
    const header = [
      t('journal.csv.time'),
      t('journal.csv.alarm'),
      t('journal.csv.tag'),
      t('journal.csv.name'),
      t('journal.csv.priority'),
      t('journal.csv.previous'),
      t('journal.csv.state'),
      t('journal.csv.cause'),
      t('journal.csv.user'),
      t('journal.csv.comment'),
      t('journal.csv.area'),
      t('journal.csv.value'),
      t('journal.csv.limit'),
      t('journal.csv.unit'),
      t('journal.csv.text'),
    ];
    const rows = entries.map((e) => {
      const tagInfo = catalogue?.byId.get(e.tagId);
      return [
        formatDateTimeWithZone(new Date(e.ts)),
        e.id,
        e.tagId,
        e.kind === 'gateway-offline' ? e.tagId : tagDisplayName(tagInfo, e.tagId, lang),
        t(PRIORITY_KEY[e.priority]),
        stateText(t, e.previous),
        stateText(t, e.state),
        causeText(t, e.cause),
        e.user ?? e.ackedBy ?? '',
        e.comment ?? '',
        e.area,
        e.value,
        e.limit,
        tagInfo?.unit ?? '',
        alarmText(t, lang, e, catalogue),
      ];
    });
    downloadCsv(`alarm-journal-${fileStamp(new Date())}.csv`, toCsv(header, rows));
  }

  return (
    <div className="journal" data-testid="journal">
      <form className="journal__form" onSubmit={(e) => void search(e)} data-testid="journal-form">
        <label className="field">
          <span className="field__label">{t('journal.range')}</span>
          <select className="field__input" data-testid="journal-range" value={range} onChange={(e) => setRange(e.target.value as RangeKey)}>
            {RANGES.map((r) => (
              <option key={r.key} value={r.key}>
                {t(`journal.range.${r.key}`)}
              </option>
            ))}
            <option value="custom">{t('journal.range.custom')}</option>
          </select>
        </label>
        {range === 'custom' && (
          <>
            <label className="field">
              <span className="field__label">{t('journal.from')}</span>
              <input className="field__input" type="datetime-local" data-testid="journal-from" value={from} onChange={(e) => setFrom(e.target.value)} />
            </label>
            <label className="field">
              <span className="field__label">{t('journal.to')}</span>
              <input className="field__input" type="datetime-local" data-testid="journal-to" value={to} onChange={(e) => setTo(e.target.value)} />
            </label>
          </>
        )}
        <label className="field">
          <span className="field__label">{t('journal.tag')}</span>
          <input className="field__input" data-testid="journal-tag" list={tagListId} value={tag} spellCheck={false} autoCapitalize="none" onChange={(e) => setTag(e.target.value)} />
          <datalist id={tagListId}>
            {tagIds.map((id) => (
              <option key={id} value={id} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span className="field__label">{t('journal.area')}</span>
          <select className="field__input" data-testid="journal-area" value={area} onChange={(e) => setArea(e.target.value)}>
            <option value="">{t('alarms.filter.all')}</option>
            {sites.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name[lang]}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">{t('journal.user')}</span>
          <input className="field__input" data-testid="journal-user" value={user} autoCapitalize="none" spellCheck={false} onChange={(e) => setUser(e.target.value)} />
        </label>
        <label className="field">
          <span className="field__label">{t('journal.limit')}</span>
          <select className="field__input" data-testid="journal-limit" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
            {LIMITS.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <div className="journal__buttons">
          <button type="submit" className="button button--primary" data-testid="journal-search" disabled={status.kind === 'loading'}>
            {status.kind === 'loading' ? t('journal.searching') : t('journal.search')}
          </button>
          <button
            type="button"
            className="button"
            data-testid="journal-export"
            disabled={status.kind !== 'done' || status.entries.length === 0}
            onClick={() => status.kind === 'done' && exportCsv(status.entries)}
          >
            {t('journal.export')}
          </button>
        </div>
      </form>

      {status.kind === 'error' && (
        <p className="journal__error" role="alert" data-testid="journal-error">
          <span aria-hidden="true">✕ </span>
          {status.text}
        </p>
      )}
      {status.kind === 'idle' && <p className="journal__hint">{t('journal.hint')}</p>}
      {status.kind === 'done' && (
        <>
          <p className="journal__summary" data-testid="journal-summary" data-count={status.entries.length}>
            {t('journal.summary', {
              n: status.entries.length,
              from: formatDateTimeWithZone(new Date(status.fromMs)),
              to: formatDateTimeWithZone(new Date(status.toMs)),
            })}
            {status.entries.length >= status.limit && <strong> {t('journal.truncated', { limit: status.limit })}</strong>}
          </p>
          <div className="alarms__table-wrap">
            <table className="alarms__table journal__table" data-testid="journal-table">
              <thead>
                <tr>
                  <th scope="col">{t('journal.col.time')}</th>
                  <th scope="col">{t('alarms.col.priority')}</th>
                  <th scope="col">{t('journal.col.transition')}</th>
                  <th scope="col">{t('journal.col.cause')}</th>
                  <th scope="col">{t('alarms.col.text')}</th>
                  <th scope="col">{t('journal.col.user')}</th>
                  <th scope="col">{t('journal.col.comment')}</th>
                  <th scope="col">{t('alarms.col.site')}</th>
                </tr>
              </thead>
              <tbody>
                {status.entries.map((e) => (
                  <tr key={`${e.id}@${e.ts}`} data-testid="journal-row" data-alarm-id={e.id} data-state={e.state} data-cause={e.cause}>
                    <td className="alarms__time">{formatDateTimeWithZone(new Date(e.ts))}</td>
                    <td>
                      <span className="prio-badge" data-priority={e.priority}>
                        <span aria-hidden="true">{PRIORITY_SYMBOL[e.priority]} </span>
                        {t(PRIORITY_KEY[e.priority])}
                      </span>
                    </td>
                    <td>
                      {stateText(t, e.previous)} → <strong>{stateText(t, e.state)}</strong>
                    </td>
                    <td>{causeText(t, e.cause)}</td>
                    <td>
                      {alarmText(t, lang, e, catalogue)}
                      <span className="alarms__sub">
                        {e.id}
                        {e.value !== null ? ` · ${formatNumber(e.value, decimalsFor(catalogue?.byId.get(e.tagId), e.value))}` : ''}
                      </span>
                    </td>
                    <td>{e.user ?? '—'}</td>
                    <td>{e.comment ?? '—'}</td>
                    <td>{siteName(catalogue, e.area, lang)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </div>
  );
}
