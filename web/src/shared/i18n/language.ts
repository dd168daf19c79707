import { LANGS, type Lang } from './messages';

// Chinese is the default whatever the browser's language: the platform is
// run by Chinese control rooms; English is a choice, remembered per browser.
export const DEFAULT_LANG: Lang = 'zh';
const STORAGE_KEY = 'park.lang';

/** The value for `<html lang>`. */
export const HTML_LANG: { readonly [L in Lang]: string } = { zh: 'zh-CN', en: 'en' };

/** The name of each language in itself, for the switch. */
export const LANG_NAMES: { readonly [L in Lang]: string } = { zh: '中文', en: 'English' };

function isLang(value: unknown): value is Lang {
  return typeof value === 'string' && (LANGS as readonly string[]).includes(value);
}

export function loadLang(): Lang {
  try {
    const stored = window.localStorage.getItem(STORAGE_KEY);
    return isLang(stored) ? stored : DEFAULT_LANG;
  } catch {
    // Storage may be disabled (privacy settings, kiosk profiles).
    return DEFAULT_LANG;
  }
}

export function saveLang(lang: Lang): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, lang);
  } catch {
    // Not remembered across reloads then; the switch still works.
  }
}
