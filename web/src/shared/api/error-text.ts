import { ApiError } from './client';
import type { I18n } from '../i18n/i18n-context';

/**
 * A failed request in words for the operator: timeouts, network loss and
 * malformed answers in the current language; a refusal with the server's
 * reason (wrapped by `refused` where the page has its own wording).
 */
export function apiErrorText(t: I18n['t'], error: unknown, refused: (reason: string) => string = (reason) => reason): string {
  if (error instanceof ApiError) {
    if (error.code === 'timeout') return t('api.error.timeout');
    if (error.code === 'network') return t('api.error.network');
    if (error.code === 'invalid-response') return t('api.error.invalid-response');
    return refused(error.message);
  }
  return error instanceof Error ? error.message : String(error);
}
