import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { dataTopic, encodeDataMessage } from '@park/protocol';
import { startTestInfluxd, type TestInfluxd } from '../../harness/influxd.js';
import { DEMO_PARK_FILE, startParkServer, type TestParkServer } from '../../harness/park-server.js';
import { tempDir } from '../../harness/temp-dir.js';
import { readHead } from '../../../server/src/journal-chain/journal-chains.js';
import { SERVER_MAIN, influxQuery, login } from './chain-harness.js';

// Issue 9, tamper-evident journals: alarm transitions and audit entries
// written by the real server carry a hash chain that goes on across a
// restart; `park-server verify-journal` finds the chains intact, and after
// one stored entry is written over in InfluxDB (same time and tags, one field
// changed) it names exactly that entry and exits 1.

function runVerify(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [SERVER_MAIN, 'verify-journal', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('tamper-evident alarm journal and audit trail', () => {
  const dir = tempDir('journal-chain');
  let influxd: TestInfluxd;
  let park: TestParkServer | undefined;
  const dbUrl = (): string => influxd.databaseUrl('park');

  const publishGas = async (url: string, seq: number, v: number): Promise<void> => {
    const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    await c.publishAsync(dataTopic('park/v1', 'gw-b'), encodeDataMessage({ gateway: 'gw-b', seq, readings: [{ id: 'b.hs03.gd02', ts: Date.now(), v, q: 'good' }] }), { qos: 1 });
    await c.endAsync();
  };
  const chainLength = async (measurement: string): Promise<number> => (await readHead(influxd.store(), measurement)).seq;

  beforeAll(async () => {
    if (!existsSync(SERVER_MAIN)) throw new Error(`${SERVER_MAIN} is missing: build first with "npx tsc -b server" (npm test does this)`);
    influxd = await startTestInfluxd();
  });
  afterAll(async () => {
    await park?.stop();
    await influxd?.stop();
    dir.remove();
  });

  it('chains entries across a restart, verifies intact, and reports exactly the entry written over', async () => {
    const dataDir = path.join(dir.path, 'server-data');
    // First run: logins (audit) and a gas alarm raised and acknowledged (journal and audit).
    park = await startParkServer({ influxd, dataDir });
    let cookie = await login(park.url, 'operator', 'demo-operator');
    await fetch(`${park.url}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'operator', password: 'wrong-password' }) });
    await publishGas(park.mqttUrl, 1, 30);
    await expect.poll(async () => ((await (await fetch(`${park?.url}/api/alarms`, { headers: { cookie } })).json()) as { id: string }[]).map((a) => a.id), { timeout: 20_000 }).toContain('b.hs03.gd02:h');
    const ack = await fetch(`${park.url}/api/alarms/${encodeURIComponent('b.hs03.gd02:h')}/ack`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ comment: 'checked on site' }) });
    expect(ack.status).toBe(200);
    await expect.poll(() => chainLength('audit'), { timeout: 20_000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => chainLength('alarm'), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    await park.stop();
    park = undefined;
    const auditBefore = await chainLength('audit');
    const alarmBefore = await chainLength('alarm');

    // Second run on the same InfluxDB: the chains go on from their stored heads.
    park = await startParkServer({ influxd, dataDir });
    cookie = await login(park.url, 'engineer', 'demo-engineer');
    await publishGas(park.mqttUrl, 2, 0);
    await expect.poll(() => chainLength('audit'), { timeout: 20_000 }).toBeGreaterThan(auditBefore);
    await expect.poll(() => chainLength('alarm'), { timeout: 20_000 }).toBeGreaterThan(alarmBefore);
    await park.stop();
    park = undefined;

    const intact = await runVerify(['--influx', dbUrl()]);
    expect(intact.stderr).toBe('');
    expect(intact.code).toBe(0);
    const auditLine = intact.stdout.split('\n').find((l) => l.startsWith('audit:')) ?? '';
    expect(auditLine).toMatch(new RegExp(`^audit: intact, ${await chainLength('audit')} entries \\(seq 1…${await chainLength('audit')}\\)`));
    expect(intact.stdout).toMatch(/^alarm: intact, \d+ entries \(seq 1…/m);

    // The config form of the command reads the same InfluxDB.
    const configFile = path.join(dir.path, 'server.yaml');
    writeFileSync(configFile, JSON.stringify({ park: DEMO_PARK_FILE, dataDir, influx: { url: dbUrl() } }));
    const viaConfig = await runVerify(['--config', configFile]);
    expect(viaConfig.code).toBe(0);
    expect(viaConfig.stdout).toBe(intact.stdout);

    // Rewrite the operator's acknowledgement in the audit trail: same time, same tag, another user.
    const rows = await influxQuery(dbUrl(), `SELECT "user", "chainSeq", "action" FROM "events"."audit" WHERE "action" = 'alarm-ack'`);
    expect(rows.length).toBe(1);
    const [time, user, seq] = rows[0] as [number, string, number];
    expect(user).toBe('operator');
    const write = await fetch(`${influxd.url}/write?db=park&rp=events&precision=ms`, { method: 'POST', body: `audit,action=alarm-ack user="engineer" ${time}` });
    expect(write.status).toBe(204);
    expect((await influxQuery(dbUrl(), `SELECT "user" FROM "events"."audit" WHERE time = ${time}ms AND "action" = 'alarm-ack'`))[0]?.[1]).toBe('engineer');

    const broken = await runVerify(['--influx', dbUrl()]);
    expect(broken.code).toBe(1);
    const lines = broken.stdout.split('\n');
    const at = new Date(time).toISOString();
    const storedHash = String((await influxQuery(dbUrl(), `SELECT "hash" FROM "events"."audit" WHERE time = ${time}ms`))[0]?.[1]);
    expect(lines).toContainEqual(expect.stringMatching(new RegExp(`^audit: BROKEN at ${at.replace(/\./g, '\\.')}: entry seq ${seq} does not match its hash \\(stored ${storedHash}, computed [0-9a-f]{64}\\)$`)));
    const entryLine = lines[lines.findIndex((l) => l.startsWith('audit: BROKEN')) + 1] ?? '';
    expect(JSON.parse(entryLine.replace(/^\s+entry: /, ''))).toMatchObject({ time: at, action: 'alarm-ack', user: 'engineer', target: 'b.hs03.gd02:h', chainSeq: seq });
    // The other chains are untouched.
    expect(lines.filter((l) => l.includes('BROKEN'))).toHaveLength(1);
    expect(broken.stdout).toMatch(/^alarm: intact/m);
  });
});
