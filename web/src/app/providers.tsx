import type { ReactNode } from 'react';
import { I18nProvider } from '../shared/i18n/i18n-context';

/** Everything the screens rely on from above: language now; session and socket later. */
export function AppProviders({ children }: { children: ReactNode }) {
  return <I18nProvider>{children}</I18nProvider>;
}
