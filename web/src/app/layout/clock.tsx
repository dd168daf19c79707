import { useI18n } from '../../shared/i18n/i18n-context';
import { formatDateTimeWithZone, localTimeZoneName } from '../../shared/time/format';
import { useNow } from '../../shared/time/use-now';

/** Local time with its zone, e.g. `2026-11-29 23:04:05 GMT+8`. */
export function Clock() {
  const { t } = useI18n();
  const { wallMs } = useNow();
  const date = new Date(wallMs);
  return (
    <time
      className="clock"
      data-testid="clock"
      dateTime={date.toISOString()}
      title={`${t('clock.label')}: ${localTimeZoneName()}`}
    >
      {formatDateTimeWithZone(date)}
    </time>
  );
}
