import { useCallback, useSyncExternalStore } from 'react';
import { displayConfig } from '../config/display-config';
import { createConnectionStore, type ConnectionState } from './connection-store';
import { createLiveStore, type Catalogue, type LiveSummary, type TagLive } from './live-store';

// The page's one live store and connection state, and the narrow hooks that
// read them. Each hook subscribes to exactly what it shows.

export const liveStore = createLiveStore({ staleAfterMs: displayConfig.staleAfterMs });
export const connectionStore = createConnectionStore();

/** One tag's live state; re-renders only when that tag changes. */
export function useTagLive(id: string): TagLive {
  const subscribe = useCallback((listener: () => void) => liveStore.subscribeTag(id, listener), [id]);
  const getSnapshot = useCallback(() => liveStore.getTag(id), [id]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

export function useCatalogue(): Catalogue | null {
  return useSyncExternalStore(liveStore.subscribeCatalogue, liveStore.getCatalogue);
}

export function useLiveSummary(): LiveSummary {
  return useSyncExternalStore(liveStore.subscribeSummary, liveStore.getSummary);
}

export function useConnection(): ConnectionState {
  return useSyncExternalStore(connectionStore.subscribe, connectionStore.getSnapshot);
}
