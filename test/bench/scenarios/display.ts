/*
 * Scenario 5 of the benchmark issue: the overview wall in headless Chromium
 * (1920×1080) with 5,000 tiles, every value updated once a second through the
 * real server (MQTT → server → Socket.IO → browser). The tags are announced
 * in a retained `meta` message, as a gateway does. In the page: long tasks
 * (PerformanceObserver) and frames (requestAnimationFrame); from the Chrome
 * DevTools Protocol: main-thread task time (busy fraction) and the JS heap.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage, encodeMetaMessage, metaTopic, type MetaTag, type Reading } from '@park/protocol';
import { launchChromium } from '../../harness/chromium.js';
import { startTestInfluxd } from '../../harness/influxd.js';
import { tempDir } from '../../harness/temp-dir.js';
import type { BenchContext } from '../context.js';
import { waitUntil } from '../lib/children.js';
import { startServer } from '../lib/parts.js';
import { TOPIC_ROOT } from '../lib/pipeline.js';
import { Sampler, type Usage } from '../lib/sampler.js';
import { fmt, REPO_ROOT, type Row } from '../report.js';

const GATEWAY = 'gw-display';
/**
 * Opt-in: BENCH_DISPLAY_TRACE=/tmp/display-trace.json records a Chromium
 * trace (tasks, JS samples, GC, layout) over the update phase, to see what a
 * long task is made of, including the tasks under 50 ms that the long-task
 * observer never reports. BENCH_DISPLAY_TRACE_CATEGORIES (comma-separated)
 * replaces the categories, e.g. without the JS sampler, which costs the most.
 * Tracing costs main-thread time itself: figures from a traced run are not
 * comparable with untraced ones.
 */
const TRACE_FILE = process.env['BENCH_DISPLAY_TRACE'] || undefined;
const TRACE_CATEGORIES = process.env['BENCH_DISPLAY_TRACE_CATEGORIES']?.split(',').filter(Boolean) ?? [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.frame',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.cpu_profiler',
  'disabled-by-default-v8.gc',
  'blink.user_timing',
  'toplevel',
];

// Page-side code as text: it runs in the browser, not under this project's Node typings.
const OBSERVE = `(() => {
  const b = (window.__bench = { longTasks: [], frames: [] });
  new PerformanceObserver((list) => { for (const e of list.getEntries()) b.longTasks.push(e.duration); }).observe({ type: 'longtask' });
  const tick = (t) => { b.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})()`;
const COLLECT = `(() => {
  const b = window.__bench;
  const frameMs = 1000 / 60;
  let dropped = 0, worst = 0;
  for (let i = 1; i < b.frames.length; i++) {
    const gap = b.frames[i] - b.frames[i - 1];
    worst = Math.max(worst, gap);
    dropped += Math.max(0, Math.round(gap / frameMs) - 1);
  }
  return { longTasks: b.longTasks, frames: b.frames.length, dropped, worstFrameMs: worst };
})()`;

interface PageStats {
  longTasks: number[];
  frames: number;
  dropped: number;
  worstFrameMs: number;
}

export async function displayScenario(ctx: BenchContext): Promise<Row[]> {
  const tagCount = ctx.pick(5000, 5000, 200);
  const seconds = ctx.pick(60, 10, 3);
  const modeNote = ctx.mode === 'full' ? '' : ` (${ctx.mode} run: short, not for comparison)`;
  const webIndex = path.join(REPO_ROOT, 'web', 'dist', 'index.html');
  if (!existsSync(webIndex)) throw new Error(`${webIndex} is missing: run \`npm run build -w web\` first`);
  const ids = Array.from({ length: tagCount }, (_, i) => `bench.d${String(Math.floor(i / 100)).padStart(2, '0')}.t${String(i).padStart(4, '0')}`);
  const influxd = await startTestInfluxd();
  const dir = tempDir('bench-display');
  try {
    const server = await startServer(dir.path, path.join(REPO_ROOT, 'seeds', 'park.yaml'), influxd.databaseUrl('display'));
    const gateway = await mqtt.connectAsync(server.mqttUrl, { reconnectPeriod: 0 });
    const browser = await launchChromium();
    try {
      const tags: MetaTag[] = ids.map((id, i) => ({ id, device: `d${String(Math.floor(i / 100)).padStart(2, '0')}`, kind: 'analog', unit: 'kPa', description: `bench ${i}`, source: `modbus:bench/hr/${i}` }));
      await gateway.publishAsync(metaTopic(TOPIC_ROOT, GATEWAY), encodeMetaMessage({ gateway: GATEWAY, ts: Date.now(), tags }), { qos: 1, retain: true });
      const login = await fetch(`${server.httpUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'demo-viewer' }) });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      await waitUntil('catalogue with the bench tags', async () => ((await (await fetch(`${server.httpUrl}/api/tags`, { headers: { cookie } })).json()) as unknown[]).length >= tagCount, 30_000);

      let seq = 0;
      const publishRound = async (round: number): Promise<void> => {
        const ts = Date.now();
        const readings: Reading[] = ids.map((id, i) => ({ id, ts, v: ((round * 7 + i) % 1000) / 10, q: 'good' }));
        await gateway.publishAsync(dataTopic(TOPIC_ROOT, GATEWAY), encodeDataMessage({ gateway: GATEWAY, seq: ++seq, readings }), { qos: 1 });
      };
      await publishRound(0);

      const context = await browser.newContext({ viewport: { width: 1920, height: 1080 }, timezoneId: 'Asia/Shanghai', locale: 'zh-CN' });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(server.httpUrl);
      await page.getByTestId('login-username').fill('viewer');
      await page.getByTestId('login-password').fill('demo-viewer');
      await page.getByTestId('login-submit').click();
      await page.locator('[data-testid="overview-wall"][data-ready="true"][data-live="true"]').waitFor({ timeout: 30_000 });
      // Mid-wall, where a control-room wall usually stands: tiles above and below are windowed out.
      await page.getByTestId('wall-scroller').evaluate((el) => el.scrollTo(0, el.scrollHeight / 2));
      await delay(1000);
      const tilesInDom = await page.locator('.tile').count();

      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const metrics = async (): Promise<Record<string, number>> => Object.fromEntries(((await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] }).metrics.map((m) => [m.name, m.value]));
      await page.evaluate(OBSERVE);
      if (TRACE_FILE) await browser.startTracing(page, { path: TRACE_FILE, categories: TRACE_CATEGORIES });
      const sampler = new Sampler([server.child.pid]);
      const m0 = await metrics();
      const t0 = performance.now();
      sampler.begin();
      let heapMax = m0['JSHeapUsedSize'] ?? 0;
      for (let round = 1; round <= seconds; round++) {
        const due = t0 + round * 1000;
        await publishRound(round);
        heapMax = Math.max(heapMax, (await metrics())['JSHeapUsedSize'] ?? 0);
        await delay(Math.max(0, due - performance.now()));
      }
      const m1 = await metrics();
      if (TRACE_FILE) await browser.stopTracing();
      const wallS = (performance.now() - t0) / 1000;
      const serverUsage = sampler.end().get(server.child.pid) as Usage;
      const stats = (await page.evaluate(COLLECT)) as PageStats;
      const shownValue = await page.locator('[data-testid^="tile-bench."] [data-testid="tile-value"]').first().textContent();
      await context.close();

      const busy = ((m1['TaskDuration'] ?? 0) - (m0['TaskDuration'] ?? 0)) / wallS;
      const script = ((m1['ScriptDuration'] ?? 0) - (m0['ScriptDuration'] ?? 0)) / wallS;
      const layout = ((m1['LayoutDuration'] ?? 0) - (m0['LayoutDuration'] ?? 0) + (m1['RecalcStyleDuration'] ?? 0) - (m0['RecalcStyleDuration'] ?? 0)) / wallS;
      const longest = stats.longTasks.length ? Math.max(...stats.longTasks) : 0;
      const expectedFrames = wallS * 60;
      const common = `${fmt(tagCount)} tags, all updated every second for ${seconds} s, ${tilesInDom} tiles in the DOM (windowed wall), 1920×1080 headless Chromium; server CPU ${serverUsage.cpuPercent.toFixed(0)} % of one core; load avg ${sampler.meanLoad().toFixed(1)}${pageErrors.length ? `; ${pageErrors.length} page errors` : ''}${shownValue ? '' : '; no value shown!'}${modeNote}`;
      return [
        { scenario: 'display', metric: 'main thread busy fraction (target ≤ 25 %)', value: `${(busy * 100).toFixed(1)} %`, ceiling: '—', ratio: '—', notes: `script ${(script * 100).toFixed(1)} %, style + layout ${(layout * 100).toFixed(1)} %; ${common}` },
        { scenario: 'display', metric: 'longest task (target none over 50 ms)', value: `${longest.toFixed(0)} ms`, ceiling: '—', ratio: '—', notes: `${stats.longTasks.length} long tasks (> 50 ms); ${common}` },
        { scenario: 'display', metric: 'dropped frames (of 60 per second)', value: fmt(stats.dropped), ceiling: fmt(expectedFrames), ratio: `${((stats.dropped / expectedFrames) * 100).toFixed(1)} %`, notes: `${fmt(stats.frames)} frames drawn, worst gap ${stats.worstFrameMs.toFixed(0)} ms; ${common}` },
        { scenario: 'display', metric: 'JS heap used: start → max → end', value: `${((m0['JSHeapUsedSize'] ?? 0) / 2 ** 20).toFixed(0)} → ${(heapMax / 2 ** 20).toFixed(0)} → ${((m1['JSHeapUsedSize'] ?? 0) / 2 ** 20).toFixed(0)} MB`, ceiling: '—', ratio: '—', notes: `total JS heap ${((m1['JSHeapTotalSize'] ?? 0) / 2 ** 20).toFixed(0)} MB; DOM nodes ${fmt(m1['Nodes'] ?? 0)}; ${common}` },
      ];
    } finally {
      await browser.close().catch(() => {});
      await gateway.endAsync(true).catch(() => {});
      await server.child.stop();
    }
  } finally {
    dir.remove();
    await influxd.stop();
  }
}
