import { useI18n } from '../../shared/i18n/i18n-context';
import { useAlarmOverview, useGateways } from '../../shared/live/live-instance';
import { hrefOf, NAV_ROUTES, type NavRoute, type Route } from '../routing';

const LABEL = {
  overview: 'nav.overview',
  command: 'nav.command',
  alarms: 'nav.alarms',
  journal: 'nav.journal',
  trends: 'nav.trends',
  kpis: 'nav.kpis',
  hazards: 'nav.hazards',
  environment: 'nav.environment',
  gateways: 'nav.gateways',
} as const satisfies Record<NavRoute, string>;

/** The screens, as links (hash routes); the alarms link carries the number waiting for acknowledgement, the gateways link the number offline. */
export function AppNav({ current }: { current: Route }) {
  const { t } = useI18n();
  const overview = useAlarmOverview();
  const unack = overview.byState.unack + overview.byState['rtn-unack'];
  const gateways = useGateways();
  let offline = 0;
  for (const status of gateways.values()) if (status.state === 'offline') offline++;
  // An incident page belongs to the command view.
  const shown: Route = current === 'incident' ? 'command' : current;
  return (
    <nav className="nav" aria-label={t('nav.label')} data-testid="nav">
      {NAV_ROUTES.map((route) => (
        <a key={route} className="nav__link" href={hrefOf(route)} aria-current={route === shown ? 'page' : undefined} data-testid={`nav-${route}`}>
          {t(LABEL[route])}
          {route === 'alarms' && unack > 0 && (
            <span className="nav__count" data-testid="nav-alarms-unack">
              {unack}
            </span>
          )}
          {route === 'gateways' && offline > 0 && (
            <span className="nav__count" data-testid="nav-gateways-offline" title={t('gateways.offlineCount', { n: offline })}>
              <span aria-hidden="true">✕</span>
              {offline}
              <span className="visually-hidden">{t('gateways.offlineCount', { n: offline })}</span>
            </span>
          )}
        </a>
      ))}
    </nav>
  );
}
