import { describe, expect, it } from 'vitest';
import type { LiveReading } from '@park/protocol';
import { parseHazardRegister, type RegisteredUnit } from '../../../server/src/hazards/register.js';
import { strappedVolume, tonnesOf, unitLiveInventory, volumeFraction } from '../../../server/src/hazards/live-inventory.js';
import { catalogue, park, problemsOf, registerText, replaceOnce } from './helpers.js';

const parse = (text: string) => parseHazardRegister(text, 'reg.yaml', park(), catalogue());
const problems = (text: string) => problemsOf(() => parse(text));
const unit = (id: string, text = registerText()): RegisteredUnit => {
  const u = parse(text).units.find((x) => x.id === id);
  if (!u) throw new Error(`no unit ${id}`);
  return u;
};

const NOW = 1_800_000_000_000;
const reading = (id: string, v: number, extra: Partial<LiveReading> = {}): LiveReading => ({ id, ts: NOW - 1000, v, q: 'good', receivedAt: NOW - 500, ...extra });
const table = (...rs: LiveReading[]) => {
  const m = new Map(rs.map((r) => [r.id, r]));
  return (id: string) => m.get(id);
};

describe('live inventory: level to volume', () => {
  it('fills a vertical cylinder in proportion to its level', () => {
    expect(volumeFraction('vertical-cylinder', 0.37)).toBeCloseTo(0.37, 12);
  });

  it('fills a sphere as a spherical cap: half at half height, 15.625 % at a quarter', () => {
    // x²(3 − 2x) at x = 0.25: 0.0625 × 2.5 = 0.15625.
    expect(volumeFraction('sphere', 0.25)).toBeCloseTo(0.15625, 12);
    expect(volumeFraction('sphere', 0.5)).toBeCloseTo(0.5, 12);
    expect(volumeFraction('sphere', 1)).toBeCloseTo(1, 12);
  });

  it('fills a horizontal cylinder as a circular segment: 19.55 % at a quarter of its diameter', () => {
    // θ = 2·acos(0.5) = 2π/3; (θ − sin θ)/2π = (2.094395 − 0.866025)/6.283185 = 0.195501.
    expect(volumeFraction('horizontal-cylinder', 0.25)).toBeCloseTo(0.195501, 6);
    expect(volumeFraction('horizontal-cylinder', 0.5)).toBeCloseTo(0.5, 12);
    expect(volumeFraction('horizontal-cylinder', 0.75)).toBeCloseTo(1 - 0.195501, 6);
  });

  it('clamps a level outside 0…100 %', () => {
    expect(volumeFraction('sphere', -0.1)).toBe(0);
    expect(volumeFraction('vertical-cylinder', 1.2)).toBe(1);
  });

  it('interpolates a strapping table between its rows', () => {
    const strap = [[0, 0], [50, 400], [100, 1000]] as const;
    expect(strappedVolume(strap, 25)).toBe(200);
    expect(strappedVolume(strap, 75)).toBe(700);
    expect(strappedVolume(strap, 100)).toBe(1000);
    expect(tonnesOf({ tag: 'x', measures: 'level', shape: 'vertical-cylinder', strapping: strap, volumeM3: 1000, densityTPerM3: 0.5 }, 75)).toBe(350);
  });
});

describe('live inventory of the demo installations', () => {
  it('sums the chlorine weight tags against the design maximum and the live share of S', () => {
    const inv = unitLiveInventory(unit('hs01'), table(reading('a.hs01.t101.inventory', 30), reading('a.hs01.t102.inventory', 20.5), reading('a.hs01.t103.inventory', 10)), NOW);
    const item = inv.items[0];
    expect(item).toMatchObject({ id: 'chlorine', designMaxT: 105.84, liveT: 60.5, complete: true, missing: [], overDesign: false, Q: 5 });
    expect(item?.fraction).toBeCloseTo(60.5 / 105.84, 12);
    // t101 holds 30 t of its 35.28 t capacity (30 m³ × 1.47 × 0.8).
    expect(item?.vessels[0]?.fractionOfCapacity).toBeCloseTo(30 / 35.28, 12);
    expect(inv.liveS).toBeCloseTo(60.5 / 5, 12);
    expect(inv.designS).toBe(21.168);
    expect(inv.complete).toBe(true);
  });

  it('turns the LPG spheres\' levels into tonnes through the sphere shape', () => {
    const inv = unitLiveInventory(unit('hs03'), table(reading('b.hs03.v201.level', 50), reading('b.hs03.v202.level', 25)), NOW);
    // 1000 m³ × 0.58 t/m³ × (0.5 + 0.15625) = 380.625 t.
    expect(inv.items[0]?.liveT).toBeCloseTo(380.625, 9);
    expect(inv.items[0]?.vessels.map((v) => v.tonnes)).toEqual([290, 90.625]);
  });

  it('counts only vessels with a good, fresh reading and names the others', () => {
    const inv = unitLiveInventory(
      unit('hs04'),
      table(
        reading('b.hs04.t301.level', 50),
        reading('b.hs04.t302.level', 50, { q: 'bad', err: 'timeout' }),
        reading('b.hs04.t303.level', 50, { receivedAt: NOW - 10 * 60_000 }),
        reading('b.hs04.t304.level', 40, { q: 'uncertain' }),
      ),
      NOW,
    );
    const item = inv.items[0];
    // 5000 m³ × 0.79 × (0.5 + 0.4) = 3555 t from t301 and t304.
    expect(item?.liveT).toBeCloseTo(3555, 9);
    expect(item?.complete).toBe(false);
    expect(item?.missing).toEqual(['t302', 't303']);
    expect(item?.vessels.map((v) => v.quality)).toEqual(['good', 'bad', 'stale', 'uncertain']);
    expect(inv.complete).toBe(false);
  });

  it('has no live total when no vessel reads, and flags a total above the design maximum', () => {
    expect(unitLiveInventory(unit('hs02'), table(), NOW).items[0]).toMatchObject({ liveT: null, fraction: null, complete: false, missing: ['t201'], overDesign: false });
    expect(unitLiveInventory(unit('hs02'), table(), NOW).liveS).toBeNull();
    // 100 m³ × 0.61 at a full horizontal tank = 61 t, above the 51.85 t the unit is graded with.
    expect(unitLiveInventory(unit('hs02'), table(reading('a.hs02.t201.level', 100)), NOW).items[0]).toMatchObject({ liveT: 61, overDesign: true });
  });

  it('uses the vessel\'s weight tag, or its level as a vertical cylinder, when `live` is not given', () => {
    const text = replaceOnce(
      replaceOnce(registerText(), '\n                  live: { tag: a.hs01.t101.inventory, measures: inventory } }', ' }'),
      '\n                  live: { tag: b.hs04.t301.level, measures: level, shape: vertical-cylinder } }',
      ' }',
    );
    expect(unit('hs01', text).items[0]?.vessels[0]?.live).toEqual({ tag: 'a.hs01.t101.inventory', measures: 'inventory' });
    expect(unit('hs04', text).items[0]?.vessels[0]?.live).toMatchObject({ tag: 'b.hs04.t301.level', measures: 'level', shape: 'vertical-cylinder', volumeM3: 5000 });
  });
});

describe('live inventory: configuration mistakes', () => {
  it('refuses a live tag of another vessel, a level read as a weight and a bad strapping table, naming each', () => {
    const text = [
      ['live: { tag: a.hs01.t102.inventory, measures: inventory }', 'live: { tag: a.hs01.t102.level, measures: inventory }'],
      ['live: { tag: a.hs01.t101.inventory, measures: inventory }', 'live: { tag: a.hs01.t102.inventory, measures: inventory }'],
      ['live: { tag: b.hs03.v201.level, measures: level, shape: sphere }', 'live: { tag: b.hs03.v201.level, measures: level, strapping: [[0, 0], [60, 500], [50, 600], [100, 1000]] }'],
      ['live: { tag: b.hs03.v202.level, measures: level, shape: sphere }', 'live: { tag: b.hs03.v202.level, measures: level, strapping: [[10, 0], [100, 1000]] }'],
    ].reduce((t, [from, to]) => replaceOnce(t, from as string, to as string), registerText());
    const found = problems(text);
    expect(found).toEqual([
      expect.stringMatching(/^reg\.yaml: enterprises\[0\]\.units\[0\]\.items\[0\]\.vessels\[0\]\.live\.tag: "a\.hs01\.t102\.inventory" is not one of this vessel's tags \(a\.hs01\.t101\.inventory, a\.hs01\.t101\.level\) \(line \d+, column \d+\)$/),
      expect.stringMatching(/^reg\.yaml: enterprises\[0\]\.units\[0\]\.items\[0\]\.vessels\[1\]\.live\.tag: an inventory tag must be in t; "a\.hs01\.t102\.level" is in % \(line \d+/),
      expect.stringMatching(/^reg\.yaml: enterprises\[1\]\.units\[0\]\.items\[0\]\.vessels\[0\]\.live\.strapping\[2\]: levels must rise and volumes must not fall \(line \d+/),
      expect.stringMatching(/^reg\.yaml: enterprises\[1\]\.units\[0\]\.items\[0\]\.vessels\[1\]\.live\.strapping: must run from 0 % to 100 % \(got 10 % to 100 %\)/),
    ]);
  });

  it('refuses a level measure on a vessel without volume and density', () => {
    const text = replaceOnce(registerText(), '- { id: t201, volumeM3: 100, densityTPerM3: 0.61, maxFill: 0.85, tags:', '- { id: t201, tags:');
    expect(problems(text)).toEqual([expect.stringContaining("enterprises[0].units[1].items[0].vessels[0].live.measures: a level gives tonnes only with the vessel's volumeM3 and densityTPerM3")]);
  });
});
