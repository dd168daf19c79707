import type { ReactNode } from 'react';
import { PROTOCOL_VERSION, type LoginResponse } from '@park/protocol';
import { useI18n } from '../../shared/i18n/i18n-context';
import { AppHeader } from './app-header';

export function AppLayout({ session, children }: { session: LoginResponse | null; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <div className="layout" data-authenticated={session !== null}>
      <AppHeader session={session} />
      <main className="layout__main">{children}</main>
      <footer className="layout__footer">{t('app.footer.protocol', { version: PROTOCOL_VERSION })}</footer>
    </div>
  );
}
