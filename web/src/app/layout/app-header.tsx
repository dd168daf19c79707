import { useI18n } from '../../shared/i18n/i18n-context';
import { Clock } from './clock';
import { LanguageSwitch } from './language-switch';

export function AppHeader() {
  const { t } = useI18n();
  return (
    <header className="header">
      <h1 className="header__title" data-testid="app-title">
        {t('app.title')}
      </h1>
      <div className="header__tools">
        <Clock />
        <LanguageSwitch />
      </div>
    </header>
  );
}
