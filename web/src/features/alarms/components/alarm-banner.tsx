import { ALARM_PRIORITIES } from '@park/protocol';
import { MUTE_MS, setMuted, unlockAudio, useAlarmSound } from '../../../shared/audio/alarm-sound';
import { alarmText, PRIORITY_KEY, PRIORITY_SYMBOL, siteName, STATE_KEY, STATE_SYMBOL } from '../../../shared/alarms/alarm-words';
import { FirstOutBadge } from '../../../shared/alarms/first-out-badge';
import { useI18n } from '../../../shared/i18n/i18n-context';
import { ACTIVE_STATES } from '../../../shared/live/alarm-store';
import { isLive } from '../../../shared/live/connection-store';
import { useAlarmList, useAlarmOverview, useCatalogue, useConnection } from '../../../shared/live/live-instance';
import { formatDateTimeWithZone, formatTimeWithZone } from '../../../shared/time/format';

// Always on screen, on every page: how many alarms of each priority and
// state, the newest one still waiting for an acknowledgement, the sound and
// its mute, alarm floods and escalations. Greyed as "not live" when the link
// is down: the counts are then the last known ones.

/** First-out lines in the banner at most (more cascades at once: the list has them all). */
const MAX_FIRST_OUT_LINES = 3;

function SoundControl() {
  const { t } = useI18n();
  const sound = useAlarmSound();
  const muted = sound.mutedUntilWallMs !== null;
  let label: string;
  if (muted) label = t('banner.sound.muted', { time: formatTimeWithZone(new Date(sound.mutedUntilWallMs ?? 0)) });
  else if (sound.readiness === 'unsupported') label = t('banner.sound.unsupported');
  else if (sound.readiness === 'locked') label = t('banner.sound.locked');
  else label = t('banner.sound.on');
  return (
    <button
      type="button"
      className="banner__sound"
      data-testid="banner-sound"
      data-muted={muted}
      data-readiness={sound.readiness}
      data-played={sound.played}
      data-missed={sound.missed}
      aria-pressed={muted}
      title={muted ? t('banner.sound.unmuteHint') : t('banner.sound.muteHint', { minutes: MUTE_MS / 60_000 })}
      onClick={() => {
        unlockAudio();
        setMuted(!muted);
      }}
    >
      <span aria-hidden="true">{muted ? '🔇 ' : sound.readiness === 'ready' ? '🔊 ' : '⚠ '}</span>
      {label}
    </button>
  );
}

export function AlarmBanner() {
  const { t, lang } = useI18n();
  const overview = useAlarmOverview();
  const catalogue = useCatalogue();
  const connection = useConnection();
  const live = isLive(connection);
  const newest = overview.newestUnack;
  const waiting = overview.byState.unack + overview.byState['rtn-unack'];
  // First-out alarms still annunciated: the cause to look at first, usually
  // older than the newest alarm of the cascade (the trip itself).
  const alarms = useAlarmList();
  const firstOuts = alarms.filter((a) => a.firstOut === true && (a.state === 'unack' || a.state === 'acked' || a.state === 'rtn-unack'));

  return (
    <section className="banner" aria-label={t('banner.label')} data-testid="alarm-banner" data-live={live} data-known={overview.known}>
      <div className="banner__row">
        <ul className="banner__counts" aria-label={t('banner.byPriority')}>
          {ALARM_PRIORITIES.map((priority) => {
            const n = overview.byPriority[priority];
            return (
              <li
                key={priority}
                className="banner__count"
                data-testid={`banner-priority-${priority}`}
                data-priority={priority}
                data-count={n}
                data-unack={overview.unackByPriority[priority]}
                data-nonzero={n > 0}
              >
                <span aria-hidden="true">{PRIORITY_SYMBOL[priority]} </span>
                {t(PRIORITY_KEY[priority])} <strong>{n}</strong>
              </li>
            );
          })}
        </ul>
        <ul className="banner__states" aria-label={t('banner.byState')}>
          {ACTIVE_STATES.map((state) => {
            const n = overview.byState[state];
            return (
              <li key={state} className="banner__state" data-testid={`banner-state-${state}`} data-state={state} data-count={n} data-nonzero={n > 0}>
                <span aria-hidden="true">{STATE_SYMBOL[state]} </span>
                {t(STATE_KEY[state])} {n}
              </li>
            );
          })}
        </ul>
        <SoundControl />
      </div>
      {!live && (
        <p className="banner__not-live" data-testid="banner-not-live">
          <span aria-hidden="true">⚠ </span>
          {overview.known ? t('banner.notLive') : t('banner.unknown')}
        </p>
      )}
      <a className="banner__newest" href="#/alarms" data-testid="banner-newest" data-alarm-id={newest?.id ?? ''} data-priority={newest?.priority ?? 'none'}>
        {newest ? (
          <>
            <span className="banner__newest-label">{t('banner.newest', { n: waiting })}</span>{' '}
            <span className="prio-badge" data-priority={newest.priority}>
              <span aria-hidden="true">{PRIORITY_SYMBOL[newest.priority]} </span>
              {t(PRIORITY_KEY[newest.priority])}
            </span>{' '}
            <FirstOutBadge alarm={newest} />
            <span className="banner__newest-text" data-testid="banner-newest-text">
              {alarmText(t, lang, newest, catalogue)}
            </span>{' '}
            <span className="banner__newest-state">
              <span aria-hidden="true">{STATE_SYMBOL[newest.state]} </span>
              {t(STATE_KEY[newest.state])}
            </span>{' '}
            <time className="banner__time" dateTime={new Date(newest.raisedAt).toISOString()} data-testid="banner-newest-time">
              {formatDateTimeWithZone(new Date(newest.raisedAt))}
            </time>
          </>
        ) : (
          <span className="banner__none">{overview.known ? t('banner.noneWaiting') : t('banner.unknown')}</span>
        )}
      </a>
      {firstOuts.slice(0, MAX_FIRST_OUT_LINES).map((alarm) => (
        <a key={alarm.id} className="banner__first-out" href="#/alarms" data-testid="banner-first-out" data-alarm-id={alarm.id} data-priority={alarm.priority}>
          <FirstOutBadge alarm={alarm} />{' '}
          <span className="prio-badge" data-priority={alarm.priority}>
            <span aria-hidden="true">{PRIORITY_SYMBOL[alarm.priority]} </span>
            {t(PRIORITY_KEY[alarm.priority])}
          </span>{' '}
          <span>{alarmText(t, lang, alarm, catalogue)}</span>{' '}
          <span>
            <span aria-hidden="true">{STATE_SYMBOL[alarm.state]} </span>
            {t(STATE_KEY[alarm.state])}
          </span>{' '}
          <time className="banner__time" dateTime={new Date(alarm.raisedAt).toISOString()}>
            {formatDateTimeWithZone(new Date(alarm.raisedAt))}
          </time>
        </a>
      ))}
      {overview.floods.map((flood) => (
        <p key={flood.area} className="banner__flood" role="alert" data-testid="banner-flood" data-area={flood.area}>
          <span aria-hidden="true">⚠ </span>
          {t('banner.flood', {
            area: siteName(catalogue, flood.area, lang),
            since: formatTimeWithZone(new Date(flood.startedAt)),
            count: flood.count,
            peak: flood.peak,
          })}
        </p>
      ))}
      {overview.escalations.map((notice) => (
        <p key={notice.alarm.id} className="banner__escalation" role="alert" data-testid="banner-escalation" data-alarm-id={notice.alarm.id}>
          <span aria-hidden="true">⬆ </span>
          {t('banner.escalation', {
            text: alarmText(t, lang, notice.alarm, catalogue),
            minutes: Math.max(1, Math.round(notice.unackedForMs / 60_000)),
            time: formatTimeWithZone(new Date(notice.ts)),
          })}
        </p>
      ))}
    </section>
  );
}
