import { loadavg } from 'node:os';
import { peakRss, processStats } from '../process-stats.js';

/**
 * CPU and memory of measured processes over a window: CPU seconds from
 * /proc (user + system, children not included), RSS sampled every second
 * and the kernel's own peak (VmHWM). The machine's load average is kept
 * beside the figures, since other work shares the cores.
 */
export interface Usage {
  seconds: number;
  /** Percent of one core over the window. */
  cpuPercent: number;
  rssMb: number;
  maxRssMb: number;
  peakRssMb: number;
}

export class Sampler {
  private readonly start = new Map<number, number>();
  private readonly maxRss = new Map<number, number>();
  private readonly lastRss = new Map<number, number>();
  private t0 = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly loads: number[] = [];

  constructor(private readonly pids: readonly number[]) {}

  begin(): void {
    this.t0 = performance.now();
    for (const pid of this.pids) this.start.set(pid, processStats(pid).cpuSeconds);
    this.sample();
    this.timer = setInterval(() => this.sample(), 1000);
  }

  private sample(): void {
    this.loads.push(loadavg()[0] ?? 0);
    for (const pid of this.pids) {
      try {
        const rss = processStats(pid).rssBytes;
        this.lastRss.set(pid, rss);
        this.maxRss.set(pid, Math.max(rss, this.maxRss.get(pid) ?? 0));
      } catch {
        // the process is gone; its last figures stand
      }
    }
  }

  /** Ends the window; per pid. */
  end(): Map<number, Usage> {
    if (this.timer) clearInterval(this.timer);
    this.sample();
    const seconds = (performance.now() - this.t0) / 1000;
    const out = new Map<number, Usage>();
    for (const pid of this.pids) {
      let cpu = 0;
      let peak = 0;
      try {
        cpu = processStats(pid).cpuSeconds - (this.start.get(pid) ?? 0);
        peak = peakRss(pid);
      } catch {
        // gone
      }
      out.set(pid, { seconds, cpuPercent: (cpu / seconds) * 100, rssMb: (this.lastRss.get(pid) ?? 0) / 2 ** 20, maxRssMb: (this.maxRss.get(pid) ?? 0) / 2 ** 20, peakRssMb: peak / 2 ** 20 });
    }
    return out;
  }

  /** Mean 1-minute load average seen during the window. */
  meanLoad(): number {
    return this.loads.length ? this.loads.reduce((a, b) => a + b, 0) / this.loads.length : 0;
  }
}

export async function fetchMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(url)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.length === 0) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const name = m[1] as string;
    out.set(name, (out.get(name) ?? 0) + Number(m[3]));
  }
  return out;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}
