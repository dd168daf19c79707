import { useI18n } from '../../shared/i18n/i18n-context';
import { useConnection } from '../../shared/live/live-instance';
import { formatTimeWithZone } from '../../shared/time/format';

// The live link's state, always in the header: a word and a symbol, never
// colour alone, and for a lost link the time it was lost (with the zone).
const SYMBOL = { connecting: '…', connected: '●', reconnecting: '⟳', disconnected: '✕' } as const;

export function ConnectionStatus() {
  const { t } = useI18n();
  const state = useConnection();
  let text: string;
  let detail: string | null = null;
  switch (state.kind) {
    case 'connecting':
      text = t('conn.connecting');
      break;
    case 'connected':
      text = t('conn.connected');
      break;
    case 'reconnecting':
      text = t('conn.reconnecting');
      detail = t('conn.since', { time: formatTimeWithZone(new Date(state.sinceWallMs)) });
      if (state.attempt > 0) detail += ` · ${t('conn.attempt', { n: state.attempt })}`;
      break;
    case 'disconnected':
      text = t('conn.disconnected');
      detail = t('conn.since', { time: formatTimeWithZone(new Date(state.sinceWallMs)) });
      break;
  }
  const error = state.kind === 'reconnecting' || state.kind === 'disconnected' ? state.error : null;
  return (
    <div
      className="conn"
      role="status"
      data-testid="connection-status"
      data-state={state.kind}
      title={error ? `${t('conn.label')}: ${error}` : t('conn.label')}
    >
      <span className="conn__symbol" aria-hidden="true">
        {SYMBOL[state.kind]}
      </span>
      <span className="visually-hidden">{t('conn.label')}: </span>
      <span className="conn__text">{text}</span>
      {detail && <span className="conn__detail">{detail}</span>}
    </div>
  );
}
