// The gateways and devices screen against the REAL park server: the demo
// gateways gw-a and gw-b announce themselves over MQTT as the gateway
// publisher does (retained `online` status with devices and counters, an
// `offline` last will), and the screen shows them online with their devices,
// a device error in words, the outbox backlog and dropped counts as the
// periodic status refreshes them, and gw-b offline when its link is cut
// (the broker publishes its last will), with the devices as last known.
//
// Needs `web/dist` (`npm run build -w web`). Screenshots go to .tmp/screenshots/.

import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeStatusMessage, statusTopic, type StatusMessage } from '@park/protocol';
import { MESSAGES } from '../../web/src/shared/i18n/messages.js';
import { logInAs, TOPIC_ROOT, useParkInBrowser } from '../harness/park-browser.js';

const WAIT_MS = 10_000;
/** The screen polls the counters every 5 s. */
const POLL_WAIT_MS = 15_000;
const zh = MESSAGES.zh;

const { started, pages, screenshot } = useParkInBrowser({ fullPageScreenshots: true });

const B_DEVICES: StatusMessage['devices'] = {
  'b-plc': 'connected',
  'b-gds': 'connected',
  'b-gas-rtu': 'error: ETIMEDOUT /dev/ttyUSB0',
  'park-weather': 'connected',
  'park-env': 'connecting',
};

function status(gateway: string, state: StatusMessage['state'], devices: StatusMessage['devices'], counters?: Record<string, number>): StatusMessage {
  return { gateway, state, ts: Date.now(), version: '0.1.0', devices, ...(counters ? { counters } : {}) };
}

/** A gateway's MQTT session as its publisher opens it: the last will registered at connect, then the retained birth. */
async function connectGateway(gateway: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(started().park.mqttUrl, {
    clientId: `test-${gateway}`,
    reconnectPeriod: 0,
    will: { topic: statusTopic(TOPIC_ROOT, gateway), payload: Buffer.from(encodeStatusMessage(status(gateway, 'offline', {}))), qos: 1, retain: true },
  });
  return client;
}

async function publishStatus(client: MqttClient, message: StatusMessage): Promise<void> {
  await client.publishAsync(statusTopic(TOPIC_ROOT, message.gateway), encodeStatusMessage(message), { qos: 1, retain: true });
}

const clients: MqttClient[] = [];
afterAll(async () => {
  for (const client of clients) await client.endAsync(true).catch(() => {});
});

describe('gateways and devices', () => {
  it('shows the demo gateways online with their devices, a device error, the backlog and drops; gw-b offline when its link is cut', async () => {
    const page = await pages.newPage();
    await logInAs(page, started().park.url, 'operator', '/#/gateways');
    await page.getByTestId('gateways-page').waitFor({ timeout: WAIT_MS });

    // Before any status: the park model's gateways and devices, not yet reported.
    const gwA = page.getByTestId('gateway-gw-a');
    const gwB = page.getByTestId('gateway-gw-b');
    expect(await gwA.getAttribute('data-state')).toBe('unknown');
    expect(await gwB.getByTestId('gateway-device-b-gas-rtu').getAttribute('data-state')).toBe('unknown');

    const a = await connectGateway('gw-a');
    const b = await connectGateway('gw-b');
    clients.push(a, b);
    await publishStatus(a, status('gw-a', 'online', { 'a-dcs': 'connected' }, { outboxMessages: 0, outboxReadings: 0, outboxBytes: 0, outboxDroppedMessages: 0, outboxDroppedReadings: 0, bufferDropped: 0 }));
    await publishStatus(b, status('gw-b', 'online', B_DEVICES, { outboxMessages: 0, outboxReadings: 0, outboxBytes: 0, outboxDroppedMessages: 0, outboxDroppedReadings: 0, bufferDropped: 0 }));

    await page.locator('[data-testid="gateway-gw-a"][data-state="online"]').waitFor({ timeout: WAIT_MS });
    await page.locator('[data-testid="gateway-gw-b"][data-state="online"]').waitFor({ timeout: WAIT_MS });
    expect(await gwA.getByTestId('gateway-state').textContent()).toContain(zh['gateways.state.online']);
    expect(await gwA.getByTestId('gateway-device-a-dcs').getAttribute('data-state')).toBe('connected');
    expect(await gwA.getByTestId('gateway-device-a-dcs').textContent()).toContain(zh['gateways.device.connected']);
    expect(await gwA.getByTestId('gateway-version').textContent()).toBe('0.1.0');
    expect(await gwA.getByTestId('gateway-last-message').textContent()).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} GMT\+8/);

    const rtu = gwB.getByTestId('gateway-device-b-gas-rtu');
    expect(await rtu.getAttribute('data-state')).toBe('error');
    expect(await rtu.getByTestId('gateway-device-error').textContent()).toContain('ETIMEDOUT /dev/ttyUSB0');
    expect(await gwB.getByTestId('gateway-device-park-env').getAttribute('data-state')).toBe('connecting');
    expect(await gwB.getByTestId('gateway-device-b-plc').getAttribute('data-state')).toBe('connected');
    expect(await gwB.getByTestId('gateway-backlog').getAttribute('data-attention')).toBe('false');
    expect(await page.getByTestId('gateways-summary').textContent()).toContain('2 / 2');
    expect(await page.getByTestId('nav-gateways-offline').count()).toBe(0);

    // A periodic refresh (same state and devices: no push) with a backlog and losses: the screen polls it.
    await publishStatus(b, status('gw-b', 'online', B_DEVICES, { outboxMessages: 12, outboxReadings: 340, outboxBytes: 20480, outboxDroppedMessages: 2, outboxDroppedReadings: 57, bufferDropped: 3 }));
    const backlog = gwB.locator('[data-testid="gateway-backlog"][data-readings="340"]');
    await backlog.waitFor({ timeout: POLL_WAIT_MS });
    expect(await backlog.getAttribute('data-attention')).toBe('true');
    expect(await backlog.textContent()).toContain('20.0 KiB');
    const dropped = gwB.getByTestId('gateway-dropped');
    expect(await dropped.getAttribute('data-readings')).toBe('60');
    expect(await dropped.textContent()).toContain('57');
    await screenshot(page, 'gateways-online');

    // The link is cut without a goodbye: the broker publishes gw-b's last will.
    b.stream.destroy();
    await page.locator('[data-testid="gateway-gw-b"][data-state="offline"]').waitFor({ timeout: WAIT_MS });
    expect(await gwB.getByTestId('gateway-state').textContent()).toContain(zh['gateways.state.offline']);
    expect(await gwB.getByTestId('gateway-state').textContent()).toMatch(/GMT\+8/);
    // What it reported before it went away, marked as last known.
    expect(await gwB.getByTestId('gateway-last-known').count()).toBe(1);
    expect(await gwB.getByTestId('gateway-device-b-plc').getAttribute('data-last-known')).toBe('true');
    expect(await gwB.getByTestId('gateway-backlog').getAttribute('data-readings')).toBe('340');
    // gw-a is untouched.
    expect(await gwA.getAttribute('data-state')).toBe('online');
    expect(await page.getByTestId('gateways-summary').textContent()).toContain('1 / 2');
    // The navigation says so on every screen.
    expect(await page.getByTestId('nav-gateways-offline').textContent()).toContain('1 个网关离线');
    await screenshot(page, 'gateways-offline');

    await page.getByTestId('lang-switch').locator('button[data-lang="en"]').click();
    await gwB.getByTestId('gateway-state').filter({ hasText: MESSAGES.en['gateways.state.offline'] }).waitFor();
  });
});
