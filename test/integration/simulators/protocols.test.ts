import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { AttributeIds, makeBrowsePath, StatusCodes } from 'node-opcua';
import { loadConfigFile, parkSchema, type ParkConfig } from '@park/protocol/config';
import { startSimulators, type PointState, type RunningSimulators } from '@park/simulators';
import { DEMO_PARK_FILE } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';
import { closeModbus, ModbusRTU, modbusTcpClient, modbusTolerance, opcuaClient, readModbusPoint, type OpcuaTestClient } from './clients.js';

// Every demo point read over its real protocol by a plain client. The model
// is frozen (one step an hour) so what the client reads is exactly what the
// simulators say the point holds.

describe('simulators: every demo point over its protocol', () => {
  const rtuDir = tempDir('sim-rtu');
  let park: ParkConfig;
  let sim: RunningSimulators;
  let points: PointState[];
  let ua: OpcuaTestClient;

  beforeAll(async () => {
    park = loadConfigFile(DEMO_PARK_FILE, parkSchema).value;
    sim = await startSimulators({ park, seed: 11, opcuaPort: 0, modbusPort: 0, controlPort: 0, rtu: { dir: rtuDir.path }, tickMs: 3_600_000 });
    points = sim.points();
    ua = await opcuaClient(sim.opcuaEndpoint);
  });
  afterAll(async () => {
    await ua?.close();
    await sim?.stop();
    rtuDir.remove();
  });

  it('lists every tag of the park file with its protocol, address and unit', async () => {
    const tags = park.sites.flatMap((s) => s.devices.flatMap((d) => d.tags.map((t) => ({ id: t.id, unit: t.unit, protocol: d.protocol }))));
    expect(points.map((p) => ({ id: p.id, unit: p.unit, protocol: p.protocol }))).toEqual(tags);
    const res = await fetch(`${sim.controlUrl}/api/sim/points`);
    const body = (await res.json()) as { points: PointState[] };
    expect(body.points.map((p) => p.id)).toEqual(tags.map((t) => t.id));
    expect(body.points.find((p) => p.id === 'b.hs03.gd01')).toMatchObject({ protocol: 'modbus-tcp', unit: '%LEL', address: 'unit 2 input 0 int16 (raw 0–10000 = 0–100)', quality: 'good' });
  });

  it('serves every OPC UA point with its value, status, source time, EngineeringUnits and EURange', async () => {
    const opc = points.filter((p) => p.protocol === 'opcua');
    expect(opc.length).toBeGreaterThan(30);
    const values = await ua.read(opc.map((p) => p.nodeId!));
    opc.forEach((p, i) => {
      const dv = values[i]!;
      expect(dv.statusCode.value, p.id).toBe(StatusCodes.Good.value);
      if (p.kind === 'analog') expect(dv.value.value, p.id).toBe(p.value);
      else expect(dv.value.value, p.id).toBe(p.value === 1);
      expect(dv.sourceTimestamp?.getTime(), p.id).toBe(p.ts);
    });
    const analog = opc.filter((p) => p.kind === 'analog');
    const paths = await ua.session.translateBrowsePath(analog.flatMap((p) => [makeBrowsePath(p.nodeId!, '.EngineeringUnits'), makeBrowsePath(p.nodeId!, '.EURange')]));
    const props = await ua.session.read(paths.map((r) => ({ nodeId: r.targets![0]!.targetId, attributeId: AttributeIds.Value })));
    analog.forEach((p, i) => {
      const eu = props[2 * i]!.value.value as { displayName: { text: string } };
      const range = props[2 * i + 1]!.value.value as { low: number; high: number };
      expect(eu.displayName.text, p.id).toBe(p.unit);
      const tag = park.sites[0]!.devices[0]!.tags.find((t) => t.id === p.id)!;
      expect([range.low, range.high], p.id).toEqual(tag.range);
    });
  });

  it('puts OPC UA variables in folders site → hazard source → equipment', async () => {
    const [r] = await ua.session.translateBrowsePath([makeBrowsePath('i=85', '/1:A/1:HS01/1:T101.1:Level')]);
    expect(r!.targets?.[0]?.targetId.toString()).toBe('ns=1;s=A.HS01.T101.Level');
  });

  it('serves every Modbus TCP point at its unit id and address with its encoding', async () => {
    const tcp = points.filter((p) => p.protocol === 'modbus-tcp');
    const units = [...new Set(tcp.map((p) => p.modbus!.unitId))];
    expect(units).toEqual([1, 2, 10, 11]);
    for (const unit of units) {
      const c = await modbusTcpClient(sim.modbusPort, unit);
      try {
        for (const p of tcp.filter((q) => q.modbus!.unitId === unit)) {
          const v = await readModbusPoint(c, p.modbus!);
          expect(Math.abs(v - p.value), `${p.id} read ${v}, simulators hold ${p.value}`).toBeLessThanOrEqual(modbusTolerance(p.modbus!, p.value));
        }
      } finally {
        await closeModbus(c);
      }
    }
  });

  it('serves the RTU gas controller over the socat serial line with CRC framing', async () => {
    expect(sim.rtuPath).toBe(`${rtuDir.path}/b-gas-rtu`);
    const c = new ModbusRTU();
    await c.connectRTUBuffered(sim.rtuPath!, { baudRate: 9600 });
    c.setTimeout(1000);
    try {
      const rtu = points.filter((p) => p.protocol === 'modbus-rtu');
      expect(rtu.map((p) => p.id)).toEqual(['b.hs04.gd01', 'b.hs04.gd02', 'b.hs04.gd03', 'b.hs04.gd04']);
      c.setID(3);
      for (const p of rtu) expect(Math.abs((await readModbusPoint(c, p.modbus!)) - p.value), p.id).toBeLessThanOrEqual(modbusTolerance(p.modbus!, p.value));
      // Another unit id on the line: nobody answers.
      c.setID(7);
      c.setTimeout(300);
      await expect(c.readHoldingRegisters(0, 1)).rejects.toThrow(/Timed out/);
      c.setID(3);
      c.setTimeout(1000);
      await expect(c.readHoldingRegisters(10, 1)).rejects.toMatchObject({ modbusCode: 2 });
    } finally {
      await closeModbus(c);
    }
  });

  it('mbpoll, an independent master, reads a float32 point correctly', async () => {
    const p = sim.point('b.hs03.v201.level');
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      // -B: big-endian word order (ABCD); -r 1 is holding register 0; -1: poll once.
      const child = spawn('mbpoll', ['-m', 'tcp', '-a', '1', '-r', '1', '-c', '2', '-t', '4:float', '-B', '-p', String(sim.modbusPort), '-1', '127.0.0.1']);
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', (err) => resolve({ code: -1, stdout, stderr: `${err.message} (install mbpoll: apt-get install -y mbpoll)` }));
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const m = /\[1\]:\s+(-?[\d.e+-]+)/.exec(out.stdout);
    expect(m, out.stdout).not.toBeNull();
    expect(Number(m![1])).toBeCloseTo(p.value, 3);
  });
});
