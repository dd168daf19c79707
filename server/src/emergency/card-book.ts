import type { Logger } from '../log.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { Identity } from '../http/auth-routes.js';
import { matchCards, parseCard, type CardContext, type CardMatch, type EmergencyCard } from './cards.js';
import { StrictClock, type EmergencyJournal } from './emergency-journal.js';

/**
 * The cards in force and every version seen since start. The seed files in
 * `seeds/cards/` are version N; an engineer's edit (`replace`) must carry
 * version N + 1, is checked like a file, kept in memory and written to the
 * journal (`emergency_card`, the whole card as JSON). At start, `restore`
 * reads the journal back: a journalled version newer than the seed file's
 * replaces it; an older one (the seed file was raised in the repository
 * since) is kept in the history only.
 */

export interface CardVersion {
  card: EmergencyCard;
  /** `seed` for the file; otherwise the engineer who saved it. */
  savedBy: string;
  savedAt: number | null;
}

export type ReplaceResult = { ok: true; card: EmergencyCard } | { ok: false; status: 400 | 404 | 409; error: string; problems?: string[] };

export class CardBook {
  private readonly versions = new Map<string, CardVersion[]>();
  private readonly clock = new StrictClock();

  constructor(
    seeds: readonly EmergencyCard[],
    private readonly ctx: CardContext,
    private readonly journal: EmergencyJournal,
    private readonly audit: Pick<AuditLog, 'record'>,
    private readonly log: Logger,
  ) {
    for (const c of seeds) this.versions.set(c.card.id, [{ card: c, savedBy: 'seed', savedAt: null }]);
  }

  /** Brings back edits journalled since `sinceMs`. Throws when the journal cannot be read. */
  async restore(sinceMs: number): Promise<{ restored: number; ignored: number }> {
    let restored = 0;
    let ignored = 0;
    for (const p of await this.journal.read('emergency_card', sinceMs)) {
      const id = p.tags['cardId'];
      const json = p.fields['card'];
      if (id === undefined || typeof json !== 'string') {
        ignored++;
        continue;
      }
      this.clock.seen(id, p.ts);
      let parsed: ReturnType<typeof parseCard>;
      try {
        parsed = parseCard(JSON.parse(json), this.ctx);
      } catch {
        parsed = { ok: false, problems: ['not JSON'] };
      }
      const list = this.versions.get(id);
      if (!parsed.ok || !list || parsed.card.card.id !== id) {
        // The park model or map changed since, or the seed card was removed: the edit no longer applies.
        this.log.warn({ card: id, version: p.fields['version'], problems: parsed.ok ? ['card no longer in seeds/cards'] : parsed.problems.slice(0, 3) }, 'journalled card edit ignored');
        ignored++;
        continue;
      }
      if (list.some((v) => v.card.card.version === parsed.card.card.version)) continue;
      list.push({ card: parsed.card, savedBy: typeof p.fields['user'] === 'string' ? p.fields['user'] : '?', savedAt: p.ts });
      list.sort((a, b) => a.card.card.version - b.card.card.version);
      restored++;
    }
    return { restored, ignored };
  }

  list(): EmergencyCard[] {
    return [...this.versions.values()].map((l) => (l[l.length - 1] as CardVersion).card);
  }

  get(id: string, version?: number): EmergencyCard | undefined {
    const list = this.versions.get(id);
    if (!list) return undefined;
    if (version === undefined) return list[list.length - 1]?.card;
    return list.find((v) => v.card.card.version === version)?.card;
  }

  history(id: string): { version: number; savedBy: string; savedAt: number | null }[] {
    return (this.versions.get(id) ?? []).map((v) => ({ version: v.card.card.version, savedBy: v.savedBy, savedAt: v.savedAt }));
  }

  match(alarmId: string, hazardSourceOf: (tagId: string) => string | undefined): CardMatch[] {
    return matchCards(this.list(), alarmId, hazardSourceOf);
  }

  /** An engineer's edit: checked, versioned, journalled, audited (refusals too). */
  replace(who: Identity, id: string, body: unknown, nowMs = Date.now()): ReplaceResult {
    const refuse = (status: 400 | 404 | 409, error: string, problems?: string[]): ReplaceResult => {
      this.audit.record({ action: 'card-edit', user: who.user, target: id, ok: false, detail: problems ? `${error}: ${problems.slice(0, 5).join('; ')}` : error });
      return { ok: false, status, error, ...(problems ? { problems } : {}) };
    };
    const current = this.get(id);
    if (!current) return refuse(404, `no card "${id}"`);
    const parsed = parseCard(body, this.ctx);
    if (!parsed.ok) return refuse(400, 'invalid card', parsed.problems);
    const card = parsed.card;
    if (card.card.id !== id) return refuse(400, 'invalid card', [`card.id: must be "${id}" (the card in the path), got ${JSON.stringify(card.card.id)}`]);
    if (card.card.hazardSource !== current.card.hazardSource) return refuse(400, 'invalid card', [`card.hazardSource: a card stays with its installation ("${current.card.hazardSource}"); write a new card file instead`]);
    const expected = current.card.version + 1;
    if (card.card.version !== expected) return refuse(409, `card.version: must be ${expected} (the current version is ${current.card.version}; someone may have saved in between)`);
    const ts = this.clock.next(id, nowMs);
    (this.versions.get(id) as CardVersion[]).push({ card, savedBy: who.user, savedAt: ts });
    this.journal.write({ measurement: 'emergency_card', tags: { cardId: id }, fields: { version: card.card.version, user: who.user, card: JSON.stringify(card) }, ts });
    this.audit.record({ action: 'card-edit', user: who.user, target: id, ok: true, detail: `version ${current.card.version} → ${card.card.version}${who.address ? ` from ${who.address}` : ''}` });
    return { ok: true, card };
  }
}
