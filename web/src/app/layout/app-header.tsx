import type { LoginResponse } from '@park/protocol';
import { UserMenu } from '../../features/auth/components/user-menu';
import { useI18n } from '../../shared/i18n/i18n-context';
import { Clock } from './clock';
import { ConnectionStatus } from './connection-status';
import { LanguageSwitch } from './language-switch';

/** Title, live link state (when logged in), clock, language, user and logout. */
export function AppHeader({ session }: { session: LoginResponse | null }) {
  const { t } = useI18n();
  return (
    <header className="header">
      <h1 className="header__title" data-testid="app-title">
        {t('app.title')}
      </h1>
      <div className="header__tools">
        {session && <ConnectionStatus />}
        <Clock />
        <LanguageSwitch />
        {session && <UserMenu user={session.user} role={session.role} />}
      </div>
    </header>
  );
}
