import { HealthPanel } from '../features/health/components/health-panel';
import { Panel } from '../shared/components/panel';
import { useI18n } from '../shared/i18n/i18n-context';
import { AppLayout } from './layout/app-layout';
import { AppProviders } from './providers';

export function App() {
  return (
    <AppProviders>
      <AppLayout>
        <Panels />
      </AppLayout>
    </AppProviders>
  );
}

/** The panels of the display; each feature's screen plugs in here inside its own Panel (and error boundary). */
function Panels() {
  const { t } = useI18n();
  return (
    <Panel title={t('health.title')} testId="health-panel">
      <HealthPanel />
    </Panel>
  );
}
