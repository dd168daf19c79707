import type { AlarmEvent } from '@park/protocol';
import type { Logger } from '../log.js';
import { EVENTS_POLICY, type InfluxStore } from '../influx/influx-store.js';
import { RetryingWriter } from '../influx/retrying-writer.js';
import type { FeedChange, FeedIncident, IncidentFeed } from './incident-feed.js';

/** Journal measurement of the feed: one point per change, with the incident as it stands after it. */
export const FEED_MEASUREMENT = 'incident_feed';

type FeedPoint = { measurement: string; tags: Record<string, string>; fields: Record<string, string | number | boolean>; ts: number };

/**
 * Journals every change of the incident feed (before it is announced, like
 * alarm transitions) and rebuilds the feed from the journal at start, so an
 * open incident keeps its id and members through a restart and nothing is
 * announced twice.
 */
export class IncidentFeedService {
  private readonly writer: RetryingWriter<FeedPoint>;
  private lastTs = 0;

  constructor(
    readonly feed: IncidentFeed,
    private readonly store: Pick<InfluxStore, 'writeEventPoints' | 'query'>,
    private readonly log: Logger,
    private readonly onChange: (change: FeedChange) => void,
  ) {
    this.writer = new RetryingWriter('incident-feed', (batch) => store.writeEventPoints(batch), log, { delayMs: 10 });
  }

  /**
   * Reads the latest state of every incident journalled since `sinceMs`.
   * With InfluxDB away the server still starts: the feed starts empty and
   * is rebuilt from the restored alarms (an incident whose first alarm is
   * still active gets the same id again).
   */
  async restore(sinceMs: number): Promise<number> {
    let rows: ({ incident: string; snapshot: string } & { time: Date })[];
    try {
      rows = await this.store.query<{ incident: string; snapshot: string }>(
        `SELECT "snapshot" FROM "${EVENTS_POLICY}"."${FEED_MEASUREMENT}" WHERE time >= ${Math.trunc(sinceMs)}ms GROUP BY "incident" ORDER BY time DESC LIMIT 1`,
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'incident feed journal not readable; the feed starts from the active alarms');
      return 0;
    }
    const incidents: FeedIncident[] = [];
    for (const r of rows) {
      try {
        incidents.push(JSON.parse(r.snapshot) as FeedIncident);
        this.lastTs = Math.max(this.lastTs, r.time.getTime());
      } catch {
        this.log.warn({ incident: r.incident }, 'unreadable incident feed record skipped');
      }
    }
    this.feed.restore(incidents);
    return incidents.length;
  }

  update(active: readonly AlarmEvent[], now: number): void {
    for (const change of this.feed.update(active, now)) {
      // Strictly rising times: two changes in one millisecond must not overwrite each other.
      const ts = (this.lastTs = Math.max(now, this.lastTs + 1));
      const i = change.incident;
      this.writer.push({
        measurement: FEED_MEASUREMENT,
        tags: { incident: i.id, hazardSource: i.hazardSource },
        fields: { type: change.type, alarmId: change.alarmId ?? '', state: i.state, snapshot: JSON.stringify(i) },
        ts,
      });
      this.onChange(change);
    }
  }

  async drain(timeoutMs = 5000): Promise<boolean> {
    return this.writer.drain(timeoutMs);
  }

  close(): void {
    this.writer.close();
  }
}
