// A major hazard installation's page with its live state, against the REAL
// park server: hs01 (liquid chlorine, GB 18218 level 1) shows its level, its
// inventory item (chlorine, design maximum 105.84 t) with the tanks' live
// inventory and level tags and their measured total against q, the alarm a
// chlorine detector raises, and every live point of the installation.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, useParkInBrowser } from '../harness/park-browser.js';

const WAIT_MS = 10_000;
const zh = MESSAGES.zh;
const en = MESSAGES.en;

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });

describe('major hazard installation, live', () => {
  it('shows hs01 with its level, its chlorine inventory measured live against the design maximum, its alarms and its points', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator', '/#/hazards/hs01');
    const detail = page.locator('[data-testid="hazard-detail"][data-unit="hs01"]');
    const liveView = detail.getByTestId('hazard-live');
    await liveView.waitFor({ timeout: WAIT_MS });
    expect(await detail.getByTestId('hazard-level').first().getAttribute('data-level')).toBe('1');

    const item = liveView.getByTestId('hazard-item-chlorine');
    expect(await item.getByTestId('hazard-item-design').textContent()).toContain('105.84 t');
    expect(await item.getByTestId('hazard-item-total').textContent()).toBe(zh['hazards.live.totalNone']);
    await liveView.locator('[data-testid="hazard-alarms"][data-count="0"]').waitFor();

    const now = Date.now();
    await started().gateways.publish('gw-a', [
      { id: 'a.hs01.t101.inventory', ts: now, v: 30, q: 'good' },
      { id: 'a.hs01.t102.inventory', ts: now, v: 31.5, q: 'good' },
      { id: 'a.hs01.t101.level', ts: now, v: 65, q: 'good' },
    ]);
    const t101 = item.getByTestId('hazard-measure-a.hs01.t101.inventory').getByTestId('hazard-measure-value');
    await t101.filter({ hasText: '30.0 t' }).waitFor({ timeout: WAIT_MS });
    expect(await item.getByTestId('hazard-measure-a.hs01.t101.level').getByTestId('hazard-measure-value').textContent()).toBe('65.0 %');
    // Two of three tanks measured: a partial total, said so.
    await item.locator('[data-testid="hazard-item-total"][data-complete="false"]').filter({ hasText: '61.50 t' }).waitFor({ timeout: WAIT_MS });
    expect(await item.getByTestId('hazard-item-total').textContent()).toContain('2 / 3');

    await started().gateways.publish('gw-a', [{ id: 'a.hs01.t103.inventory', ts: Date.now(), v: 20, q: 'good' }]);
    const total = item.locator('[data-testid="hazard-item-total"][data-complete="true"]');
    await total.waitFor({ timeout: WAIT_MS });
    expect(await total.getAttribute('data-total')).toBe('81.500');
    // 81.5 / 105.84 = 77.0 %.
    expect(await total.textContent()).toContain('77.0 %');

    // A chlorine detector beyond its high-high limit: the installation's alarm list has it, priority in words.
    await started().gateways.publish('gw-a', [{ id: 'a.hs01.gd01', ts: Date.now(), v: 0.9, q: 'good' }]);
    const alarm = liveView.locator('[data-testid^="hazard-alarm-a.hs01.gd01"]').first();
    await alarm.waitFor({ timeout: WAIT_MS });
    const priority = await alarm.getAttribute('data-priority');
    expect(['critical', 'high']).toContain(priority);
    expect(await alarm.textContent()).toContain(zh[priority === 'critical' ? 'alarm.priority.critical' : 'alarm.priority.high']);
    expect(await alarm.textContent()).toMatch(/GMT\+8/);

    // Every point of hs01 as a tile, the detector's with its value and unit.
    const tile = liveView.getByTestId('hazard-values').getByTestId('tile-a.hs01.gd01');
    await tile.getByTestId('tile-value').filter({ hasText: '0.9ppm' }).waitFor({ timeout: WAIT_MS });
    expect(await liveView.getByTestId('hazard-values').locator('.tile').count()).toBe(29);
    // No point of another installation.
    expect(await liveView.locator('[data-testid^="tile-a.hs02."]').count()).toBe(0);
    await screenshot(page, 'hazard-live-hs01');

    await page.getByTestId('lang-switch').locator('button[data-lang="en"]').click();
    await total.filter({ hasText: 'Measured total 81.50 t' }).waitFor();
    expect(await liveView.getByTestId('hazard-inventory').textContent()).toContain(en['hazards.live.inventory']);
  });

  it('lists the regulatory obligations with their status, why they apply and the tags that show them', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'viewer', '/#/hazards/hs01');
    const table = page.locator('[data-testid="hazard-obligations"][data-missing="0"]');
    await table.waitFor({ timeout: 20_000 });
    const sis = table.locator('[data-testid="obligation-independent-sis"][data-status="met"]');
    expect(await sis.textContent()).toContain('a.hs01.t101.sis_trip');
    expect(await table.locator('[data-testid="obligation-video"]').getAttribute('data-status')).toBe('declared');
    // hs04 is a level 2 methanol tank farm: no SIS duty, but shut-off on the tank farm.
    await page.goto(`${started().park.url}/#/hazards/hs04`);
    await page.locator('[data-testid="obligation-independent-sis"][data-status="not-applicable"]').waitFor({ timeout: 20_000 });
    expect(await page.locator('[data-testid="obligation-tank-farm-shutoff"]').getAttribute('data-status')).toBe('met');
    await screenshot(page, 'hazard-obligations-hs04');
  });
});
