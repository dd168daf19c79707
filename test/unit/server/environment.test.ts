import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { normalizeRule, checkRules } from '../../../server/src/alarms/rules.js';
import { averageAlarmRules, averageCatalogueTags, loadEnvironment } from '../../../server/src/environment/environment.js';
import { AverageMonitor } from '../../../server/src/environment/average-monitor.js';
import { createLogger } from '../../../server/src/log.js';
import { problemsOf } from '../../harness/config-errors.js';
import { DEMO_PARK_FILE, REPO_ROOT } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';

const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
const ENV_FILE = path.join(REPO_ROOT, 'seeds', 'environment.yaml');

describe('environment monitoring: configuration', () => {
  it('turns each average of the demo file into a tag with its limits, names and alarm rules', () => {
    const setup = loadEnvironment(ENV_FILE, park);
    expect(setup.averages.map((a) => a.id)).toEqual([
      'park.env.voc.avg_1h',
      'park.env.so2.avg_1h',
      'park.env.nh3.avg_1h',
      'park.env.ww_ph.avg_24h',
      'park.env.ww_cod.avg_1h',
      'park.env.ww_cod.avg_24h',
    ]);
    const tags = averageCatalogueTags(setup, 'park-server');
    expect(tags[1]).toMatchObject({ id: 'park.env.so2.avg_1h', unit: 'µg/m³', limits: { h: 400 }, gateway: 'park-server', name: { zh: '厂界二氧化硫小时均值', en: 'Fence-line SO₂, hourly average' } });
    const rules = averageAlarmRules(setup, 'park-server').map((r) => normalizeRule(r));
    expect(checkRules(rules)).toEqual([]);
    const ph = rules.filter((r) => r.tagId === 'park.env.ww_ph.avg_24h').map((r) => [r.kind, r.limit, r.priority]);
    expect(ph).toEqual([
      ['h', 9, 'medium'],
      ['l', 6, 'medium'],
      ['stale', null, 'low'],
    ].map(([k, l, p]) => [k, l, k === 'stale' ? expect.any(String) : p]));
  });

  it('names the file, path and reason of every mistake at once', () => {
    const dir = tempDir('env');
    try {
      const file = path.join(dir.path, 'env.yaml');
      writeFileSync(
        file,
        [
          'environment:',
          '  monitors:',
          '    - { tag: park.env.nope, kind: fence-line, averages: [{ window: 1h, h: 1, basis: x }] }',
          '    - { tag: park.env.voc, kind: fence-line, averages: [{ window: 1h, h: 5, hh: 4, basis: x }, { window: 1h, h: 1, basis: y }] }',
          '    - { tag: park.env.so2, kind: fence-line, averages: [{ window: 24h, basis: z }] }',
          '',
        ].join('\n'),
      );
      expect(problemsOf(() => loadEnvironment(file, park))).toEqual([
        expect.stringContaining('environment.monitors[0].tag: no tag "park.env.nope" in the park model'),
        expect.stringContaining('environment.monitors[1].averages[0]: limits must rise: ll < l < h < hh'),
        expect.stringContaining('environment.monitors[1].averages[1].window: a second 1h average of "park.env.voc"'),
        expect.stringContaining('environment.monitors[2].averages[0]: give at least one limit (h, hh, l or ll)'),
      ]);
    } finally {
      dir.remove();
    }
  });
});

describe('environment monitoring: averages from InfluxDB', () => {
  const setup = { ...loadEnvironment(ENV_FILE, park), averages: loadEnvironment(ENV_FILE, park).averages.slice(0, 1) };
  const log = createLogger('silent');

  it('publishes the mean of minute means as good when enough minutes had a good reading, uncertain below, nothing without data', async () => {
    const answers = [[{ mean: 3.25, minutes: 50 }], [{ mean: 5.5, minutes: 30 }], [{ mean: null, minutes: 0 }]];
    const queries: string[] = [];
    const published: unknown[] = [];
    const store = { query: async <T,>(q: string) => (queries.push(q), answers.shift() as unknown as (T & { time: Date })[]) };
    const monitor = new AverageMonitor(setup, store, (r) => published.push(...r), log, () => 1_800_000_000_000);
    expect(await monitor.computeAll()).toEqual([{ id: 'park.env.voc.avg_1h', ts: 1_800_000_000_000, v: 3.25, q: 'good' }]);
    expect(await monitor.computeAll()).toEqual([{ id: 'park.env.voc.avg_1h', ts: 1_800_000_000_000, v: 5.5, q: 'uncertain', err: 'coverage 50 % of the 1h window (at least 75 % needed)' }]);
    expect(await monitor.computeAll()).toEqual([]);
    expect(published).toHaveLength(2);
    // Good readings of the source tag only, minute means over the window, the tag id quoted.
    expect(queries[0]).toBe(
      `SELECT mean("m") AS "mean", count("m") AS "minutes" FROM (SELECT mean("v") AS "m" FROM "raw"."reading" WHERE "id" = 'park.env.voc' AND "q" = 0 AND time > 1799996400000ms AND time <= 1800000000000ms GROUP BY time(1m))`,
    );
  });

  it('publishes nothing while InfluxDB cannot answer', async () => {
    const published: unknown[] = [];
    const store = { query: async () => Promise.reject(new Error('connect ECONNREFUSED')) };
    const monitor = new AverageMonitor(setup, store, (r) => published.push(...r), log);
    expect(await monitor.computeAll()).toEqual([]);
    expect(published).toEqual([]);
  });
});
