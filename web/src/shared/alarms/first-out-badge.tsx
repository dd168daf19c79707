import type { AlarmEvent } from '@park/protocol';
import { useI18n } from '../i18n/i18n-context';

// The first-out of a cascade (the earliest alarm of a hazard source before
// its SIS trip, or of an area before a flood; chosen by the server's engine):
// where operators start looking. A word and a symbol in a neutral frame, never
// a colour alone, and never a priority colour (it is not a priority).

export function FirstOutBadge({ alarm }: { alarm: AlarmEvent }) {
  const { t } = useI18n();
  if (alarm.firstOut !== true) return null;
  return (
    <span className="first-out" data-testid="first-out" title={t('alarm.firstOut.hint')}>
      <span aria-hidden="true">⚑ </span>
      {t('alarm.firstOut')}
    </span>
  );
}
