import type { AlarmEvent, DataMessage, IncidentChangeEvent } from '@park/protocol';
import type { ParkConfig } from '@park/protocol/config';
import type { Logger } from '../log.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { InfluxStore } from '../influx/influx-store.js';
import type { LiveValues } from '../live-values.js';
import { loadCards, tagIndex, type CardContext, type EmergencyCard } from './cards.js';
import { CardBook } from './card-book.js';
import { IncidentBook } from './incidents.js';
import { InfluxEmergencyJournal, type EmergencyJournal } from './emergency-journal.js';
import { loadParkMap, type ParkMap } from './park-map.js';
import { LevelHistory } from './level-history.js';
import { InfluxIncidentHistory, type IncidentHistory } from './incident-export.js';

/**
 * Emergency command, server side (docs/emergency.md). Wiring, in order:
 *
 *   const data = loadEmergency(parkModel, 'seeds/cards', 'seeds/park-map.yaml');  // at start: ConfigError stops it
 *   const emergency = createEmergency({ data, store, audit, log, live });
 *   await emergency.start(Date.now() - eventDays * 86_400_000);                   // journal → cards, incidents
 *   registerEmergencyRoutes(app, { auth, live, emergency });
 *   // every alarm transition, after the alarm journal:   emergency.onAlarm(event)
 *   // every data message, after live.apply(msg):         emergency.onData(msg)
 *   // on stop, before the store goes:                    await emergency.drain(); emergency.close()
 */

/** Cards and map as read from disk, checked against the park model. */
export interface EmergencyData {
  park: ParkConfig;
  map: ParkMap | undefined;
  cards: EmergencyCard[];
}

/**
 * Reads the park map (optional) and every card in `cardsDir`, checking each
 * against the park model (and the cards against the map). Throws a
 * ConfigError listing every problem as `file: path: reason (line, column)`.
 */
export function loadEmergency(parkConfig: ParkConfig, cardsDir: string, mapFile?: string): EmergencyData {
  const map = mapFile !== undefined ? loadParkMap(mapFile, parkConfig) : undefined;
  const cards = loadCards(cardsDir, { park: parkConfig, map });
  return { park: parkConfig, map, cards };
}

export interface EmergencyDeps {
  data: EmergencyData;
  /** Where cards and incidents are journalled; give `journal` instead to keep them elsewhere (tests: MemoryEmergencyJournal). */
  store?: Pick<InfluxStore, 'writeEventPoints' | 'query'>;
  journal?: EmergencyJournal;
  /** Escalations and risk colours for the incident record; default: read from `store` when given. */
  history?: IncidentHistory;
  audit: Pick<AuditLog, 'record'>;
  log: Logger;
  live: Pick<LiveValues, 'get'>;
}

export interface Emergency {
  data: EmergencyData;
  cards: CardBook;
  incidents: IncidentBook;
  /** Recent readings of the cards' vessel level tags, for the release rate. */
  levels: LevelHistory;
  /** Escalations and risk colours for the incident record; undefined without a store. */
  history: IncidentHistory | undefined;
  /** The park model's hazard source of a tag. */
  hazardSourceOf(tagId: string): string | undefined;
  /** Restores card edits and incidents journalled since `sinceMs`; logs (does not throw) when the journal cannot be read. */
  start(sinceMs: number): Promise<void>;
  onAlarm(event: AlarmEvent): void;
  onData(msg: DataMessage): void;
  /** Incident opened, step ticked, note added, closed: for the Socket.IO push to commanders. Returns the unsubscribe. */
  onIncidentChange(listener: (e: IncidentChangeEvent) => void): () => void;
  drain(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export function createEmergency(d: EmergencyDeps): Emergency {
  const journal = d.journal ?? (d.store ? new InfluxEmergencyJournal(d.store, d.log) : undefined);
  if (!journal) throw new Error('createEmergency: give store or journal');
  const log = d.log.child({ part: 'emergency' });
  const tags = tagIndex(d.data.park);
  const hazardSourceOf = (tagId: string): string | undefined => tags.get(tagId)?.hazardSource;
  const ctx: CardContext = { park: d.data.park, map: d.data.map };
  const cards = new CardBook(d.data.cards, ctx, journal, d.audit, log);
  const read = (id: string): { v: number; q: 'good' | 'uncertain' | 'bad'; ts: number } | undefined => {
    const v = d.live.get(id);
    return v ? { v: v.v, q: v.q, ts: v.ts } : undefined;
  };
  const incidents = new IncidentBook({ cards, journal, audit: d.audit, log, hazardSourceOf, read });
  const levels = new LevelHistory();
  const levelTags = (): Set<string> => new Set(cards.list().flatMap((c) => (c.release?.vessels ?? []).map((v) => v.levelTag)));
  return {
    data: d.data,
    cards,
    incidents,
    levels,
    history: d.history ?? (d.store ? new InfluxIncidentHistory(d.store) : undefined),
    hazardSourceOf,
    async start(sinceMs) {
      try {
        const c = await cards.restore(sinceMs);
        const i = await incidents.restore(sinceMs);
        log.info({ cardEdits: c.restored, cardEditsIgnored: c.ignored, incidents: i.incidents, open: i.open }, 'emergency record restored from the journal');
      } catch (err) {
        // Start anyway: a commander without the old record still needs the cards.
        log.error({ err: (err as Error).message }, 'emergency journal unreadable; starting with the seed cards and no incidents');
      }
    },
    onAlarm: (event) => incidents.onAlarm(event),
    onData: (msg) => {
      incidents.onValues(msg.readings.map((r) => r.id));
      levels.apply(msg.readings, levelTags());
    },
    onIncidentChange: (listener) => incidents.onChange(listener),
    drain: (timeoutMs) => journal.drain(timeoutMs),
    close: () => journal.close(),
  };
}
