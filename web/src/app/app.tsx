import { lazy, Suspense, useEffect } from 'react';
import type { Role } from '@park/protocol';
import { AlarmBanner } from '../features/alarms/components/alarm-banner';
import { AlarmList } from '../features/alarms/components/alarm-list';
import { LoginScreen } from '../features/auth/components/login-screen';
import { checkSession, useSession } from '../features/auth/session-store';
import { CommandView } from '../features/command/components/command-view';
import { HazardsPage } from '../features/hazards/components/hazards-page';
import { IncidentPage } from '../features/incident/components/incident-page';
import { HealthPanel } from '../features/health/components/health-panel';
import { GatewaysPage } from '../features/gateways/components/gateways-page';
import { JournalPage } from '../features/journal/components/journal-page';
import { OverviewWall } from '../features/overview/components/overview-wall';
import { installAudioUnlock } from '../shared/audio/alarm-sound';
import { Panel } from '../shared/components/panel';
import { useI18n } from '../shared/i18n/i18n-context';
import { alarmStore, connectionStore, gatewayStore, liveStore } from '../shared/live/live-instance';
import { startLiveConnection } from '../shared/live/socket-manager';
import { AppLayout } from './layout/app-layout';
import { AppNav } from './layout/app-nav';
import { AppProviders } from './providers';
import { hrefOf, landingRoute, useRoute, useRouteParam } from './routing';

// Recharts is large: the trends screen loads when first opened, so the wall
// and the alarms start fast on a phone in a car.
const TrendsPage = lazy(() => import('../features/trends/components/trends-page'));
const KpiPage = lazy(() => import('../features/kpis/components/kpi-page'));
const EnvironmentPage = lazy(() => import('../features/environment/components/environment-page'));

// The browser allows sound only after a gesture on the page: the login click
// (or any click or key) unlocks it.
installAudioUnlock();

export function App() {
  return (
    <AppProviders>
      <SessionGate />
    </AppProviders>
  );
}

/** `GET /api/me` decides: the login screen or the display. */
function SessionGate() {
  const { t } = useI18n();
  const session = useSession();

  useEffect(() => {
    void checkSession();
  }, []);

  switch (session.kind) {
    case 'checking':
      return (
        <AppLayout session={null}>
          <p className="layout__message" role="status">
            {t('app.checkingSession')}
          </p>
        </AppLayout>
      );
    case 'anonymous':
    case 'unreachable':
      return (
        <AppLayout session={null}>
          <LoginScreen session={session} />
        </AppLayout>
      );
    case 'authenticated':
      return (
        <AppLayout session={session}>
          <LiveSession user={session.user} role={session.role} />
        </AppLayout>
      );
  }
}

/** The socket runs while someone is logged in; logging out stops it and forgets the values and alarms. */
function LiveSession({ user, role }: { user: string; role: Role }) {
  useEffect(() => {
    const stop = startLiveConnection({
      store: liveStore,
      alarms: alarmStore,
      connection: connectionStore,
      gateways: gatewayStore,
      onAuthLost: () => void checkSession(true),
    });
    return () => {
      stop();
      liveStore.clear();
      alarmStore.clear();
      gatewayStore.clear();
    };
  }, [user]);
  return <Workspace role={role} />;
}

/**
 * The navigation and the alarm banner (always visible), then the screen of
 * the current hash route; each panel inside its own Panel (and error boundary).
 */
function Workspace({ role }: { role: Role }) {
  const { t } = useI18n();
  // No route in the address: the role's landing screen (commanders: the command view).
  const route = useRoute(landingRoute(role));
  const param = useRouteParam();
  return (
    <div className="workspace" data-route={route}>
      <div className="workspace__top">
        <AppNav current={route} />
        <Panel title={t('banner.title')} testId="banner-panel" className="workspace__banner" compact>
          <AlarmBanner />
        </Panel>
      </div>
      {route === 'overview' && (
        <div className="workspace__body">
          <Panel title={t('wall.title')} testId="overview-panel" className="workspace__wall">
            <OverviewWall />
          </Panel>
          <aside className="workspace__side">
            <Panel title={t('health.title')} testId="health-panel">
              <HealthPanel />
            </Panel>
          </aside>
        </div>
      )}
      {route === 'command' && (
        <Panel title={t('command.title')} testId="command-panel" className="workspace__page">
          <CommandView role={role} hrefOfIncident={(id) => hrefOf('incident', id)} />
        </Panel>
      )}
      {route === 'incident' && (
        <Panel title={t('command.title')} testId="incident-panel" className="workspace__page">
          {param === null ? (
            <CommandView role={role} hrefOfIncident={(id) => hrefOf('incident', id)} />
          ) : (
            <IncidentPage key={param} id={param} role={role} backHref={hrefOf('command')} />
          )}
        </Panel>
      )}
      {route === 'kpis' && (
        <Panel title={t('kpis.title')} testId="kpis-panel" className="workspace__page">
          <Suspense fallback={<p className="layout__message">{t('trends.loadingModule')}</p>}>
            <KpiPage />
          </Suspense>
        </Panel>
      )}
      {route === 'hazards' && (
        <Panel title={t('hazards.title')} testId="hazards-panel" className="workspace__page">
          <HazardsPage unitId={param} hrefOfUnit={(unit) => (unit === null ? hrefOf('hazards') : hrefOf('hazards', unit))} />
        </Panel>
      )}
      {route === 'environment' && (
        <Panel title={t('environment.title')} testId="environment-panel" className="workspace__page">
          <Suspense fallback={<p className="layout__message">{t('trends.loadingModule')}</p>}>
            <EnvironmentPage />
          </Suspense>
        </Panel>
      )}
      {route === 'gateways' && (
        <Panel title={t('gateways.title')} testId="gateways-panel" className="workspace__page">
          <GatewaysPage />
        </Panel>
      )}
      {route === 'alarms' && (
        <Panel title={t('alarms.title')} testId="alarms-panel" className="workspace__page">
          <AlarmList role={role} hrefOfIncident={(id) => hrefOf('incident', id)} />
        </Panel>
      )}
      {route === 'journal' && (
        <Panel title={t('journal.title')} testId="journal-panel" className="workspace__page">
          <JournalPage />
        </Panel>
      )}
      {route === 'trends' && (
        <Panel title={t('trends.title')} testId="trends-panel" className="workspace__page">
          <Suspense fallback={<p className="layout__message">{t('trends.loadingModule')}</p>}>
            <TrendsPage />
          </Suspense>
        </Panel>
      )}
    </div>
  );
}
