import type { AlarmPriority, AlarmState } from '@park/protocol';
import { ApiError, getJson } from './client';

// The commanders' incident feed (`GET /api/incident-feed`, docs/hazards.md):
// at most one open incident per installation, its alarms joined in the
// order they were raised, the cause first.

export interface FeedAlarm {
  readonly id: string;
  readonly priority: AlarmPriority;
  readonly state: AlarmState;
  readonly message: string;
  readonly raisedAt: number;
  readonly joinedAt: number;
  readonly firstOut?: boolean;
}

export interface FeedIncident {
  readonly id: string;
  readonly hazardSource: string;
  readonly site: string;
  readonly state: 'open' | 'closed';
  readonly openedAt: number;
  readonly closedAt?: number;
  readonly firstAlarm: string;
  readonly priority: AlarmPriority;
  readonly alarms: readonly FeedAlarm[];
}

function isFeedIncident(value: unknown): value is FeedIncident {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v['id'] === 'string' && typeof v['hazardSource'] === 'string' && typeof v['openedAt'] === 'number' && typeof v['firstAlarm'] === 'string' && Array.isArray(v['alarms']);
}

/** `GET /api/incident-feed?state=open`: open incidents, newest first. */
export async function fetchOpenFeed(signal?: AbortSignal): Promise<readonly FeedIncident[]> {
  const response = await getJson('/api/incident-feed?state=open', { timeoutMs: 8_000, ...(signal ? { signal } : {}) });
  if (!response.ok) throw new ApiError('http', `HTTP ${response.httpStatus}`, response.httpStatus);
  const body = response.body;
  if (!Array.isArray(body) || !body.every(isFeedIncident)) throw new ApiError('invalid-response', 'GET /api/incident-feed: not a list of incidents');
  return body;
}
