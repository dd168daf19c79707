import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetModel, fleetPark, fleetValue, startSimulators, type RunningSimulators } from '@park/simulators';
import { closeModbus, mbap, modbusTcpClient, opcuaClient, rawModbusTcp } from './clients.js';

// The load-test fleet: its pattern is checkable by any reader. Throughput is
// measured in the benchmarks, not here.

describe('simulators: fleet mode', () => {
  let sim: RunningSimulators;

  beforeAll(async () => {
    const park = fleetPark({ devices: 3, points: 100, opcuaVariables: 20 });
    sim = await startSimulators({ park, model: new FleetModel(park), opcuaPort: 0, modbusPort: 0, controlPort: 0, tickMs: 100 });
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it('serves K units × M float32 points in the documented pattern', async () => {
    const c = await modbusTcpClient(sim.modbusPort, 2);
    try {
      const before = Math.floor(Date.now() / 1000);
      const r = await c.readHoldingRegisters(0, 100);
      const after = Math.floor(Date.now() / 1000);
      const values = Array.from({ length: 50 }, (_, k) => r.buffer.readFloatBE(4 * k));
      const matches = (s: number): boolean => values.every((v, k) => v === fleetValue(s, 2, k + 1));
      // The pattern's second is the last model step's: within a few seconds of the wall clock on a loaded machine.
      const candidates = Array.from({ length: after - before + 5 }, (_, k) => before - 4 + k);
      expect(candidates.some(matches), `values ${values.slice(0, 3).join(', ')}… at ${before}–${after}`).toBe(true);
    } finally {
      await closeModbus(c);
    }
    expect(sim.points()).toHaveLength(3 * 100 + 20);
  });

  it('serves N OPC UA variables whose value follows their source time', async () => {
    const ua = await opcuaClient(sim.opcuaEndpoint);
    try {
      const values = await ua.read(Array.from({ length: 20 }, (_, i) => `ns=1;s=Fleet.V${String(i + 1).padStart(6, '0')}`));
      values.forEach((dv, i) => {
        const s = Math.floor(dv.sourceTimestamp!.getTime() / 1000);
        expect(dv.value.value).toBe(fleetValue(s, 0, i + 1));
      });
    } finally {
      await ua.close();
    }
  });

  it('answers many pipelined block reads on one connection', async () => {
    const frames = Array.from({ length: 300 }, (_, i) => mbap(i, 1 + (i % 3), [0x03, 0x00, 0x00, 0x00, 0x7d]));
    const answers = await rawModbusTcp(sim.modbusPort, frames);
    expect(answers).toHaveLength(300);
    expect(answers.every((a) => a[7] === 0x03 && a[8] === 250)).toBe(true);
  });
});
