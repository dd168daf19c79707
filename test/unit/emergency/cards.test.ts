import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadCards, matchCards, parseCard, tagIndex, tagPatternRegExp, valveState, type EmergencyCard } from '../../../server/src/emergency/cards.js';
import { loadEmergency } from '../../../server/src/emergency/emergency.js';
import { CARDS_DIR, MAP_FILE, editedCards, park, problemsOf, replaceOnce, seedData } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function loadEdited(file: string, edit: (t: string) => string): string[] {
  const copy = editedCards(file, edit);
  cleanups.push(copy.remove);
  return problemsOf(() => loadEmergency(park(), copy.dir, MAP_FILE)).map((line) => line.replace(copy.dir + path.sep, ''));
}

describe('disposal card files', () => {
  it('loads the four demo cards, one per installation and scenario', () => {
    const d = seedData();
    expect(d.cards.map((c) => [c.card.id, c.card.hazardSource, c.card.scenario.event, c.card.version])).toEqual([
      ['hs01-chlorine-leak', 'hs01', 'leak', 1],
      ['hs02-ammonia-leak', 'hs02', 'leak', 1],
      ['hs03-lpg-fire', 'hs03', 'fire', 1],
      ['hs04-methanol-spill', 'hs04', 'spill', 1],
    ]);
    // Unverified content is marked as such, never presented as checked fact.
    for (const c of d.cards) expect([c.substance.verified, c.zone.verified]).toEqual([false, false]);
  });

  it('names file, path, reason, line and column of an unknown valve tag', () => {
    const problems = loadEdited('hs01-chlorine-leak.yaml', (t) => replaceOnce(t, 'closedTag: a.hs01.t102.xv_closed', 'closedTag: a.hs01.t102.xv_shut'));
    expect(problems).toEqual([expect.stringMatching(/^hs01-chlorine-leak\.yaml: valves\[1\]\.closedTag: unknown tag "a\.hs01\.t102\.xv_shut" \(not in the park model\) \(line \d+, column \d+\)$/)]);
  });

  it('reports every problem of every file at once', () => {
    const copy = editedCards('hs01-chlorine-leak.yaml', (t) => replaceOnce(replaceOnce(t, 'hazardSource: hs01', 'hazardSource: hs09'), '  - seq: 3\n', '  - seq: 4\n'));
    cleanups.push(copy.remove);
    const other = path.join(copy.dir, 'hs02-ammonia-leak.yaml');
    writeFileSync(other, replaceOnce(readFileSync(other, 'utf8'), 'assemblyPoint: ap-a-south', 'assemblyPoint: gate-main'));
    const problems = problemsOf(() => loadCards(copy.dir, { park: park(), map: seedData().map })).map((l) => l.replace(copy.dir + path.sep, ''));
    expect(problems).toEqual([
      expect.stringMatching(/^hs01-chlorine-leak\.yaml: card\.hazardSource: unknown hazard source "hs09" \(the park model has hs01, hs02, hs03, hs04\) \(line \d+/),
      expect.stringMatching(/^hs01-chlorine-leak\.yaml: steps\[2\]\.seq: steps must be numbered 1, 2, 3 … in order: expected 3, got 4 \(line/),
      expect.stringMatching(/^hs02-ammonia-leak\.yaml: assemblyPoint: point "gate-main" is a gate, not an assembly point \(line/),
    ]);
  });

  it.each([
    ['an unknown key', (t: string) => replaceOnce(t, 'autoOpen: true', 'autoOpen: true\n  autoClose: true'), /card\.autoClose: unknown option/],
    ['a pattern that matches no tag', (t: string) => replaceOnce(t, '"a.hs01.gd*"', '"a.hs01.gx*"'), /trigger\.patterns\[0\]\.tag: matches no tag of the park model/],
    ['an alarm id without a kind', (t: string) => replaceOnce(t, 'patterns:\n', 'alarms: [a.hs01.gd01]\n  patterns:\n'), /trigger\.alarms\[0\]: must be "tagId:kind"/],
    ['an analog tag as a valve', (t: string) => replaceOnce(t, 'openTag: a.hs01.t101.xv_open', 'openTag: a.hs01.t101.level'), /valves\[0\]\.openTag: tag "a\.hs01\.t101\.level" is analog/],
    ['a step naming an unknown valve', (t: string) => replaceOnce(t, 'valves: [t101-inlet, t102-inlet, t103-inlet]', 'valves: [t101-inlet, t109-inlet]'), /steps\[1\]\.valves\[1\]: unknown valve "t109-inlet"/],
    ['a bad review date', (t: string) => replaceOnce(t, 'reviewDate: "2025-03-01"', 'reviewDate: "1 March 2025"'), /card\.reviewDate: must be a date YYYY-MM-DD/],
    ['a missing first-aid text', (t: string) => t.replace(/  firstAid: .*\n/, ''), /substance\.firstAid: required/],
    ['protective action without isolation', (t: string) => replaceOnce(t, '    small: { day: 300, night: 1100 }', '    small: { day: 300, night: 1100 }\n    large: { day: 3000, night: 7000 }'), /zone\.isolationM\.large: required: a large-spill protective action distance needs/],
  ])('refuses %s', (_name, edit, reason) => {
    const problems = loadEdited('hs01-chlorine-leak.yaml', edit);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^hs01-chlorine-leak\.yaml: /);
    expect(problems[0]).toMatch(reason);
  });

  it('refuses a duplicate card id across files', () => {
    const copy = editedCards('hs01-chlorine-leak.yaml', (t) => t);
    cleanups.push(copy.remove);
    writeFileSync(path.join(copy.dir, 'zz-copy.yaml'), readFileSync(path.join(CARDS_DIR, 'hs01-chlorine-leak.yaml'), 'utf8'));
    const problems = problemsOf(() => loadCards(copy.dir, { park: park(), map: seedData().map }));
    expect(problems).toEqual([expect.stringMatching(/zz-copy\.yaml: card\.id: duplicate card id "hs01-chlorine-leak" \(first in .*hs01-chlorine-leak\.yaml\)$/)]);
  });

  it('needs the park map for the assembly point', () => {
    expect(problemsOf(() => loadEmergency(park(), CARDS_DIR))[0]).toMatch(/assemblyPoint: no park map loaded/);
  });

  it('checks a card sent as JSON with the same rules, as path: reason', () => {
    const card = structuredClone(seedData().cards[0]) as EmergencyCard;
    const bad = { ...card, extra: 1 };
    const r = parseCard(bad, { park: park(), map: seedData().map });
    expect(r).toEqual({ ok: false, problems: ['extra: unknown option (check the spelling; see docs/configuration.md)'] });
    const r2 = parseCard({ ...card, valves: [{ ...card.valves[0], openTag: 'a.hs01.t999.xv_open' }] }, { park: park(), map: seedData().map });
    expect(r2).toEqual({
      ok: false,
      problems: [
        'valves[0].openTag: unknown tag "a.hs01.t999.xv_open" (not in the park model)',
        'steps[1].valves[1]: unknown valve "t102-inlet" (this card\'s valves: t101-inlet)',
        'steps[1].valves[2]: unknown valve "t103-inlet" (this card\'s valves: t101-inlet)',
      ],
    });
  });
});

describe('card matching', () => {
  const cards = seedData().cards;
  const tags = tagIndex(park());
  const hsOf = (id: string): string | undefined => tags.get(id)?.hazardSource;
  const match = (alarm: string): [string, string][] => matchCards(cards, alarm, hsOf).map((m) => [m.card.card.id, m.reason]);

  it.each([
    ['chlorine detector level 2', 'a.hs01.gd03:hh', [['hs01-chlorine-leak', 'pattern']]],
    ['chlorine tank SIS trip', 'a.hs01.t102.sis_trip:discrete', [['hs01-chlorine-leak', 'pattern']]],
    ['fence-line ammonia', 'park.env.nh3:h', [['hs02-ammonia-leak', 'pattern']]],
    ['LPG sphere pressure HH, listed by id', 'b.hs03.v201.pressure:hh', [['hs03-lpg-fire', 'alarm']]],
    ['methanol level HH', 'b.hs04.t303.level:hh', [['hs04-methanol-spill', 'pattern']]],
    ['no trigger: the installation of the tag', 'a.hs01.t101.level:l', [['hs01-chlorine-leak', 'hazard-source']]],
    ['a kind the pattern does not list', 'a.hs01.gd01:stale', [['hs01-chlorine-leak', 'hazard-source']]],
    ['no installation at all', 'park.env.so2:hh', []],
    ['not an alarm id of the form tag:kind', 'gw-a', []],
  ])('%s', (_name, alarm, expected) => {
    expect(match(alarm)).toEqual(expected);
  });

  it('a "*" stands within one part of a tag id only', () => {
    const re = tagPatternRegExp('a.hs01.*.sis_trip');
    expect(re.test('a.hs01.t101.sis_trip')).toBe(true);
    expect(re.test('a.hs01.t101.x.sis_trip')).toBe(false);
    expect(tagPatternRegExp('a.hs01.gd*').test('a.hs01.gd01')).toBe(true);
    expect(tagPatternRegExp('a.hs01.gd*').test('a-hs01-gd01')).toBe(false);
  });
});

describe('valve position from limit switches', () => {
  const two = { id: 'v', name: { zh: '阀', en: 'valve' }, openTag: 'o', closedTag: 'c' };
  const one = { id: 'v', name: { zh: '阀', en: 'valve' }, openTag: 'o' };
  const reads = (o?: [number, 'good' | 'bad'], c?: [number, 'good' | 'bad']) => (id: string) => {
    const r = id === 'o' ? o : c;
    return r ? { v: r[0], q: r[1], ts: id === 'o' ? 10 : 20 } : undefined;
  };
  it.each([
    ['open', two, reads([1, 'good'], [0, 'good']), 'open'],
    ['closed', two, reads([0, 'good'], [1, 'good']), 'closed'],
    ['travelling', two, reads([0, 'good'], [0, 'good']), 'travel'],
    ['both switches on', two, reads([1, 'good'], [1, 'good']), 'mismatch'],
    ['a bad switch', two, reads([1, 'good'], [0, 'bad']), 'unknown'],
    ['no reading', two, reads([1, 'good']), 'unknown'],
    ['one switch, on', one, reads([1, 'good']), 'open'],
    ['one switch, off', one, reads([0, 'good']), 'closed'],
  ] as const)('%s', (_n, valve, read, position) => {
    expect(valveState(valve, read).position).toBe(position);
  });
  it('carries the readings and the latest source time', () => {
    expect(valveState(two, reads([1, 'good'], [0, 'good']))).toEqual({ id: 'v', name: two.name, position: 'open', ts: 20, tags: [{ id: 'o', v: 1, q: 'good' }, { id: 'c', v: 0, q: 'good' }] });
  });
});
