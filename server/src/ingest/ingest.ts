import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { parseDataMessage, parseMetaMessage, parseStatusMessage, parseTopic, qualityToCode, type DataMessage, type MetaMessage, type RejectCode, type StatusMessage } from '@park/protocol';
import type { ParkConfig } from '@park/protocol/config';
import type { Logger } from '../log.js';
import type { ComponentHealth } from '../health.js';
import { InfluxWriteError, type InfluxStore, type RetentionSettings, type RollupBy } from '../influx/influx-store.js';
import { seriesKey, writeReadingLine } from '../influx/line-protocol.js';
import { TagSlot, tagSlotsOf } from '../tag-slots.js';
import { RejectLog } from './reject-log.js';
import { EVERY_SITE, RollupBackfill } from './rollup-backfill.js';
import { LiveRollup, type RollupChunk } from './live-rollup.js';
import { WriteQueue } from './write-queue.js';
import { AcceptLog } from './accept-log.js';
import { countLines, cutLines, LINE_TAIL_MAX, LineSlabs, linesBody, type Lines } from './line-slabs.js';

/**
 * MQTT messages in, batched InfluxDB writes out. One validation pass per
 * message; per reading only a lookup and a push. While InfluxDB is away,
 * accepted readings wait in a write queue that spills to disk beyond a
 * memory limit and is bounded on disk (oldest dropped and
 * counted when full) and are written when it returns.
 */

export interface IngestOptions {
  store: InfluxStore;
  retention: RetentionSettings;
  park: ParkConfig;
  log: Logger;
  /** Flush when this many readings wait… */
  batchSize?: number;
  /** Batches written at the same time. */
  parallelWrites?: number;
  /** …or when the oldest has waited this long. */
  flushIntervalMs?: number;
  /** Folder for the disk spool of the write queue. */
  spoolDir: string;
  /**
   * Folder of the accept log: every accepted message is appended there before
   * its MQTT acknowledgement, so a crash of the server loses nothing it
   * acknowledged. Unset: no accept log (readings in memory die with the process).
   */
  acceptLogDir?: string;
  /** Readings kept in memory before the oldest spill to disk. */
  memoryLimit?: number;
  /** Disk the spool may use; past it the oldest readings are dropped and counted. */
  maxSpoolBytes?: number;
  /** Quiet time before late readings are rolled up (RollupBackfill); default 10 s. */
  rollupQuietMs?: number;
  /** Who makes the 1-minute rollup; default the server itself (LiveRollup). */
  rollupBy?: RollupBy;
  /**
   * File keeping the latest minute the live rollup wrote: at the next start
   * the minutes after it (the server stopped or crashed in them) are rolled
   * up from the raw points. Unset: not kept.
   */
  rollupStateFile?: string;
  /**
   * Each accepted data message, once validated (live values, alarm engine),
   * with the slot of each reading's tag (a tag outside the park model has
   * one with no site or source; undefined past MAX_SLOTS_OUTSIDE_PARK).
   */
  onData?: (msg: DataMessage, receivedAt: number, slots: readonly (TagSlot | undefined)[]) => void;
  onStatus?: (status: StatusMessage, receivedAt: number) => void;
  onMeta?: (meta: MetaMessage) => void;
}

export interface IngestCounters {
  messages: number;
  readings: number;
  written: number;
  writeErrors: number;
  rejected: Partial<Record<RejectCode | 'topic', number>>;
  seqGaps: number;
  seqDuplicates: number;
  /** Readings InfluxDB refused for good (unparsable, field type conflict, series limit). */
  refused: number;
  /** Messages a consumer (live table, alarm engine, incidents) failed on: a bug, logged with its stack. */
  consumerErrors: number;
}

/**
 * A reading accepted this long after its time may miss its minute of the
 * rollup (the live rollup writes a minute LATE_AFTER_MS + 5 s after its end;
 * the continuous query, when used, recomputes the last two minutes each
 * minute, checking every 10 s): its minutes are rolled up again by
 * RollupBackfill.
 */
const LATE_AFTER_MS = 50_000;
/** Pause between pieces of 5,000 rollup points. */
const LIVE_ROLLUP_PACE_MS = 250;
/** At a start, minutes after the last one the live rollup wrote are recomputed this far back at most. */
const ROLLUP_RESUME_MAX_MS = 6 * 3_600_000;

/** Tags outside the park model given a slot (about 150 bytes each); readings of more are looked up each time. */
const MAX_SLOTS_OUTSIDE_PARK = 100_000;

/** `runs` in batches of `size` readings, the run at each border cut in two (views: the queue still owns the runs). */
function batchesOf(runs: readonly Lines[], size: number): Lines[][] {
  const batches: Lines[][] = [];
  let batch: Lines[] = [];
  let n = 0;
  for (let run of runs) {
    while (n + run.count > size) {
      const [head, rest] = cutLines(run, size - n, true);
      batch.push(head);
      batches.push(batch);
      batch = [];
      n = 0;
      run = rest;
    }
    batch.push(run);
    n += run.count;
    if (n === size) {
      batches.push(batch);
      batch = [];
      n = 0;
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

const SUBSCRIBED_KINDS = new Set(['data', 'status', 'meta']);

/** Whether `topic` matches `{root}/+/data`, `{root}/+/status` or `{root}/+/meta`, as a broker would match the subscriptions. */
export function isSubscribedTopic(root: string, topic: string): boolean {
  if (topic.length <= root.length + 1 || !topic.startsWith(root) || topic.charCodeAt(root.length) !== 0x2f) return false;
  const slash = topic.indexOf('/', root.length + 1);
  return slash >= 0 && SUBSCRIBED_KINDS.has(topic.slice(slash + 1));
}

export interface GatewaySequence {
  lastSeq: number;
  messages: number;
  /** Sequence numbers skipped by live messages (messages the gateway parked in its outbox count here first). */
  gaps: number;
  /** Replayed messages below the live high-water mark: gaps filled by the outbox. `gaps - gapsFilled` are still missing. */
  gapsFilled: number;
  duplicates: number;
}

export class Ingest {
  readonly counters: IngestCounters = { messages: 0, readings: 0, written: 0, writeErrors: 0, rejected: {}, seqGaps: 0, seqDuplicates: 0, refused: 0, consumerErrors: 0 };
  private readonly slots: Map<string, TagSlot>;
  /** Where each message's lines are written as it is taken (see line-slabs.ts). */
  private readonly lineSlabs = new LineSlabs();
  private slotsOutsidePark = 0;
  /** Per gateway: the highest live seq seen, messages, gaps and duplicates. */
  readonly perGateway = new Map<string, GatewaySequence>();
  private readonly queue: WriteQueue;
  private readonly acceptLog: AcceptLog | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Rolls up readings stored too late for the live rollup (or the continuous query). */
  readonly rollups: RollupBackfill;
  private readonly rollupTimer: NodeJS.Timeout;
  /** The 1-minute rollup made here (undefined when the continuous query makes it). */
  private readonly live: LiveRollup | undefined;
  /** No rollup state file yet: the first run with this data folder. */
  private readonly firstRun: boolean;
  /** Rollup minutes being written, one after another. */
  private liveWriting: Promise<void> = Promise.resolve();
  private liveDraining = false;
  /** The latest minute a piece of which could not be written. */
  private liveFailedMinute = Number.NaN;
  private lastLiveRollupError: string | undefined;
  /** Live rollup: points written, and writes that failed (their minutes are recomputed from raw points later). */
  readonly liveRollupCounters = { points: 0, failedWrites: 0 };
  /** When InfluxDB writes started failing; undefined while they succeed. */
  private failingSince: number | undefined;
  private lastRollupError: string | undefined;
  private writing: Promise<void> | undefined;
  private retryMs = 0;
  private lastWriteError: string | undefined;
  private stopped = false;
  /** False until database, retention policies and rollup exist (again, after InfluxDB lost them). */
  private schemaReady = false;
  private readonly rejects: RejectLog;
  private readonly refusals: RejectLog;
  private readonly consumerFaults: RejectLog;
  private readonly unkept: RejectLog;
  private lastRefusal: string | undefined;
  private readonly parallelWrites: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;

  constructor(private readonly o: IngestOptions) {
    this.batchSize = o.batchSize ?? 5000;
    this.flushIntervalMs = o.flushIntervalMs ?? 100;
    const maxSpoolBytes = o.maxSpoolBytes ?? 2 * 1024 ** 3;
    this.acceptLog = o.acceptLogDir ? new AcceptLog(o.acceptLogDir, { maxBytes: maxSpoolBytes }) : undefined;
    const log = this.acceptLog;
    // With an accept log, the log is the record of what waits: an earlier run's spool would count twice.
    this.queue = new WriteQueue({
      dir: o.spoolDir,
      memoryLimit: o.memoryLimit ?? 200_000,
      maxSpoolBytes,
      discardExisting: log !== undefined,
      ...(log ? { onDrop: (n: number) => log.committed(n) } : {}),
    });
    this.rejects = new RejectLog(o.log);
    this.refusals = new RejectLog(o.log, 'InfluxDB refused readings');
    this.consumerFaults = new RejectLog(o.log, 'a consumer failed on a message');
    this.unkept = new RejectLog(o.log, 'message not acknowledged: it could not be kept; the publisher will send it again');
    this.parallelWrites = o.parallelWrites ?? 4;
    this.slots = tagSlotsOf(o.park);
    this.rollups = new RollupBackfill(o.store, o.rollupQuietMs);
    // The minute of the start is only partly seen, and recomputed from the
    // stored readings once over, unless this is the first run with this data
    // folder (no rollup state yet): then nothing of it was stored before, and
    // recomputing it (at 100,000 tags, InfluxDB reading 6 million points) is
    // work for nothing. A restart finds the state file, written at once below.
    const now = Date.now();
    this.firstRun = o.rollupStateFile !== undefined && !existsSync(o.rollupStateFile);
    this.live = (o.rollupBy ?? 'server') === 'server' ? new LiveRollup(this.firstRun ? now - (now % 60_000) : now, LATE_AFTER_MS + 5_000, this.slots.size) : undefined;
    this.rollupTimer = setInterval(() => {
      if (this.live) this.drainLiveRollup(this.live);
      // Late readings are rolled up once the writes have caught up: less than
      // a batch waits, and writes succeed. (Waiting for an empty queue, as
      // before, waited forever under a steady load: a queue that always holds
      // the last few milliseconds' readings is never empty.)
      if (this.queue.size() >= this.batchSize || this.retryMs > 0 || this.lastWriteError !== undefined || !this.schemaReady || !this.rollups.due(Date.now())) return;
      void this.rollups.run(Date.now(), (site, err) => this.rollupFailed(site, err));
    }, 1000);
    this.rollupTimer.unref();
  }

  async start(): Promise<void> {
    this.recoverAccepted();
    this.resumeLiveRollup();
    try {
      await this.o.store.ensureSchema(this.o.retention, this.o.rollupBy ?? 'server');
      this.schemaReady = true;
    } catch (err) {
      // Not fatal: readings queue until InfluxDB answers; the flush retries.
      this.lastWriteError = (err as Error).message;
      this.o.log.warn({ err: this.lastWriteError }, 'InfluxDB not reachable at start; readings will queue');
    }
  }

  /** Messages acknowledged by a run that crashed before writing them: queued again (not re-announced). */
  private recoverAccepted(): void {
    if (!this.acceptLog) return;
    const recovered = this.acceptLog.recover();
    const counts: { readings: number }[] = [];
    for (const m of recovered) {
      const r = parseDataMessage(m.payload, m.gateway, Number.MAX_SAFE_INTEGER);
      if (!r.ok) {
        counts.push({ readings: 0 });
        continue;
      }
      this.queue.push(this.linesOf(r.value, undefined, undefined));
      counts.push({ readings: r.value.readings.length });
      // Acknowledged before a crash and stored only now: too late for the continuous query.
      this.noteLate(r.value, undefined, Number.POSITIVE_INFINITY);
    }
    this.acceptLog.recovered(counts);
    const readings = counts.reduce((a, c) => a + c.readings, 0);
    if (recovered.length > 0) this.o.log.info({ messages: recovered.length, readings }, 'accepted readings of the previous run queued again from the accept log');
    if (readings > 0) this.schedule();
  }

  /**
   * A slot for a tag outside the park model (announced by a gateway only),
   * with no site or source, so that its readings cost what a park tag's do.
   * At most MAX_SLOTS_OUTSIDE_PARK: any client may name new tags.
   */
  private slotOutsidePark(id: string): TagSlot | undefined {
    if (this.slotsOutsidePark >= MAX_SLOTS_OUTSIDE_PARK) return undefined;
    this.slotsOutsidePark++;
    const slot = new TagSlot(id, '', '', seriesKey(id, '', ''), this.slots.size);
    this.slots.set(id, slot);
    return slot;
  }

  /**
   * The message's readings as lines to store (see line-slabs.ts). `slots`,
   * when given, gets each reading's slot (undefined past
   * MAX_SLOTS_OUTSIDE_PARK). With `live`, each reading is also added to the
   * live rollup; those it cannot take are noted for the backfill.
   */
  private linesOf(msg: DataMessage, slots: (TagSlot | undefined)[] | undefined, live: LiveRollup | undefined): Lines {
    const readings = msg.readings;
    const found: (TagSlot | undefined)[] = slots ?? new Array<TagSlot | undefined>(readings.length);
    let maxBytes = 0;
    let previous: TagSlot | undefined;
    for (let i = 0; i < readings.length; i++) {
      const id = (readings[i] as (typeof readings)[number]).id;
      let slot = previous?.next;
      if (slot === undefined || slot.id !== id) {
        slot = this.slots.get(id) ?? this.slotOutsidePark(id);
        if (previous !== undefined && slot !== undefined) previous.next = slot;
      }
      previous = slot;
      found[i] = slot;
      // Past MAX_SLOTS_OUTSIDE_PARK a tag outside the park model has no slot: no site or source, its series key made here.
      maxBytes += (slot === undefined ? 3 * (id.length + 11) : slot.seriesBytes) + LINE_TAIL_MAX;
    }
    const w = this.lineSlabs.begin(maxBytes);
    const now = Date.now();
    let lateFrom = Number.POSITIVE_INFINITY;
    let lateTo = Number.NEGATIVE_INFINITY;
    let lateSite: string | undefined;
    let lastTs = Number.NaN;
    let tsText = '';
    for (let i = 0; i < readings.length; i++) {
      const r = readings[i] as (typeof readings)[number];
      const slot = found[i];
      const q = qualityToCode(r.q);
      // The readings of one block share a timestamp: its text once.
      if (r.ts !== lastTs) {
        lastTs = r.ts;
        tsText = String(r.ts);
      }
      writeReadingLine(w, slot === undefined ? seriesKey(r.id, '', '') : slot.series, r.v, q, tsText);
      if (live === undefined || (slot !== undefined && live.add(slot.index, slot.series, r.ts, r.v, q, now))) continue;
      if (r.ts < lateFrom) lateFrom = r.ts;
      if (r.ts > lateTo) lateTo = r.ts;
      const site = slot?.site ?? EVERY_SITE;
      lateSite = lateSite === undefined || lateSite === site ? site : EVERY_SITE;
    }
    if (lateSite !== undefined) this.rollups.note(lateSite, lateFrom, lateTo, now);
    return this.lineSlabs.finish(readings.length);
  }

  onMessage(root: string, topic: string, payload: Buffer): void {
    const t = parseTopic(root, topic);
    if (!t) {
      this.count('topic', '?', `unexpected topic ${JSON.stringify(topic.slice(0, 200))}`);
      return;
    }
    if (t.kind === 'data') this.onData(t.gateway, payload);
    else if (t.kind === 'status') {
      if (payload.length === 0) return; // a cleared retained message
      const r = parseStatusMessage(payload, t.gateway);
      if (r.ok) this.notify('status', t.gateway, () => this.o.onStatus?.(r.value, Date.now()));
      else this.count(r.code, t.gateway, r.reason);
    } else {
      if (payload.length === 0) return;
      const r = parseMetaMessage(payload, t.gateway);
      if (r.ok) this.notify('meta', t.gateway, () => this.o.onMeta?.(r.value));
      else this.count(r.code, t.gateway, r.reason);
    }
  }

  /**
   * A message as the embedded broker receives it, before the broker
   * acknowledges it to its publisher (no subscription of the server's own is
   * then needed). The broker sees every topic; only those the server would
   * subscribe to (`{root}/+/data`, `status`, `meta`) are taken, the others
   * pass unseen. Returns once an accepted data message is in the accept log;
   * throws if it could not be written there, so that it is not acknowledged.
   */
  onPublish(root: string, topic: string, payload: Buffer): void {
    if (!isSubscribedTopic(root, topic)) return;
    try {
      this.onMessage(root, topic, payload);
    } catch (err) {
      // The broker only drops the publisher's connection; without this line nobody would know why.
      this.unkept.note(parseTopic(root, topic)?.gateway ?? '?', 'accept-log', (err as Error).message);
      throw err;
    }
  }

  private onData(gateway: string, payload: Buffer): void {
    const r = parseDataMessage(payload, gateway);
    if (!r.ok) {
      this.count(r.code, gateway, r.reason);
      return;
    }
    const msg = r.value;
    // The acknowledgement (MQTT.js's to an external broker, the embedded
    // broker's to the publisher) waits for this to return, so the append comes
    // first. If it throws, nothing is counted: the publisher sends the message again.
    this.acceptLog?.append(gateway, payload, msg.readings.length);
    this.counters.messages++;
    const duplicate = this.trackSeq(gateway, msg.seq, msg.replay === true);
    const slots = new Array<TagSlot | undefined>(msg.readings.length);
    // Replays are noted late as a whole. So is a repeated live seq: summing it
    // again would count its readings twice, and a gateway whose seq restarted
    // (its data folder lost) would otherwise leave its minutes out.
    this.queue.push(this.linesOf(msg, slots, msg.replay !== true && !duplicate ? this.live : undefined));
    this.counters.readings += msg.readings.length;
    this.noteLate(msg, slots, msg.replay === true || (this.live !== undefined && duplicate) ? Number.POSITIVE_INFINITY : Date.now() - LATE_AFTER_MS);
    this.schedule();
    this.notify('data', gateway, () => this.o.onData?.(msg, Date.now(), slots));
  }

  /**
   * Notes for the rollup the time range of a message's readings if any is
   * older than `lateBefore` (infinity: all of them count as late).
   */
  private noteLate(msg: DataMessage, slots: readonly (TagSlot | undefined)[] | undefined, lateBefore: number): void {
    const readings = msg.readings;
    let from = Number.POSITIVE_INFINITY;
    let to = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < readings.length; i++) {
      const ts = (readings[i] as (typeof readings)[number]).ts;
      if (ts < from) from = ts;
      if (ts > to) to = ts;
    }
    if (!(from < lateBefore)) return;
    // One site when every reading has the same (a gateway serves one site); else every site.
    let site: string | undefined = slots?.[0]?.site;
    if (site !== undefined && slots) for (let i = 1; i < slots.length && site !== undefined; i++) if (slots[i]?.site !== site) site = undefined;
    this.rollups.note(site ?? EVERY_SITE, from, to, Date.now());
  }

  /**
   * Readings the server derives itself (the environment averages): stored
   * and handed to the consumers like a gateway's, but without the accept log
   * or sequence tracking, since they are computed again after a restart.
   */
  acceptLocal(msg: DataMessage): void {
    const slots = new Array<TagSlot | undefined>(msg.readings.length);
    this.queue.push(this.linesOf(msg, slots, this.live));
    this.counters.readings += msg.readings.length;
    this.schedule();
    this.notify('data', msg.gateway, () => this.o.onData?.(msg, Date.now(), slots));
  }

  /**
   * Hands a validated message to the consumers (live table, alarms,
   * incidents). A fault in one of them is logged (at a bounded rate) and
   * counted, never thrown into the MQTT client: the readings are already
   * queued for InfluxDB, and the next message must still be taken.
   */
  private notify(kind: string, gateway: string, deliver: () => void): void {
    try {
      deliver();
    } catch (err) {
      this.counters.consumerErrors++;
      this.consumerFaults.note(gateway, kind, (err as Error).stack ?? String(err));
    }
  }

  /** True when a live message repeats one seen (its seq is not above the gateway's last). */
  private trackSeq(gateway: string, seq: number, replay: boolean): boolean {
    let g = this.perGateway.get(gateway);
    if (!g) this.perGateway.set(gateway, (g = { lastSeq: -1, messages: 0, gaps: 0, gapsFilled: 0, duplicates: 0 }));
    g.messages++;
    // Replays come out of order by design; only live messages define the sequence.
    if (replay) {
      if (seq < g.lastSeq) g.gapsFilled++;
      return false;
    }
    let duplicate = false;
    if (g.lastSeq >= 0) {
      if (seq <= g.lastSeq) {
        g.duplicates++;
        this.counters.seqDuplicates++;
        duplicate = true;
      } else if (seq > g.lastSeq + 1) {
        g.gaps += seq - g.lastSeq - 1;
        this.counters.seqGaps += seq - g.lastSeq - 1;
      }
    }
    if (seq > g.lastSeq) g.lastSeq = seq;
    return duplicate;
  }

  /**
   * Writes the live rollup's minutes that are due, 5,000 points every
   * 250 ms (100,000 tags in 5 s): encoded at once they held the event loop
   * (and every alarm behind it) for tens of milliseconds, and written at once
   * they were a burst of work for InfluxDB that slowed the whole machine.
   */
  private drainLiveRollup(live: LiveRollup): void {
    if (this.liveDraining) return;
    const step = (): void => {
      const chunk = this.stopped ? undefined : live.flush(Date.now());
      if (chunk === undefined) {
        this.liveDraining = false;
        return;
      }
      this.writeLiveRollup(chunk);
      setTimeout(step, chunk.points > 0 ? LIVE_ROLLUP_PACE_MS : 0).unref();
    };
    this.liveDraining = true;
    step();
  }

  /** Queues a piece of a closed minute for writing; a minute only partly seen, or not written, is recomputed from raw points. */
  private writeLiveRollup(chunk: RollupChunk): void {
    const late = (): void => this.rollups.note(EVERY_SITE, chunk.minute, chunk.minute + 59_999, Date.now());
    if (chunk.partial || !this.schemaReady) {
      late();
      return;
    }
    if (chunk.points === 0) return;
    this.liveWriting = this.liveWriting.then(async () => {
      try {
        await this.o.store.writeRollupBody(chunk.body);
        this.liveRollupCounters.points += chunk.points;
        // Not past a minute of which a piece failed: a restart must recompute it too.
        if (chunk.last && this.liveFailedMinute !== chunk.minute) this.saveLiveRollupState(chunk.minute);
        this.lastLiveRollupError = undefined;
      } catch (err) {
        this.liveFailedMinute = chunk.minute;
        this.liveRollupCounters.failedWrites++;
        late();
        const message = (err as Error).message;
        if (message !== this.lastLiveRollupError) this.o.log.warn({ minute: new Date(chunk.minute).toISOString(), err: message }, 'rollup minute not written; it will be recomputed from the stored readings');
        this.lastLiveRollupError = message;
      }
    });
  }

  private saveLiveRollupState(minute: number): void {
    const file = this.o.rollupStateFile;
    if (!file) return;
    try {
      writeFileSync(`${file}.tmp`, JSON.stringify({ writtenThrough: minute }));
      renameSync(`${file}.tmp`, file);
    } catch (err) {
      this.o.log.warn({ file, err: (err as Error).message }, 'could not keep the rollup state; after a restart some minutes may be recomputed twice or missed');
    }
  }

  /** At start: the minutes after the last one written before (a stop or crash in them) are recomputed from raw points. */
  private resumeLiveRollup(): void {
    const file = this.o.rollupStateFile;
    if (!this.live || !file) return;
    if (this.firstRun) {
      // So that a restart within minutes recomputes the minutes of this run.
      const now = Date.now();
      this.saveLiveRollupState(now - (now % 60_000) - 60_000);
      return;
    }
    if (!existsSync(file)) return;
    let through = Number.NaN;
    try {
      through = Number((JSON.parse(readFileSync(file, 'utf8')) as { writtenThrough?: unknown }).writtenThrough);
    } catch {
      // unreadable: nothing to resume from
    }
    const now = Date.now();
    if (!Number.isFinite(through)) return;
    const from = Math.max(through + 60_000, now - ROLLUP_RESUME_MAX_MS);
    if (from < now) {
      this.rollups.note(EVERY_SITE, from, now, now);
      this.o.log.info({ from: new Date(from).toISOString() }, 'rollup minutes since the last run will be recomputed from the stored readings');
    }
  }

  private count(code: RejectCode | 'topic', gateway: string, reason: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    this.rejects.note(gateway, code, reason);
  }

  private schedule(): void {
    if (this.stopped || this.writing) return;
    if (this.queue.size() >= this.batchSize) {
      this.flushSoon(0);
    } else if (!this.timer) {
      this.flushSoon(this.flushIntervalMs);
    }
  }

  private flushSoon(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.writing = this.flush().finally(() => {
        this.writing = undefined;
        if (this.queue.size() === 0 || this.stopped) return;
        // After a failure, the backoff; else what is left waits for a full
        // batch or the flush interval like any reading. Writing every
        // remainder at once sent InfluxDB ever smaller requests as the
        // server got faster, and InfluxDB spends more per point on small
        // requests than on full ones: at 100,000 readings/s it fell behind.
        if (this.retryMs > 0) this.flushSoon(this.retryMs);
        else this.schedule();
      });
    }, ms);
  }

  /**
   * Writes queued readings until less than a full batch is left (the rest
   * waits for the next flush) or a write fails.
   * `parallelWrites` batches go out at once: InfluxDB takes them faster in
   * parallel than one after another. If any fails for a reason that may pass
   * (InfluxDB away, slow, 5xx), the whole group is given back and retried;
   * batches that did succeed are simply overwritten, readings being
   * idempotent. Points InfluxDB refuses for good (4xx) are counted and
   * logged, never retried forever.
   */
  private async flush(): Promise<void> {
    // The first group goes whatever its size (the interval has passed, or a batch is full); more only while full batches wait.
    for (let first = true; this.queue.size() >= (first ? 1 : this.batchSize); first = false) {
      const group = this.queue.take(this.batchSize * this.parallelWrites);
      const groupCount = countLines(group);
      const batches = batchesOf(group, this.batchSize);
      try {
        if (!this.schemaReady) {
          await this.o.store.ensureSchema(this.o.retention, this.o.rollupBy ?? 'server');
          this.schemaReady = true;
        }
        // A batch's request body is built when its write starts: one per turn
        // of the event loop, so that messages (and the alarms in them) are
        // taken between them instead of waiting behind 20,000 readings' worth.
        const writes: Promise<PromiseSettledResult<void>>[] = [];
        for (const b of batches) {
          if (writes.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
          writes.push(
            this.o.store.writeLines(linesBody(b)).then(
              (value): PromiseSettledResult<void> => ({ status: 'fulfilled', value }),
              (reason: unknown): PromiseSettledResult<void> => ({ status: 'rejected', reason }),
            ),
          );
        }
        const results = await Promise.all(writes);
        const transient = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof InfluxWriteError && r.reason.permanent));
        if (transient) throw transient.reason;
        results.forEach((r, i) => {
          const count = countLines(batches[i] ?? []);
          if (r.status === 'rejected') this.refuse(count, r.reason as InfluxWriteError);
          else this.counters.written += count;
        });
      } catch (err) {
        this.queue.giveBack();
        this.counters.writeErrors++;
        const message = (err as Error).message;
        // An InfluxDB that came back empty (new data folder) needs its schema again.
        if (/database not found|retention policy not found/.test(message)) this.schemaReady = false;
        if (message !== this.lastWriteError) this.o.log.warn({ err: message, queued: this.queue.size() }, 'InfluxDB write failed; readings stay queued');
        this.lastWriteError = message;
        this.failingSince ??= Date.now();
        this.retryMs = Math.min(RETRY_MAX_MS, Math.max(RETRY_MIN_MS, this.retryMs * 2));
        return;
      }
      this.queue.commit();
      this.acceptLog?.committed(groupCount);
      if (this.lastWriteError !== undefined) this.o.log.info({ queued: this.queue.size() }, 'InfluxDB writes resumed');
      if (this.failingSince !== undefined) {
        // Every reading queued meanwhile is stored late, and the continuous query may not have run at all.
        this.rollups.note(EVERY_SITE, this.failingSince - LATE_AFTER_MS, Date.now(), Date.now());
        this.failingSince = undefined;
      }
      this.lastWriteError = undefined;
      this.retryMs = 0;
    }
  }

  /** InfluxDB refused (part of) a batch for good: count what it dropped and say why. */
  private refuse(count: number, err: InfluxWriteError): void {
    // A partial write says how many points it dropped; the rest were stored.
    const dropped = Number(/dropped=(\d+)/.exec(err.message)?.[1] ?? count);
    this.counters.refused += dropped;
    this.counters.written += count - dropped;
    this.lastRefusal = err.message;
    this.refusals.note('influxdb', 'refused', err.message);
  }

  /** Rolls up the late readings noted so far now, without the quiet time (once the writes have caught up). */
  async rollUpLateNow(): Promise<void> {
    await this.drain();
    await this.rollups.idle();
    if (this.rollups.hasPending()) await this.rollups.run(Date.now(), (site, err) => this.rollupFailed(site, err));
  }

  /** Logged once per distinct reason: while InfluxDB is away the rollup fails every time it is tried. */
  private rollupFailed(site: string, err: Error): void {
    if (err.message === this.lastRollupError) return;
    this.lastRollupError = err.message;
    this.o.log.warn({ site: site || 'every site', err: err.message }, 'rollup of late readings failed; will try again');
  }

  /** Readings accepted but not yet in InfluxDB. */
  backlog(): number {
    return this.queue.size();
  }

  /** Readings dropped because the disk spool was full. */
  dropped(): number {
    return this.queue.dropped;
  }

  /** Resolves when everything accepted so far is written (or `timeoutMs` passes). */
  async drain(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.size() > 0 || this.writing) {
      if (Date.now() > deadline) return false;
      if (!this.writing && !this.timer) this.flushSoon(0);
      await (this.writing ?? new Promise((r) => setTimeout(r, 20)));
    }
    return true;
  }

  health(): ComponentHealth {
    const backlog = this.queue.size();
    if (this.lastWriteError !== undefined) return { status: 'degraded', detail: `InfluxDB writes failing (${this.lastWriteError}); ${backlog} readings queued` };
    if (this.counters.refused > 0) return { status: 'degraded', detail: `InfluxDB refused ${this.counters.refused} readings (latest: ${this.lastRefusal ?? ''}); ${backlog} queued` };
    // Live values or alarms may be wrong: an operator must be told, not only the log.
    if (this.counters.consumerErrors > 0) return { status: 'degraded', detail: `${this.counters.consumerErrors} messages failed in the live table or alarm engine (see the log); readings are still stored` };
    return { status: 'ok', detail: `${this.counters.written} readings written, ${backlog} queued, ${Object.values(this.counters.rejected).reduce((a, b) => a + (b ?? 0), 0)} messages rejected` };
  }

  async stop(): Promise<void> {
    // A last attempt to write what was accepted; the gateways' outboxes cover the rest.
    await this.drain(5000);
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    clearInterval(this.rollupTimer);
    await this.writing;
    // Minutes complete by now are written; the ones still open are recomputed at the next start (rollupStateFile).
    if (this.live) for (const chunk of this.live.flushAll(Date.now())) if (!chunk.partial) this.writeLiveRollup(chunk);
    await this.liveWriting;
    await this.rollups.idle();
    // What could not be written now waits on disk for the next start: in the
    // accept log when there is one, else in the spool.
    if (this.acceptLog) this.acceptLog.close();
    else this.queue.spillAll();
  }
}
