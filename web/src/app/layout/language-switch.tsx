import { useI18n } from '../../shared/i18n/i18n-context';
import { HTML_LANG, LANG_NAMES } from '../../shared/i18n/language';
import { LANGS } from '../../shared/i18n/messages';

export function LanguageSwitch() {
  const { lang, setLang, t } = useI18n();
  return (
    <div className="lang-switch" role="group" aria-label={t('lang.switch.label')} data-testid="lang-switch">
      {LANGS.map((option) => (
        <button
          key={option}
          type="button"
          className="lang-switch__option"
          data-lang={option}
          aria-pressed={option === lang}
          lang={HTML_LANG[option]}
          onClick={() => setLang(option)}
        >
          {LANG_NAMES[option]}
        </button>
      ))}
    </div>
  );
}
