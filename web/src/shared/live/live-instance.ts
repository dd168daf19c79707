import { useCallback, useSyncExternalStore } from 'react';
import type { AlarmEvent, AlarmPriority, GatewayStatusEvent } from '@park/protocol';
import { playAlarmTone } from '../audio/alarm-sound';
import { displayConfig } from '../config/display-config';
import { AUDIBLE_PRIORITIES, createAlarmStore, priorityRank, type AlarmOverview, type TagAlarm } from './alarm-store';
import { createConnectionStore, type ConnectionState } from './connection-store';
import { createGatewayStore } from './gateway-store';
import { createLiveStore, type Catalogue, type LiveSummary, type TagLive } from './live-store';

// The page's one live store, alarm store and connection state, and the
// narrow hooks that read them. Each hook subscribes to exactly what it shows.

export const liveStore = createLiveStore({ staleAfterMs: displayConfig.staleAfterMs });
export const connectionStore = createConnectionStore();
export const gatewayStore = createGatewayStore();

/** Annunciations arriving together (a snapshot, a burst) sound once, at the highest priority among them. */
const TONE_COALESCE_MS = 50;
let pendingTone: AlarmPriority | null = null;
let toneTimer: ReturnType<typeof setTimeout> | undefined;

function annunciated(alarm: AlarmEvent): void {
  if (!AUDIBLE_PRIORITIES.includes(alarm.priority)) return;
  if (pendingTone === null || priorityRank(alarm.priority) < priorityRank(pendingTone)) pendingTone = alarm.priority;
  if (toneTimer !== undefined) return;
  toneTimer = setTimeout(() => {
    toneTimer = undefined;
    const priority = pendingTone;
    pendingTone = null;
    if (priority) playAlarmTone(priority);
  }, TONE_COALESCE_MS);
}

export const alarmStore = createAlarmStore({ onAnnunciation: annunciated });

/** The most important active alarm of one tag (null: none); re-renders only when it changes. */
export function useTagAlarm(tagId: string): TagAlarm | null {
  const subscribe = useCallback((listener: () => void) => alarmStore.subscribeTag(tagId, listener), [tagId]);
  const getSnapshot = useCallback(() => alarmStore.getTagAlarm(tagId), [tagId]);
  return useSyncExternalStore(subscribe, getSnapshot);
}

export function useAlarmOverview(): AlarmOverview {
  return useSyncExternalStore(alarmStore.subscribe, alarmStore.getOverview);
}

export function useAlarmList(): readonly AlarmEvent[] {
  return useSyncExternalStore(alarmStore.subscribe, alarmStore.getList);
}

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

/** Gateway id → latest status; re-renders on any gateway's change. */
export function useGateways(): ReadonlyMap<string, GatewayStatusEvent> {
  return useSyncExternalStore(gatewayStore.subscribe, gatewayStore.getSnapshot);
}
