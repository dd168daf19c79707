import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { StatusCodes } from 'node-opcua';
import { loadConfigFile, parkSchema } from '@park/protocol/config';
import { startSimulators, type PointState, type RunningSimulators } from '@park/simulators';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { closeModbus, mbap, modbusTcpClient, type ModbusRTU, opcuaClient, opcuaConnects, rawModbusTcp, readModbusPoint, type OpcuaTestClient } from './clients.js';

// Holds, scenarios and bad requests, seen through the real protocols. The
// model runs twenty times faster than the wall clock (speed 20, a step every
// 100 ms), so a scenario's minute takes three seconds.

const SPEED = 20;

describe('simulators: control API, scenarios and bad requests', () => {
  let sim: RunningSimulators;
  let ua: OpcuaTestClient;
  let plc: ModbusRTU;
  let gds: ModbusRTU;

  const api = async (method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: Record<string, unknown> }> => {
    const init: RequestInit = { method };
    if (raw !== undefined || body !== undefined) {
      init.body = raw ?? JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const res = await fetch(`${sim.controlUrl}${path}`, init);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const uaValue = async (nodeId: string): Promise<number> => {
    const [dv] = await ua.read([nodeId]);
    const v = dv!.value.value as number | boolean;
    return typeof v === 'boolean' ? Number(v) : v;
  };
  const uaStatus = async (nodeId: string): Promise<string> => (await ua.read([nodeId]))[0]!.statusCode.name;
  const mb = (id: string, client = plc): Promise<number> => readModbusPoint(client, sim.point(id).modbus!);
  /** Waits until the model has stepped by `modelSeconds` (a condition, not a sleep). */
  const modelTime = async (modelSeconds: number): Promise<void> => {
    const start = sim.point('park.weather.wind_speed').ts;
    await expect.poll(() => sim.point('park.weather.wind_speed').ts - start, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual((modelSeconds * 1000) / SPEED);
  };

  beforeAll(async () => {
    const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    sim = await startSimulators({ park, seed: 5, opcuaPort: 0, modbusPort: 0, controlPort: 0, tickMs: 100, speed: SPEED });
    ua = await opcuaClient(sim.opcuaEndpoint);
    plc = await modbusTcpClient(sim.modbusPort, 1);
    gds = await modbusTcpClient(sim.modbusPort, 2);
  });
  afterAll(async () => {
    if (plc) await closeModbus(plc);
    if (gds) await closeModbus(gds);
    await ua?.close();
    await sim?.stop();
  });
  beforeEach(async () => {
    expect((await api('POST', '/api/sim/reset')).status).toBe(200);
  });

  describe('holding values', () => {
    it('a value held through the API is seen over OPC UA and Modbus at once (no model step needed), until released', async () => {
      expect((await api('PUT', '/api/sim/points/a.hs01.t101.level', { value: 77.25 })).body).toMatchObject({ id: 'a.hs01.t101.level', value: 77.25, held: true });
      expect((await api('PUT', '/api/sim/points/b.hs03.gd01', { value: 12.34 })).body).toMatchObject({ value: 12.34, held: true });
      await expect.poll(() => uaValue('ns=1;s=A.HS01.T101.Level'), { timeout: 10_000, interval: 50 }).toBe(77.25);
      await expect.poll(() => mb('b.hs03.gd01', gds), { timeout: 10_000, interval: 50 }).toBeCloseTo(12.34, 2);
      await modelTime(2);
      expect(await uaValue('ns=1;s=A.HS01.T101.Level')).toBe(77.25);
      expect((await api('DELETE', '/api/sim/points/a.hs01.t101.level')).body).toMatchObject({ held: false });
      await expect.poll(() => uaValue('ns=1;s=A.HS01.T101.Level'), { timeout: 10_000, interval: 50 }).not.toBe(77.25);
    });

    it('holds a discrete point and a float32 over Modbus', async () => {
      sim.hold('b.hs04.t301.hh_trip', 1);
      sim.hold('b.hs03.v201.pressure', 1.234);
      await expect.poll(() => mb('b.hs04.t301.hh_trip'), { timeout: 10_000, interval: 50 }).toBe(1);
      await expect.poll(() => mb('b.hs03.v201.pressure'), { timeout: 10_000, interval: 50 }).toBeCloseTo(1.234, 5);
    });
  });

  describe('scenarios', () => {
    it('lists the scenarios with their targets', async () => {
      const { status, body } = await api('GET', '/api/sim/scenarios');
      expect(status).toBe(200);
      expect((body['scenarios'] as { name: string }[]).map((s) => s.name)).toEqual(['leak-chlorine', 'overfill', 'sis-bypass', 'lpg-fire', 'sensor-fault', 'device-offline', 'alarm-flood', 'recover']);
    });

    it('leak-chlorine: chlorine detectors rise over OPC UA, the level falls, the scrubber starts', async () => {
      const level0 = await uaValue('ns=1;s=A.HS01.T101.Level');
      expect((await api('POST', '/api/sim/scenarios/leak-chlorine')).body).toMatchObject({ name: 'leak-chlorine', targets: ['a.hs01.t101'] });
      const detectors = ['GD01', 'GD02', 'GD03', 'GD04'].map((g) => `ns=1;s=A.HS01.GDS.${g}`);
      await expect.poll(async () => Math.max(...(await Promise.all(detectors.map(uaValue)))), { timeout: 10_000, interval: 100 }).toBeGreaterThan(0.6);
      await expect.poll(() => uaValue('ns=1;s=A.HS01.SCRUBBER.FanRunning'), { timeout: 15_000, interval: 100 }).toBe(1);
      expect(await uaValue('ns=1;s=A.HS01.T101.Level')).toBeLessThan(level0);
    });

    it('overfill: a methanol tank rises through H and HH, trips, the inlet closes and the level stops (Modbus)', async () => {
      await api('POST', '/api/sim/scenarios/overfill', { target: 'b.hs04.t302' });
      await expect.poll(() => mb('b.hs04.t302.hh_trip'), { timeout: 20_000, interval: 100 }).toBe(1);
      await expect.poll(() => mb('b.hs04.t302.inlet_open'), { timeout: 15_000, interval: 100 }).toBe(0);
      await modelTime(4);
      const stopped = await mb('b.hs04.t302.level');
      expect(stopped).toBeGreaterThanOrEqual(90);
      await modelTime(10);
      expect(Math.abs((await mb('b.hs04.t302.level')) - stopped)).toBeLessThan(0.5);
    });

    it('sis-bypass: the bypass coil reads 1; a master can also switch it through its coil', async () => {
      await api('POST', '/api/sim/scenarios/sis-bypass', { target: 'b.hs03.v201' });
      await expect.poll(() => mb('b.hs03.v201.sis_bypass'), { timeout: 10_000, interval: 50 }).toBe(1);
      await plc.writeCoil(1, true);
      expect(sim.point('b.hs03.v202.sis_bypass').value).toBe(1);
    });

    it('lpg-fire: sphere temperature and pressure climb through H and HH; the SIS trips and the ESD valve closes', async () => {
      await api('POST', '/api/sim/scenarios/lpg-fire');
      await expect.poll(() => mb('b.hs03.v201.pressure'), { timeout: 20_000, interval: 100 }).toBeGreaterThan(1.6);
      expect(await mb('b.hs03.v201.temperature')).toBeGreaterThan(40);
      await expect.poll(() => mb('b.hs03.v201.sis_trip'), { timeout: 15_000, interval: 100 }).toBe(1);
      await expect.poll(() => mb('b.hs03.v201.esd_closed'), { timeout: 15_000, interval: 100 }).toBe(1);
    });

    it('sensor-fault: an OPC UA transmitter freezes, then reads BadSensorFailure; a GDS detector reads 0x8000 and its fault bit', async () => {
      const frozen = await uaValue('ns=1;s=A.HS01.T102.Level');
      await api('POST', '/api/sim/scenarios/sensor-fault');
      await api('POST', '/api/sim/scenarios/sensor-fault', { target: 'b.hs03.gd03' });
      expect(await uaStatus('ns=1;s=A.HS01.T102.Level')).toBe('Good');
      await expect.poll(() => uaStatus('ns=1;s=A.HS01.T102.Level'), { timeout: 15_000, interval: 100 }).toBe(StatusCodes.BadSensorFailure.name);
      expect(Math.abs((await uaValue('ns=1;s=A.HS01.T102.Level')) - frozen)).toBeLessThan(0.5);
      await expect.poll(() => mb('b.hs03.gd03.fault', gds), { timeout: 15_000, interval: 100 }).toBe(1);
      expect((await gds.readInputRegisters(2, 1)).data[0]).toBe(0x8000);
    });

    it('device-offline: the GDS unit stops answering and the OPC UA server refuses connections; recover brings both back', async () => {
      await api('POST', '/api/sim/scenarios/device-offline');
      const silent = await modbusTcpClient(sim.modbusPort, 2, 300);
      try {
        await expect(silent.readInputRegisters(0, 1)).rejects.toThrow(/Timed out/);
        expect((await plc.readHoldingRegisters(0, 2)).data).toHaveLength(2);
        await expect.poll(() => opcuaConnects(sim.opcuaEndpoint), { timeout: 15_000, interval: 200 }).toBe(false);
        expect(sim.point('b.hs03.gd01')).toMatchObject({ online: false, quality: 'bad', status: 'BadCommunicationError' });
        await api('POST', '/api/sim/scenarios/recover');
        silent.setTimeout(1000);
        expect((await silent.readInputRegisters(0, 1)).data).toHaveLength(1);
        await expect.poll(() => opcuaConnects(sim.opcuaEndpoint), { timeout: 15_000, interval: 200 }).toBe(true);
      } finally {
        await closeModbus(silent);
        ua = await reconnect(ua, sim.opcuaEndpoint);
      }
    });

    it('alarm-flood: dozens of points cross H within a minute; recover brings them back', async () => {
      await api('POST', '/api/sim/scenarios/alarm-flood');
      const over = async (): Promise<number> => ((await api('GET', '/api/sim/points')).body['points'] as PointState[]).filter((p) => p.value >= (limitH.get(p.id) ?? Infinity)).length;
      const limitH = new Map<string, number>();
      const park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
      for (const s of park.sites) for (const d of s.devices) for (const t of d.tags) if (t.limits?.h !== undefined) limitH.set(t.id, t.limits.h);
      await expect.poll(over, { timeout: 10_000, interval: 200 }).toBeGreaterThanOrEqual(24);
      await api('POST', '/api/sim/scenarios/recover');
      await expect.poll(over, { timeout: 15_000, interval: 100 }).toBe(0);
    });
  });

  describe('bad requests get a reason, never a crash', () => {
    it.each([
      ['an unknown point', 'PUT', '/api/sim/points/a.hs99.x', { value: 1 }, undefined, 404, /unknown point "a.hs99.x"/],
      ['a value of the wrong type', 'PUT', '/api/sim/points/a.hs01.t101.level', { value: 'high' }, undefined, 400, /value must be a finite number, got "high"/],
      ['a missing value', 'PUT', '/api/sim/points/a.hs01.t101.level', { v: 1 }, undefined, 400, /\{"value": number\}/],
      ['a discrete value other than 0 or 1', 'PUT', '/api/sim/points/a.hs01.t101.sis_trip', { value: 5 }, undefined, 400, /must be 0 or 1/],
      ['a body that is not JSON', 'PUT', '/api/sim/points/a.hs01.t101.level', undefined, '{"value": ', 400, /not valid JSON/],
      ['releasing an unknown point', 'DELETE', '/api/sim/points/nope', undefined, undefined, 404, /unknown point "nope"/],
      ['an unknown scenario', 'POST', '/api/sim/scenarios/meteor-strike', undefined, undefined, 404, /unknown scenario "meteor-strike"/],
      ['an unknown scenario target', 'POST', '/api/sim/scenarios/overfill', { target: 'b.hs04.t399' }, undefined, 400, /unknown target "b.hs04.t399"/],
      ['a target of the wrong type', 'POST', '/api/sim/scenarios/overfill', { target: 3 }, undefined, 400, /target must be text/],
      ['a wrong method', 'DELETE', '/api/sim/scenarios', undefined, undefined, 405, /not allowed/],
      ['an unknown path', 'GET', '/api/sim/nothing', undefined, undefined, 404, /no such resource/],
    ])('%s', async (_what, method, path, body, raw, status, reason) => {
      const res = await api(method, path, body, raw);
      expect(res.status).toBe(status);
      expect(String(res.body['error'])).toMatch(reason);
      expect((await api('GET', '/api/sim/points')).status).toBe(200);
    });

    it('Modbus: exception 1 for an unknown function, 2 for a bad address or a read-only write, 0x0B for an unknown unit, 3 for a bad count', async () => {
      const answers = await rawModbusTcp(sim.modbusPort, [
        mbap(1, 1, [0x2b, 0x0e, 0x01, 0x00]), // read device identification: not supported
        mbap(2, 1, [0x03, 0x01, 0xf4, 0x00, 0x01]), // holding 500: past the end
        mbap(3, 99, [0x03, 0x00, 0x00, 0x00, 0x01]), // no unit 99
        mbap(4, 1, [0x06, 0x00, 0x00, 0x12, 0x34]), // holding 0 is a measurement: read-only
        mbap(5, 1, [0x03, 0x00, 0x00, 0x00, 0x00]), // zero registers
      ]);
      expect(answers.map((a) => [a.readUInt16BE(0), a[7], a[8]])).toEqual([
        [1, 0xab, 1],
        [2, 0x83, 2],
        [3, 0x83, 0x0b],
        [4, 0x86, 2],
        [5, 0x83, 3],
      ]);
    });

    it('Modbus TCP answers pipelined requests in order', async () => {
      const frames = Array.from({ length: 200 }, (_, i) => mbap(i + 1, i % 2 === 0 ? 1 : 2, [0x04, 0x00, 0x00, 0x00, 0x04]));
      const answers = await rawModbusTcp(sim.modbusPort, frames);
      expect(answers).toHaveLength(200);
      expect(answers.map((a) => a.readUInt16BE(0))).toEqual(frames.map((_, i) => i + 1));
      expect(answers.every((a) => a[7] === 0x04 && a[8] === 8)).toBe(true);
    });
  });
});

async function reconnect(old: OpcuaTestClient, endpoint: string): Promise<OpcuaTestClient> {
  await old.close().catch(() => undefined);
  return opcuaClient(endpoint);
}
