import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { REPO_ROOT } from '../harness/park-server.js';
import { tempDir } from '../harness/temp-dir.js';

// The acceptance of `npm start`: the whole demo park comes up on its fixed
// ports, every demo tag arrives good, and Ctrl-C leaves no process behind.
// (It needs those ports free: stop a running demo before `npm test`.)

function descendants(pid: number): number[] {
  const ps = spawnSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' }).stdout;
  const children = new Map<number, number[]>();
  for (const line of ps.trim().split('\n')) {
    const [p, pp] = line.trim().split(/\s+/).map(Number);
    if (p === undefined || pp === undefined) continue;
    children.set(pp, [...(children.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const visit = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      visit(c);
    }
  };
  visit(pid);
  return out;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('npm start', () => {
  const data = tempDir('npm-start');
  afterAll(() => data.remove());

  it('runs the demo park, shows every tag good, and stops cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, ['scripts/start.mjs'], { cwd: REPO_ROOT, env: { ...process.env, DATA_DIR: data.path }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await expect.poll(() => out, { timeout: 150_000, interval: 200 }).toContain('Ctrl-C stops everything.');
      expect(out).toContain('Web and API    http://localhost:8080');
      expect(out).toContain('operator / demo-operator');

      const login = await fetch('http://127.0.0.1:8080/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'viewer', password: 'demo-viewer' }) });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      // The devices' tags; the server's own environment averages need an hour of readings to be good.
      const all = (await (await fetch('http://127.0.0.1:8080/api/tags', { headers: { cookie } })).json()) as { id: string; gateway: string }[];
      const tags = new Set(all.filter((t) => t.gateway !== 'park-server').map((t) => t.id));
      expect(tags.size).toBeGreaterThan(50);
      expect(all.filter((t) => t.gateway === 'park-server').map((t) => t.id)).toContain('park.env.so2.avg_1h');
      await expect
        .poll(async () => ((await (await fetch('http://127.0.0.1:8080/api/values', { headers: { cookie } })).json()) as { id: string; q: string }[]).filter((v) => tags.has(v.id) && v.q === 'good').length, { timeout: 20_000 })
        .toBe(tags.size);
      const health = (await (await fetch('http://127.0.0.1:8080/api/health')).json()) as { status: string };
      expect(health.status).toBe('ok');
    } finally {
      const pids = child.pid ? descendants(child.pid) : [];
      expect(pids.length).toBeGreaterThanOrEqual(5); // server, influxd (and its guard), simulators, socat, two gateways
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      await expect.poll(() => pids.filter(alive), { timeout: 10_000 }).toEqual([]);
    }
  });
});
