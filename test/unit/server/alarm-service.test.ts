import { afterEach, describe, expect, it } from 'vitest';
import type { AlarmEvent, DataMessage, Reading } from '@park/protocol';
import { AlarmEngine, type AlarmTransition } from '../../../server/src/alarms/engine.js';
import { normalizeRule, type AlarmRule } from '../../../server/src/alarms/rules.js';
import { AlarmService } from '../../../server/src/alarm-service/alarm-service.js';
import type { AlarmJournal } from '../../../server/src/alarm-service/alarm-journal.js';
import type { AuditLog } from '../../../server/src/audit/audit-log.js';
import { createLogger } from '../../../server/src/log.js';

const TAGS = 2000;
const ids = Array.from({ length: TAGS }, (_, i) => `load.t${String(i).padStart(5, '0')}`);
const PROBE = 'probe.level';

function rules(): AlarmRule[] {
  const base = { gateway: 'gw-load', area: 'load', unit: '', name: { zh: '负载', en: 'load' } };
  return [
    ...ids.map((tagId) => normalizeRule({ ...base, tagId, kind: 'bad-quality' })),
    normalizeRule({ ...base, area: 'probe', tagId: PROBE, kind: 'h', limit: 100 }),
    normalizeRule({ tagId: 'gw-load', kind: 'gateway-offline', gateway: 'gw-load', area: 'load' }),
  ];
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The service with the real engine, a journal that only counts, and a display that records what it is told. */
function setup() {
  const journalled: AlarmTransition[] = [];
  const journal = {
    latest: async () => [],
    escalations: async () => [],
    record: (t: AlarmTransition) => journalled.push(t),
    recordEscalation: () => {},
    recordFlood: () => {},
    drain: async () => true,
    close: () => {},
  } as unknown as AlarmJournal;
  const audit = { record: () => {} } as unknown as AuditLog;
  const announced: AlarmEvent[] = [];
  const changes: { active: number; unack: number }[] = [];
  const engine = new AlarmEngine(rules());
  const service = new AlarmService({
    engine,
    journal,
    audit,
    log: createLogger('silent'),
    restoreWindowMs: 86_400_000,
    areaOf: (id) => engine.rule(id)?.area,
    afterChange: (active) => changes.push({ active: active.length, unack: active.filter((a) => a.state === 'unack').length }),
    tickMs: 3_600_000,
  });
  service.announceTo({ alarm: (e) => announced.push(e), escalation: () => {}, flood: () => {} });
  return { service, journalled, announced, changes };
}

const message = (seq: number, readings: Reading[]): DataMessage => ({ gateway: 'gw-load', seq, readings });

describe('alarm service: a wave of transitions', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('journals and announces every transition of a wave of instrument faults, each with its site, and recomputes the active alarms once for it', async () => {
    const { service, journalled, announced, changes } = setup();
    await service.start();
    stop = () => service.stop();
    expect(changes).toEqual([{ active: 0, unack: 0 }]);
    const ts = Date.now();
    // One poll of a gateway whose devices stopped answering: four messages, every tag bad, and a crossing among them.
    for (let m = 0; m < 4; m++) {
      const part = ids.slice((m * TAGS) / 4, ((m + 1) * TAGS) / 4).map((id): Reading => ({ id, ts, v: 0, q: 'bad', err: 'timeout' }));
      if (m === 2) part.push({ id: PROBE, ts, v: 150, q: 'good' });
      service.onData(message(m + 1, part));
    }
    // Every transition journalled and announced (the flood this starts also marks its first-out: one more, state unchanged).
    expect(journalled.filter((t) => t.cause === 'condition').length).toBe(TAGS + 1);
    expect(announced.length).toBe(journalled.length);
    expect(new Set(announced.filter((e) => e.state === 'unack' && e.kind === 'bad-quality' && e.area === 'load').map((e) => e.id)).size).toBe(TAGS);
    expect(announced.filter((e) => e.id === `${PROBE}:h`).map((e) => [e.state, e.area])).toEqual([['unack', 'probe']]);
    await nextTurn();
    expect(changes).toEqual([
      { active: 0, unack: 0 },
      { active: TAGS + 1, unack: TAGS + 1 },
    ]);

    // The return: every tag good again, the probe below its limit.
    service.onData(message(5, [...ids.map((id): Reading => ({ id, ts: ts + 1000, v: 1, q: 'good' })), { id: PROBE, ts: ts + 1000, v: 50, q: 'good' }]));
    expect(announced.filter((e) => e.state === 'rtn-unack').length).toBe(TAGS + 1);
    await nextTurn();
    expect(changes.at(-1)).toEqual({ active: TAGS + 1, unack: 0 });
    expect(changes.length).toBe(3);
  });

  it('lets an acknowledgement be seen by the next turn of the event loop', async () => {
    const { service, changes } = setup();
    await service.start();
    stop = () => service.stop();
    service.onData(message(1, [{ id: PROBE, ts: Date.now(), v: 150, q: 'good' }]));
    await nextTurn();
    expect(changes.at(-1)).toEqual({ active: 1, unack: 1 });
    const r = service.ack({ user: 'operator', role: 'operator' }, { id: `${PROBE}:h` });
    expect(r).toEqual({ ok: true });
    await nextTurn();
    expect(changes.at(-1)).toEqual({ active: 1, unack: 0 });
  });
});
