import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Child processes of a benchmark run. Every one is registered so that the
 * runner can stop what is left when a scenario throws or the run is
 * interrupted: no measured part may outlive its scenario.
 */

export interface BenchChild {
  readonly name: string;
  readonly pid: number;
  /** performance.now() when it was spawned. */
  readonly spawnedAt: number;
  /** Resolves with the first stdout line matching `re` (and its time), or rejects when the process exits or the time is up. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<{ line: string; at: number }>;
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string;
  readonly exited: Promise<number | null>;
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<BenchChild>();
const TAIL_LINES = 40;

/**
 * With BENCH_CPU_PROF_DIR set, every Node child writes a V8 CPU profile into
 * `<dir>/<name>/` when it exits (open it in Chrome DevTools): how a missed
 * target is profiled. Profiling slows the process; such a run's figures are
 * not results.
 */
export function profiledNodeArgs(name: string, args: readonly string[]): string[] {
  const dir = process.env.BENCH_CPU_PROF_DIR;
  // BENCH_SERVER_NODE_ARGS: V8 options for the server alone, e.g. a heap limit to compare.
  const extra = name === 'server' ? (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  return [...extra, ...(dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}/${name.replace(/[^\w.-]+/g, '_')}`] : []), ...args];
}

export function spawnChild(name: string, command: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchChild {
  const proc: ChildProcess = spawn(command, command === process.execPath ? profiledNodeArgs(name, args) : args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  if (proc.pid === undefined) throw new Error(`${name}: could not spawn ${command}`);
  const spawnedAt = performance.now();
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (v: { line: string; at: number }) => void }[] = [];
  const keep = (line: string): void => {
    lines.push(line);
    if (lines.length > TAIL_LINES) lines.shift();
    for (let i = waiters.length - 1; i >= 0; i--) {
      const w = waiters[i];
      if (w && w.re.test(line)) {
        waiters.splice(i, 1);
        w.resolve({ line, at: performance.now() });
      }
    }
  };
  const splitter = (): ((d: Buffer) => void) => {
    let rest = '';
    return (d) => {
      const parts = (rest + d.toString()).split('\n');
      rest = parts.pop() ?? '';
      for (const p of parts) if (p.length > 0) keep(p.length > 2000 ? `${p.slice(0, 2000)}…` : p);
    };
  };
  proc.stdout?.on('data', splitter());
  proc.stderr?.on('data', splitter());
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => {
    exitCode = c;
    live.delete(child);
  });
  const child: BenchChild = {
    name,
    pid: proc.pid,
    spawnedAt,
    exited,
    running: () => exitCode === undefined,
    tail: () => lines.join('\n'),
    waitForLine: (re, timeoutMs) =>
      new Promise((resolve, reject) => {
        const found = lines.find((l) => re.test(l));
        if (found !== undefined) return resolve({ line: found, at: performance.now() });
        const timer = setTimeout(() => reject(new Error(`${name}: no line matching ${re} within ${timeoutMs} ms\n${lines.join('\n')}`)), timeoutMs);
        const w = {
          re,
          resolve: (v: { line: string; at: number }) => {
            clearTimeout(timer);
            resolve(v);
          },
        };
        waiters.push(w);
        void exited.then((code) => {
          clearTimeout(timer);
          reject(new Error(`${name} exited (code ${code}) before a line matching ${re}\n${lines.join('\n')}`));
        });
      }),
    stop: async (graceMs = 10_000) => {
      if (exitCode !== undefined) return;
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(child);
  return child;
}

/** Stops every child still running (after a failed scenario). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop(5000)));
}

/** Last resort on exit: SIGKILL by pid, synchronously. */
export function killAllChildrenNow(): void {
  for (const c of live) {
    try {
      process.kill(c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** Polls `probe` until it is true; throws with `what` when `timeoutMs` passes or `alive` says the process died. */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, alive?: BenchChild): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (alive && !alive.running()) throw new Error(`${what}: ${alive.name} exited\n${alive.tail()}`);
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${alive ? `\n${alive.tail()}` : ''}`);
    await delay(100);
  }
}
