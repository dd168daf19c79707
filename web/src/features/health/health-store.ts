import { useSyncExternalStore } from 'react';
import { fetchHealth, type HealthReport } from '../../shared/api/health';
import { createPollingStore, type PollState } from '../../shared/api/polling-store';
import { HEALTH_POLL_INTERVAL_MS } from './freshness';

// One poller per page, outside React; it runs while a panel shows it.
const healthStore = createPollingStore<HealthReport>({
  fetch: (signal) => fetchHealth({ signal }),
  intervalMs: HEALTH_POLL_INTERVAL_MS,
});

export function useHealth(): PollState<HealthReport> {
  return useSyncExternalStore(healthStore.subscribe, healthStore.getSnapshot);
}
