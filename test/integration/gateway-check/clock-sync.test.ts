import { describe, expect, it, vi } from 'vitest';
import { checkClockSync, ClockSyncMonitor, type CommandRunner } from '../../../gateway/src/clock-sync.js';

// Issue 11: the clock's synchronisation state, from whichever tool the box has. The tools are
// replaced by a table of canned answers (a missing tool answers not-ok, as execFile's ENOENT does).
function runner(answers: Record<string, { ok: boolean; stdout: string } | 'throw'>): CommandRunner & { calls: string[] } {
  const calls: string[] = [];
  const run = async (cmd: string) => {
    calls.push(cmd);
    const a = answers[cmd];
    if (a === 'throw') throw new Error('boom');
    return a ?? { ok: false, stdout: '' };
  };
  return Object.assign(run, { calls });
}

const CHRONY_SYNCED = 'Reference ID    : C0A80001 (ntp.example)\nStratum         : 3\nLeap status     : Normal\n';
const CHRONY_UNSYNCED = 'Reference ID    : 00000000 ()\nStratum         : 0\nLeap status     : Not synchronised\n';

describe('clock synchronisation probe (issue 11)', () => {
  const cases: { name: string; answers: Parameters<typeof runner>[0]; state: string; source: string }[] = [
    { name: 'timedatectl yes', answers: { timedatectl: { ok: true, stdout: 'yes\n' } }, state: 'synced', source: 'timedatectl' },
    { name: 'timedatectl no', answers: { timedatectl: { ok: true, stdout: 'no\n' }, chronyc: { ok: true, stdout: CHRONY_SYNCED } }, state: 'unsynced', source: 'timedatectl' },
    { name: 'no systemd, chrony synced', answers: { chronyc: { ok: true, stdout: CHRONY_SYNCED } }, state: 'synced', source: 'chronyc' },
    { name: 'chrony not synchronised', answers: { chronyc: { ok: true, stdout: CHRONY_UNSYNCED } }, state: 'unsynced', source: 'chronyc' },
    { name: 'chronyd not running, ntpd synced', answers: { chronyc: { ok: false, stdout: '506 Cannot talk to daemon\n' }, ntpq: { ok: true, stdout: 'leap=00\n' } }, state: 'synced', source: 'ntpq' },
    { name: 'ntpd unsynced', answers: { ntpq: { ok: true, stdout: 'leap=11\n' } }, state: 'unsynced', source: 'ntpq' },
    { name: 'adjtimex STA_UNSYNC', answers: { adjtimex: { ok: true, stdout: '         mode: 0\n       status: 64\n' } }, state: 'unsynced', source: 'adjtimex' },
    { name: 'adjtimex PLL', answers: { adjtimex: { ok: true, stdout: '       status: 8193\n' } }, state: 'synced', source: 'adjtimex' },
    { name: 'no tool at all', answers: {}, state: 'unknown', source: 'none' },
    { name: 'a runner that throws', answers: { timedatectl: 'throw', chronyc: 'throw', ntpq: 'throw', adjtimex: 'throw' }, state: 'unknown', source: 'none' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await checkClockSync(runner(c.answers));
      expect(r).toMatchObject({ state: c.state, source: c.source });
      expect(r.detail.length).toBeGreaterThan(0);
    });
  }

  it('asks this machine without throwing', async () => {
    const r = await checkClockSync();
    expect(['synced', 'unsynced', 'unknown']).toContain(r.state);
  });

  it('the monitor reports 1|0 counters, re-checks on its interval and calls onChange only on a change', async () => {
    vi.useFakeTimers();
    try {
      let answer = 'yes\n';
      const run: CommandRunner = async () => ({ ok: true, stdout: answer });
      const changes: string[] = [];
      const m = new ClockSyncMonitor({ intervalMs: 300_000, run, onChange: (r) => changes.push(r.state) });
      expect(m.counters()).toEqual({ clockSynced: 0, clockUnknown: 1 });
      m.start();
      await vi.advanceTimersByTimeAsync(0);
      expect(m.counters()).toEqual({ clockSynced: 1, clockUnknown: 0 });
      answer = 'no\n';
      await vi.advanceTimersByTimeAsync(299_000);
      expect(m.current.state).toBe('synced');
      await vi.advanceTimersByTimeAsync(1000);
      expect(m.counters()).toEqual({ clockSynced: 0, clockUnknown: 0 });
      await vi.advanceTimersByTimeAsync(300_000);
      expect(changes).toEqual(['synced', 'unsynced']);
      m.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
