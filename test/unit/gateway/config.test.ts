import { describe, expect, it } from 'vitest';
import { gatewayConfigFromObject, loadGatewayConfig } from '@park/gateway';
import { DEMO_PARK_FILE, REPO_ROOT } from '../../harness/park-server.js';
import path from 'node:path';
import { problemsOf } from '../../harness/config-errors.js';

const problems = problemsOf;
const tag = { id: 't1', description: { zh: 'x', en: 'x' }, address: { table: 'holding', address: 0 } };
const dev = { id: 'plc', protocol: 'modbus-tcp', host: '127.0.0.1', tags: [tag] };

describe('gateway configuration', () => {
  it('applies the documented defaults', () => {
    const c = gatewayConfigFromObject({ gateway: 'gw-x', devices: [dev] }, 'g.yaml', '/srv/edge');
    expect(c.mqtt).toMatchObject({ url: 'mqtt://127.0.0.1:1883', topicRoot: 'park/v1', maxInFlight: 64, ackTimeoutMs: 10_000 });
    expect(c.publish).toEqual({ maxBatchReadings: 500, maxBatchDelayMs: 100, integrityPeriodMs: 60_000, statusIntervalMs: 30_000, bufferReadings: 200_000 });
    expect(c.outbox).toEqual({ maxMB: 256, segmentMB: 4, replayInFlight: 16 });
    expect(c.dataDir).toBe(path.resolve('/srv/edge/data/gw-x'));
  });

  it('reads the sites of the park model whose gateway is this one, the seeds included', () => {
    const a = loadGatewayConfig(path.join(REPO_ROOT, 'seeds', 'gateway-a.yaml'), {});
    expect(a.devices.every((d) => d.protocol === 'opcua')).toBe(true);
    const b = loadGatewayConfig(path.join(REPO_ROOT, 'seeds', 'gateway-b.yaml'), { MQTT_URL: 'mqtt://10.0.0.5:1883' });
    expect(b.devices.length).toBeGreaterThan(0);
    expect(b.mqtt.url).toBe('mqtt://10.0.0.5:1883');
  });

  it('reports every problem at once with paths', () => {
    const lines = problems(() =>
      gatewayConfigFromObject({ gateway: 'GW', mqtt: { url: 'http://x', qos: 2 }, devices: [{ ...dev, tags: [{ ...tag, address: { table: 'holding', address: 0, type: 'bool' } }] }] }, 'g.yaml'),
    );
    expect(lines.some((l) => l.startsWith('g.yaml: gateway: must be'))).toBe(true);
    expect(lines.some((l) => l.startsWith('g.yaml: mqtt.url: '))).toBe(true);
    expect(lines.some((l) => l.startsWith('g.yaml: mqtt.qos: unknown option'))).toBe(true);
    expect(lines.some((l) => l.startsWith('g.yaml: devices[0].tags[0].address.type: '))).toBe(true);
  });

  it('names a gateway without devices and an unknown site', () => {
    expect(problems(() => gatewayConfigFromObject({ gateway: 'gw-x' }, 'g.yaml'))).toEqual(['g.yaml: devices: no devices to read: name a park model (park:) or list devices:']);
    expect(problems(() => gatewayConfigFromObject({ gateway: 'gw-x', park: DEMO_PARK_FILE, site: 'zz' }, 'g.yaml'))[0]).toMatch(/^g\.yaml: site: site "zz" is not in the park model/);
    expect(problems(() => gatewayConfigFromObject({ gateway: 'gw-x', devices: [dev, dev] }, 'g.yaml'))[0]).toMatch(/devices\[1\]\.id: duplicate device id "plc"/);
  });

  it('checks OPC UA security mode and policy together', () => {
    const ua = { id: 'dcs', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840', security: { mode: 'Sign' }, tags: [{ id: 'a', description: { zh: 'x', en: 'x' }, address: { nodeId: 'ns=1;s=A' } }] };
    expect(problems(() => gatewayConfigFromObject({ gateway: 'gw-x', devices: [ua] }, 'g.yaml'))[0]).toMatch(/devices\[0\]\.security: mode "Sign" needs a policy other than "None"/);
  });
});
