import { useEffect, useState } from 'react';
import { apiErrorText } from '../../../shared/api/error-text';
import { fetchHazardRegister, fetchHazardUnit, unitReportHref, type HazardRegisterAnswer, type HazardUnitAnswer, type ObligationStatus } from '../../../shared/api/hazards';
import { HazardLevel } from '../../../shared/components/hazard-level';
import { useI18n, type I18n } from '../../../shared/i18n/i18n-context';
import { HazardLive } from './hazard-live';

// The register of major hazard installations (GB 18218-2018): one line per
// unit (enterprise, S, R, level), and a unit's calculation sheet with every
// step a regulator checks by hand (q/Q per substance, S, α, β·q/Q, R, the
// level band), with links to the server's CSV and printable HTML reports.
// The level is static master data from design quantities: its own neutral
// badge, never an alarm-priority colour.

type Load<T> = { kind: 'loading' } | { kind: 'ok'; value: T } | { kind: 'error'; error: string };

const errorText = (t: I18n['t'], error: unknown): string => apiErrorText(t, error, (reason) => t('hazards.error.refused', { reason }));

function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, key: string): Load<T> {
  const { t } = useI18n();
  const [state, setState] = useState<Load<T>>({ kind: 'loading' });
  useEffect(() => {
    const controller = new AbortController();
    setState({ kind: 'loading' });
    load(controller.signal).then(
      (value) => setState({ kind: 'ok', value }),
      (error: unknown) => {
        if (!controller.signal.aborted) setState({ kind: 'error', error: errorText(t, error) });
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
  return state;
}

/** `unitId`: the unit whose calculation is shown (`#/hazards/{unit}`), or null for the register. */
export function HazardsPage({ unitId, hrefOfUnit }: { unitId: string | null; hrefOfUnit: (unitId: string | null) => string }) {
  return unitId === null ? <RegisterList hrefOfUnit={hrefOfUnit} /> : <UnitDetail unitId={unitId} backHref={hrefOfUnit(null)} />;
}

function LoadMessage({ state }: { state: Load<unknown> }) {
  const { t } = useI18n();
  if (state.kind === 'loading') return <p className="layout__message">{t('hazards.loading')}</p>;
  if (state.kind === 'error')
    return (
      <p className="hazards__error" role="alert" data-testid="hazards-error">
        <span aria-hidden="true">✕ </span>
        {state.error}
      </p>
    );
  return null;
}

function RegisterList({ hrefOfUnit }: { hrefOfUnit: (unitId: string | null) => string }) {
  const { t, lang } = useI18n();
  const state = useLoad<HazardRegisterAnswer>(fetchHazardRegister, 'register');
  if (state.kind !== 'ok') return <LoadMessage state={state} />;
  const register = state.value;
  const enterprises = new Map(register.enterprises.map((e) => [e.id, e]));
  return (
    <div className="hazards" data-testid="hazards-register">
      <p className="hazards__intro">
        {t('hazards.intro', {
          standard: register.standard.code,
          version: register.standard.datasetVersion,
          date: register.register.date,
          by: register.register.preparedBy,
        })}
      </p>
      <div className="hazards__table-wrap">
        <table className="kpi-table hazards__table">
          <thead>
            <tr>
              <th scope="col">{t('hazards.col.unit')}</th>
              <th scope="col">{t('hazards.col.enterprise')}</th>
              <th scope="col">{t('hazards.col.type')}</th>
              <th scope="col">S</th>
              <th scope="col">R</th>
              <th scope="col">{t('hazards.col.level')}</th>
            </tr>
          </thead>
          <tbody>
            {register.summary.map((u) => (
              <tr key={u.id} data-testid={`hazard-unit-${u.id}`} data-level={u.level ?? 'none'}>
                <td>
                  <a href={hrefOfUnit(u.id)} data-testid="hazard-unit-link">
                    {u.name[lang]}
                  </a>
                  <span className="alarms__sub">{u.id}</span>
                </td>
                <td>{enterprises.get(u.enterprise)?.name[lang] ?? u.enterprise}</td>
                <td>{t(u.type === 'storage' ? 'hazards.type.storage' : 'hazards.type.production')}</td>
                <td className="hazards__num">{formatRatio(u.S)}</td>
                <td className="hazards__num">{u.R === null ? '—' : formatRatio(u.R)}</td>
                <td>
                  <HazardLevel level={u.level} name={u.levelName} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {register.unregistered && register.unregistered.length > 0 && (
        <p className="hazards__note" data-testid="hazards-unregistered">
          {t('hazards.unregistered', { list: register.unregistered.map((u) => u.name[lang]).join('、') })}
        </p>
      )}
      <p className="hazards__note">{t('hazards.scaleNote')}</p>
    </div>
  );
}

function formatRatio(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(4).replace(/0+$/, '');
}

function UnitDetail({ unitId, backHref }: { unitId: string; backHref: string }) {
  const { t, lang } = useI18n();
  const state = useLoad<HazardUnitAnswer>((signal) => fetchHazardUnit(unitId, signal), unitId);
  return (
    <div className="hazards" data-testid="hazard-detail" data-unit={unitId}>
      <p>
        <a href={backHref} data-testid="hazard-back">
          <span aria-hidden="true">← </span>
          {t('hazards.back')}
        </a>
      </p>
      {state.kind !== 'ok' ? (
        <LoadMessage state={state} />
      ) : (
        <UnitSheet unit={state.value} lang={lang} />
      )}
    </div>
  );
}

function UnitSheet({ unit, lang }: { unit: HazardUnitAnswer; lang: 'zh' | 'en' }) {
  const { t } = useI18n();
  const c = unit.calculation;
  const g = c.grading;
  return (
    <>
      <h3 className="hazards__title">
        {unit.name[lang]} <span className="alarms__sub">{unit.id}</span>
      </h3>
      <p>
        {t('hazards.detail.enterprise', { name: unit.enterprise.name[lang] })} · {t(unit.type === 'storage' ? 'hazards.type.storage' : 'hazards.type.production')} ·{' '}
        {t('hazards.detail.boundary', { text: unit.boundary.description[lang] })}
      </p>
      <p className="hazards__level-line">
        <HazardLevel level={unit.summary.level} name={unit.summary.levelName} />
      </p>
      <p className="hazards__reports">
        <a className="button button--touch" href={unitReportHref(unit.id, 'csv')} download data-testid="hazard-report-csv">
          {t('hazards.report.csv')}
        </a>{' '}
        <a className="button button--touch" href={unitReportHref(unit.id, 'html')} target="_blank" rel="noopener" data-testid="hazard-report-html">
          {t('hazards.report.html')}
        </a>
      </p>

      <HazardLive unit={unit} />

      {unit.obligations && <Obligations obligations={unit.obligations} />}

      <h4 className="hazards__sheet-title">{t('hazards.sheet')}</h4>

      <ol className="hazards__steps" data-testid="hazard-steps">
        <li data-testid="hazard-step-terms">
          <h4>{t('hazards.step.terms')}</h4>
          <div className="hazards__table-wrap">
            <table className="kpi-table">
              <thead>
                <tr>
                  <th scope="col">{t('hazards.col.substance')}</th>
                  <th scope="col">{t('hazards.col.q')}</th>
                  <th scope="col">{t('hazards.col.Q')}</th>
                  <th scope="col">q/Q</th>
                  <th scope="col">β</th>
                  <th scope="col">β·q/Q</th>
                </tr>
              </thead>
              <tbody>
                {c.terms.map((term) => (
                  <tr key={term.id} data-testid={`hazard-term-${term.id}`}>
                    <td>
                      {term.substance.name[lang]}
                      <span className="alarms__sub">
                        {term.substance.cas.length > 0 ? `CAS ${term.substance.cas.join(', ')}` : t('hazards.noCas')}
                        {term.substance.table1Row !== undefined ? ` · ${t('hazards.table1Row', { row: term.substance.table1Row })}` : ''}
                      </span>
                    </td>
                    <td className="hazards__num">
                      {term.q.text}
                      <span className="alarms__sub">{term.qBasis[lang]}</span>
                    </td>
                    <td className="hazards__num">
                      {term.Q.text}
                      <span className="alarms__sub">{term.QStep.reason[lang]}</span>
                    </td>
                    <td className="hazards__num">{term.qOverQ.text}</td>
                    <td className="hazards__num">
                      {term.beta.text}
                      <span className="alarms__sub">{term.betaStep.reason[lang]}</span>
                    </td>
                    <td className="hazards__num">{term.betaQOverQ.text}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </li>
        <li data-testid="hazard-step-s">
          <h4>{t('hazards.step.identification')}</h4>
          <p className="hazards__formula" data-testid="hazard-formula-s">
            {c.identification.formula}
          </p>
          <p>{c.identification.conclusion[lang]}</p>
        </li>
        {g ? (
          <>
            <li data-testid="hazard-step-alpha">
              <h4>{t('hazards.step.alpha')}</h4>
              <p>{g.alpha.reason[lang]}</p>
            </li>
            <li data-testid="hazard-step-r">
              <h4>{t('hazards.step.r')}</h4>
              <p className="hazards__formula" data-testid="hazard-formula-r">
                {g.formula}
              </p>
            </li>
            <li data-testid="hazard-step-level">
              <h4>{t('hazards.step.level')}</h4>
              <p>
                {g.level.rule} → {g.level.name[lang]}
              </p>
              <p data-testid="hazard-conclusion">{g.conclusion[lang]}</p>
            </li>
          </>
        ) : (
          <li data-testid="hazard-step-not-graded">
            <p>{c.notGraded?.[lang] ?? t('hazard.level.none')}</p>
          </li>
        )}
      </ol>
      {unit.tags && unit.tags.length > 0 && (
        <div className="hazards__table-wrap">
          <table className="kpi-table" data-testid="hazard-tags">
            <caption>{t('hazards.tags')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('alarms.col.tag')}</th>
                <th scope="col">{t('hazards.col.vessel')}</th>
                <th scope="col">{t('hazards.col.known')}</th>
              </tr>
            </thead>
            <tbody>
              {unit.tags.map((tag) => (
                <tr key={tag.id}>
                  <td>{tag.id}</td>
                  <td>{tag.vessel}</td>
                  <td>
                    <span aria-hidden="true">{tag.known ? '✓ ' : '✕ '}</span>
                    {tag.known ? t('hazards.tag.known', { gateway: tag.gateway ?? '—' }) : t('hazards.tag.unknown')}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

const OBLIGATION_SYMBOL: Record<ObligationStatus, string> = { met: '✓', declared: '✎', partial: '◐', missing: '✕', 'not-applicable': '–' };

/**
 * What the installation's grade and substances oblige it to have, and
 * whether the configured tags show each present: missing duties first,
 * each with why it applies and what was found, so an engineer knows what to
 * add and an inspector can follow the reasoning.
 */
function Obligations({ obligations }: { obligations: NonNullable<HazardUnitAnswer['obligations']> }) {
  const { t, lang } = useI18n();
  const rank: Record<ObligationStatus, number> = { missing: 0, partial: 1, declared: 2, met: 3, 'not-applicable': 4 };
  const rows = [...obligations.results].sort((a, b) => rank[a.status] - rank[b.status]);
  const missing = rows.filter((r) => r.status === 'missing' || r.status === 'partial').length;
  return (
    <section className="command__section" aria-labelledby="hazard-obligations" data-testid="hazard-obligations" data-missing={missing}>
      <h4 id="hazard-obligations" className="hazards__sheet-title">
        {t('hazards.obligations', { n: missing })}
      </h4>
      <p className="command__hint">{t('hazards.obligations.source', { source: obligations.source, version: obligations.version, date: obligations.date })}</p>
      <div className="hazards__table-wrap">
        <table className="kpi-table">
          <thead>
            <tr>
              <th scope="col">{t('hazards.obligations.col.duty')}</th>
              <th scope="col">{t('hazards.obligations.col.status')}</th>
              <th scope="col">{t('hazards.obligations.col.why')}</th>
              <th scope="col">{t('hazards.obligations.col.evidence')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.id} data-testid={`obligation-${r.id}`} data-status={r.status}>
                <td>{r.title[lang]}</td>
                <td className="obligation__status" data-status={r.status}>
                  <span aria-hidden="true">{OBLIGATION_SYMBOL[r.status]} </span>
                  {t(`hazards.obligations.status.${r.status}`)}
                </td>
                <td>{r.why[lang]}</td>
                <td>
                  {r.evidence[lang]}
                  {r.tags.length > 0 && <span className="command__hint"> ({r.tags.join(', ')})</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
