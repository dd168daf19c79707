// Acknowledging an escalated critical alarm from the commander's view on a
// phone, against the REAL park server (escalation after 1 s here instead of
// 60 s). The server has no separate escalation acknowledgement: the
// commander acknowledges the escalated alarm itself, after a confirmation
// that says what escalation means.
//
// - Refused: the display lags behind (its socket messages are held back)
//   while an operator acknowledges the alarm first; the server refuses the
//   commander's acknowledgement and the card says why. Once the messages
//   arrive, the card leaves.
// - Done: a second escalated alarm is acknowledged; the card leaves, the
//   result stays listed, and the server has it acknowledged by the commander.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import type { WebSocketRoute } from 'playwright-core';
import type { AlarmEvent } from '@park/protocol';
import { describe, expect, it } from 'vitest';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, PHONE, useParkInBrowser } from '../harness/park-browser.js';

/** Escalation after 1 s, ticked every second; the push within 250 ms. */
const WAIT_MS = 15_000;
const zh = MESSAGES.zh;

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true, server: { config: { alarms: { escalation: { afterSeconds: 1 } } } } });

/** Logs in over REST; returns the session cookie. */
async function sessionCookie(user: string): Promise<string> {
  const response = await fetch(`${started().park.url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password: `demo-${user}` }),
  });
  expect(response.status).toBe(200);
  const cookie = response.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

async function alarmById(cookie: string, id: string): Promise<AlarmEvent | undefined> {
  const response = await fetch(`${started().park.url}/api/alarms`, { headers: { cookie } });
  return ((await response.json()) as AlarmEvent[]).find((a) => a.id === id);
}

describe('commander acknowledges an escalation (phone)', () => {
  it('asks for confirmation, shows the refusal when someone was first, and keeps the result of its own acknowledgement', async () => {
    const page = await pages.newPage(PHONE);
    // Proxy the Socket.IO link so the test can hold the server's messages back (a display lagging behind).
    let hold = false;
    let upgraded = false;
    const held: (() => void)[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
      const server = ws.connectToServer();
      ws.onMessage((message) => {
        if (message === '5') upgraded = true;
        server.send(message);
      });
      server.onMessage((message) => {
        if (hold) held.push(() => ws.send(message));
        else ws.send(message);
      });
    });
    await logInAs(page, started().park.url, 'commander');
    await page.getByTestId('command-view').waitFor({ timeout: WAIT_MS });
    await expect.poll(() => upgraded, { timeout: WAIT_MS }).toBe(true);
    const operator = await sessionCookie('operator');

    // 1. Refused: 55 %LEL > hh 50, critical; escalated after 1 s.
    const first = 'b.hs03.gd05:hh';
    await started().gateways.publish('gw-b', [{ id: 'b.hs03.gd05', ts: Date.now(), v: 55, q: 'good' }]);
    const card = page.getByTestId('command-escalations').locator(`[data-testid="command-alarm-${first}"][data-escalated="true"]`);
    await card.waitFor({ timeout: WAIT_MS });
    await card.getByTestId('command-ack').tap();
    expect(await card.getByTestId('command-ack-confirm').textContent()).toContain('升级至指挥');

    hold = true;
    const byOperator = await fetch(`${started().park.url}/api/alarms/${encodeURIComponent(first)}/ack`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: operator },
      body: JSON.stringify({ comment: '中控室已处置' }),
    });
    expect(byOperator.status).toBe(200);
    await card.getByTestId('command-ack-submit').tap();
    const refusal = card.locator('[data-testid="command-result"][data-ok="false"]');
    await refusal.waitFor({ timeout: WAIT_MS });
    expect(await refusal.textContent()).toContain(zh['action.refused.state']);
    await screenshot(page, 'command-escalation-refused');
    expect((await alarmById(operator, first))?.ackedBy).toBe('operator');

    hold = false;
    for (const send of held.splice(0)) send();
    await card.waitFor({ state: 'detached', timeout: WAIT_MS });
    expect(await page.getByTestId(`command-ack-done-${first}`).count()).toBe(0);

    // 2. Done: a second detector, escalated, acknowledged by the commander.
    const second = 'b.hs03.gd06:hh';
    await started().gateways.publish('gw-b', [{ id: 'b.hs03.gd06', ts: Date.now(), v: 58, q: 'good' }]);
    const card2 = page.getByTestId('command-escalations').locator(`[data-testid="command-alarm-${second}"][data-escalated="true"]`);
    await card2.waitFor({ timeout: WAIT_MS });
    await card2.getByTestId('command-ack').tap();
    await card2.getByTestId('command-ack-confirm').waitFor();
    await card2.getByTestId('command-ack-comment').fill('指挥部已知悉，启动预案');
    await card2.getByTestId('command-ack-submit').tap();
    const done = page.locator(`[data-testid="command-ack-done-${second}"][data-escalated="true"]`);
    await done.waitFor({ timeout: WAIT_MS });
    expect(await done.textContent()).toMatch(/已确认升级报警：.*58\.0 %LEL.*GMT\+8/);
    await card2.waitFor({ state: 'detached', timeout: WAIT_MS });
    // The result outlives the card.
    expect(await done.count()).toBe(1);
    const acked = await alarmById(operator, second);
    expect(acked?.state).toBe('acked');
    expect(acked?.ackedBy).toBe('commander');
    expect(acked?.comment).toBe('指挥部已知悉，启动预案');
    await screenshot(page, 'command-escalation-acked');
  });
});
