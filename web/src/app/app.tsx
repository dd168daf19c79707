import { useEffect } from 'react';
import { LoginScreen } from '../features/auth/components/login-screen';
import { checkSession, useSession } from '../features/auth/session-store';
import { HealthPanel } from '../features/health/components/health-panel';
import { OverviewWall } from '../features/overview/components/overview-wall';
import { Panel } from '../shared/components/panel';
import { useI18n } from '../shared/i18n/i18n-context';
import { connectionStore, liveStore } from '../shared/live/live-instance';
import { startLiveConnection } from '../shared/live/socket-manager';
import { AppLayout } from './layout/app-layout';
import { AppProviders } from './providers';

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
          <LiveSession user={session.user} />
        </AppLayout>
      );
  }
}

/** The socket runs while someone is logged in; logging out stops it and forgets the values. */
function LiveSession({ user }: { user: string }) {
  useEffect(() => {
    const stop = startLiveConnection({
      store: liveStore,
      connection: connectionStore,
      onAuthLost: () => void checkSession(true),
    });
    return () => {
      stop();
      liveStore.clear();
    };
  }, [user]);
  return <Workspace />;
}

/**
 * The panels of the display, each inside its own Panel (and error boundary).
 * The alarm banner goes above the wall; alarm list, trends and the commander
 * view become their own screens beside the overview (issue 6).
 */
function Workspace() {
  const { t } = useI18n();
  return (
    <div className="workspace">
      <Panel title={t('wall.title')} testId="overview-panel" className="workspace__wall">
        <OverviewWall />
      </Panel>
      <aside className="workspace__side">
        <Panel title={t('health.title')} testId="health-panel">
          <HealthPanel />
        </Panel>
      </aside>
    </div>
  );
}
