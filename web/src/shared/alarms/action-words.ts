import type { ActionOutcome } from '../api/alarms';
import type { I18n } from '../i18n/i18n-context';

/** Why an action was refused, in words: the kind of refusal in the interface language, then the server's own reason. */
export function refusalText(t: I18n['t'], outcome: Exclude<ActionOutcome, { ok: true }>): string {
  let kind: string;
  switch (outcome.status) {
    case 0:
      kind = outcome.code === 'timeout' ? t('api.error.timeout') : t('api.error.network');
      break;
    case 400:
      kind = t('action.refused.invalid');
      break;
    case 401:
      kind = t('action.refused.session');
      break;
    case 403:
      kind = t('action.refused.forbidden');
      break;
    case 404:
      kind = t('action.refused.unknown');
      break;
    case 409:
      kind = t('action.refused.state');
      break;
    default:
      kind = t('api.error.http', { status: outcome.status });
  }
  return t('action.refused.detail', { kind, error: outcome.error });
}
