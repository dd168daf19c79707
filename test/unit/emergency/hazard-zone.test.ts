import { describe, expect, it } from 'vitest';
import { angleBetweenDeg, circlePolygon, computeHazardZone, dayOrNight, sectorHalfAngleDeg, sectorPolygon, type HazardZoneInput, type ZoneDistances } from '../../../server/src/emergency/hazard-zone.js';

// Hand geometry: release at the origin, x east, y north. sin 60° = 0.866025…, so 300 × sin 60° = 259.81.
const distances: ZoneDistances = { kind: 'toxic', verified: false, source: 'test', isolationM: { small: 60 }, protectiveActionM: { small: { day: 300, night: 1100 } } };
const pt = (id: string, x: number, y: number) => ({ id, kind: 'sensitive', x, y, name: { zh: id, en: id } });
const base = (over: Partial<HazardZoneInput> = {}): HazardZoneInput => ({
  release: { id: 'hs01', x: 0, y: 0 },
  distances,
  spill: 'small',
  period: 'day',
  // From the west at 5 m/s: the zone points east (downwind 90°).
  wind: { speedMs: 5, fromDeg: 270 },
  points: [],
  ...over,
});

function zoneOf(input: HazardZoneInput) {
  const r = computeHazardZone(input);
  if (!r.ok) throw new Error(r.reason);
  return r.zone;
}

describe('hazard zone geometry', () => {
  it('draws a 72-vertex isolation circle starting due north, clockwise', () => {
    const c = circlePolygon({ x: 100, y: 200 }, 60);
    expect(c).toHaveLength(72);
    expect(c[0]).toEqual([100, 260]);
    expect(c[18]).toEqual([160, 200]); // 90°: east
    expect(c[36]).toEqual([100, 140]); // 180°: south
    expect(c[54]).toEqual([40, 200]); // 270°: west
  });

  it('draws the downwind sector from the apex over ±30° at a steady wind', () => {
    const z = zoneOf(base());
    expect(z.wind.downwindDeg).toBe(90);
    expect(z.protectiveAction).toMatchObject({ distanceM: 300, shape: 'sector', downwindDeg: 90, halfAngleDeg: 30 });
    const poly = z.protectiveAction?.polygon ?? [];
    expect(poly).toHaveLength(14); // apex + 12 steps of 5° + 1
    expect(poly[0]).toEqual([0, 0]);
    expect(poly[1]).toEqual([259.81, 150]); // bearing 60°
    expect(poly[7]).toEqual([300, 0]); // bearing 90°
    expect(poly[13]).toEqual([259.81, -150]); // bearing 120°
  });

  it('turns with the wind across north', () => {
    // From 170° (south by east): downwind 350°, the arc runs 320° … 20° through north.
    const poly = sectorPolygon({ x: 0, y: 0 }, 100, 350, 30);
    expect(poly[1]).toEqual([-64.28, 76.6]); // 320°: 100 × (sin 320°, cos 320°)
    expect(poly[poly.length - 1]).toEqual([34.2, 93.97]); // 20°
    expect(zoneOf(base({ wind: { speedMs: 4, fromDeg: 170 } })).wind.downwindDeg).toBe(350);
    expect(angleBetweenDeg(355, 5)).toBe(10);
  });

  it('uses the night distance at night', () => {
    expect(zoneOf(base({ period: 'night' })).protectiveAction?.distanceM).toBe(1100);
  });

  it('lists the points inside, nearest first, on the exact circle and sector', () => {
    const points = [
      pt('hs01', 0, 0), // the release itself: not listed
      pt('in-isolation', 30, 40), // 50 m, inside 60 m whatever the wind
      pt('downwind', 200, 0), // 200 m at 90°
      pt('edge-in', 260, 140), // 295.3 m at 61.7°: 28.3° off the axis
      pt('edge-out', 250, 150), // 291.5 m at 59.0°: 31.0° off the axis
      pt('upwind', -200, 0),
      pt('too-far', 310, 0),
    ];
    const z = zoneOf(base({ points }));
    expect(z.inside.map((p) => [p.id, p.zone, p.distanceM, p.bearingDeg])).toEqual([
      ['in-isolation', 'isolation', 50, 37],
      ['downwind', 'protective-action', 200, 90],
      ['edge-in', 'protective-action', 295, 62],
    ]);
  });

  it('widens to ±45° in a light wind and to a full circle when calm or unknown', () => {
    expect(sectorHalfAngleDeg(2, 0)).toBe(45);
    expect(sectorHalfAngleDeg(3, 0)).toBe(30);
    expect(sectorHalfAngleDeg(0.5, 0)).toBe(180);
    const calm = zoneOf(base({ wind: { speedMs: 0.5, fromDeg: 270 }, points: [pt('upwind', -200, 0)] }));
    expect(calm.protectiveAction).toMatchObject({ shape: 'circle', distanceM: 300 });
    expect(calm.protectiveAction?.polygon).toHaveLength(72);
    expect(calm.inside.map((p) => p.id)).toEqual(['upwind']);
    expect(calm.warnings).toContain('calm (< 1 m/s): protective action zone drawn all round');
    const unknown = zoneOf(base({ wind: { speedMs: 5, fromDeg: undefined } }));
    expect(unknown.protectiveAction?.shape).toBe('circle');
    expect(unknown.wind.downwindDeg).toBeNull();
    expect(unknown.warnings).toContain('no usable wind reading: protective action zone drawn all round');
  });

  it('says what the card lacks instead of inventing a distance', () => {
    expect(computeHazardZone(base({ spill: 'large' }))).toEqual({ ok: false, reason: 'no large-spill isolation distance on the card (it has: small; source: test)' });
    const fire = zoneOf(base({ distances: { kind: 'fire', verified: true, source: 'x', isolationM: { small: 1600 } } }));
    expect(fire.protectiveAction).toBeNull();
    expect(fire.warnings).toEqual(['no small-spill protective action distance on the card: isolation zone only']);
  });

  it('marks unverified distances', () => {
    const z = zoneOf(base());
    expect(z.verified).toBe(false);
    expect(z.warnings).toContain('distances not verified against the current ERG: test');
    expect(z.limits).toMatch(/first 30 minutes/);
  });

  it('tells day from night in the park time zone', () => {
    expect(dayOrNight(Date.parse('2025-01-15T02:00:00Z'), 'Asia/Shanghai')).toBe('day'); // 10:00 local
    expect(dayOrNight(Date.parse('2025-01-15T10:00:00Z'), 'Asia/Shanghai')).toBe('night'); // 18:00 local
    expect(dayOrNight(Date.parse('2025-01-14T22:00:00Z'), 'Asia/Shanghai')).toBe('day'); // 06:00 local
    expect(dayOrNight(Date.parse('2025-01-14T21:59:00Z'), 'Asia/Shanghai')).toBe('night'); // 05:59 local
  });
});
