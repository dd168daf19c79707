import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadEmergency } from '../../../server/src/emergency/emergency.js';
import { MAP_FILE, editedCards, park, problemsOf, replaceOnce, seedData } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function loadEdited(file: string, edit: (t: string) => string): string[] {
  const copy = editedCards(file, edit);
  cleanups.push(copy.remove);
  return problemsOf(() => loadEmergency(park(), copy.dir, MAP_FILE)).map((line) => line.replace(copy.dir + path.sep, ''));
}

describe('plume data on the cards', () => {
  it('gives the toxic cards exposure levels and vessels, all marked unverified', () => {
    const cards = new Map(seedData().cards.map((c) => [c.card.id, c]));
    const cl = cards.get('hs01-chlorine-leak');
    expect(cl?.substance.exposureLevels).toMatchObject({ level1MgM3: 2.9, level2MgM3: 8.7, verified: false });
    expect(cl?.release).toMatchObject({ heightM: 1, verified: false });
    expect(cl?.release?.vessels.map((v) => v.levelTag)).toEqual(['a.hs01.t101.level', 'a.hs01.t102.level', 'a.hs01.t103.level']);
    expect(cards.get('hs02-ammonia-leak')?.substance.exposureLevels?.verified).toBe(false);
    // The fire card has no plume: the contours would mean nothing for it.
    expect(cards.get('hs03-lpg-fire')?.substance.exposureLevels).toBeUndefined();
  });

  it.each([
    ['level 1 above level 2', (t: string) => replaceOnce(t, 'level1MgM3: 2.9', 'level1MgM3: 20'), /substance\.exposureLevels\.level2MgM3: level1MgM3 must be below level2MgM3/],
    ['an unknown level tag', (t: string) => replaceOnce(t, 'levelTag: a.hs01.t102.level', 'levelTag: a.hs01.t102.lvl'), /release\.vessels\[1\]\.levelTag: unknown tag "a\.hs01\.t102\.lvl"/],
    ['a discrete level tag', (t: string) => replaceOnce(t, 'levelTag: a.hs01.t102.level', 'levelTag: a.hs01.t102.xv_open'), /release\.vessels\[1\]\.levelTag: tag "a\.hs01\.t102\.xv_open" is discrete/],
    ['a unit that does not match the tag', (t: string) => replaceOnce(t, 'levelTag: a.hs01.t103.level, levelUnit: percent', 'levelTag: a.hs01.t103.level, levelUnit: m'), /release\.vessels\[2\]\.levelUnit: tag "a\.hs01\.t103\.level" reads "%", levelUnit says m/],
    ['percent without a span', (t: string) => replaceOnce(t, 'levelUnit: percent, levelSpanM: 2.8, areaM2: 22, densityKgM3: 1410 }\n    - { id: t102', 'levelUnit: percent, areaM2: 22, densityKgM3: 1410 }\n    - { id: t102'), /release\.vessels\[0\]\.levelSpanM: required with levelUnit percent/],
    ['a vessel listed twice', (t: string) => replaceOnce(t, '{ id: t103,', '{ id: t101,'), /release\.vessels\[2\]\.id: duplicate vessel id "t101"/],
  ])('refuses %s', (_name, edit, reason) => {
    const problems = loadEdited('hs01-chlorine-leak.yaml', edit);
    expect(problems).toEqual([expect.stringMatching(reason)]);
  });
});
