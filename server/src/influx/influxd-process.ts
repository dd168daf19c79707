import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * Runs a private InfluxDB 1.x (`influxd`) as a child process with its own
 * data folder and loopback ports, for the demo park and the tests.
 *
 * influxd is started under a small `sh` guard that reads its stdin: when this
 * Node process dies for any reason (even `kill -9`), the pipe closes and the
 * guard stops influxd, so no orphaned database is left running.
 */

export interface ManagedInfluxdOptions {
  /** Folder for meta, data, WAL, the generated config and `influxd.log`. */
  dir: string;
  httpPort: number;
  rpcPort: number;
  /** Loopback by default: the managed instance is private to this machine. */
  host?: string;
  binary?: string;
  /** How long to wait for `/ping` to answer after start. */
  startTimeoutMs?: number;
  /** influxd's GOGC, default INFLUXD_GC_PERCENT. */
  gcPercent?: number;
  /** influxd's `cache-snapshot-memory-size` in MB, default INFLUXD_CACHE_SNAPSHOT_MB. */
  cacheSnapshotMB?: number;
}

/**
 * Go's garbage collector target for influxd: 200 against Go's 100 took
 * InfluxDB's CPU at 100,000 points/s down by 15–18 % for about 300 MB more
 * memory at 100,000 series (docs/BENCHMARKS.md).
 */
export const INFLUXD_GC_PERCENT = 200;

/**
 * How much of the newest points influxd keeps in memory before it writes
 * them to a TSM file (its `cache-snapshot-memory-size`; InfluxDB's default
 * is 25 MB). Each snapshot writes an index entry for every series and field
 * it holds: with 150,000 tags at 1 s a 25 MB cache held a few seconds of
 * points, and writing and compacting those small files was a good part of
 * InfluxDB's work. Writing 150,000 series at 150,000 points/s cost it
 * 9.5–11.9 µs per point with 25 MB, 7.4–8.3 with 64 MB, 6.2–6.5 with 128 MB
 * (docs/BENCHMARKS.md). 128 MB is not the default because each snapshot is
 * then one long burst of work: on a 2-core server with everything on it,
 * alarm latency p99 went from 31–65 ms to 147–176 ms; 64 MB stayed at
 * 36–75 ms. The WAL replayed after a crash grows to the same size.
 */
export const INFLUXD_CACHE_SNAPSHOT_MB = 64;

export interface ManagedInfluxd {
  /** Base URL of the HTTP API, e.g. `http://127.0.0.1:18086`. */
  readonly url: string;
  readonly pid: number;
  /** Stops influxd (TERM, then KILL after `timeoutMs`) and waits for it to exit. */
  stop(timeoutMs?: number): Promise<void>;
}

export class InfluxdStartError extends Error {
  override name = 'InfluxdStartError';
}

// $0 is influxd, $1 its config. The watcher reads our pipe on fd 3 (a
// background job's own stdin is /dev/null in sh) and stops influxd at EOF;
// the guard exits when influxd does, so a crash is seen by the parent.
const GUARD_SCRIPT = [
  'exec 3<&0',
  '"$0" -config "$1" </dev/null &',
  'child=$!',
  'echo "influxd-pid $child"',
  '( while read -r _ <&3; do :; done; kill -TERM "$child" 2>/dev/null ) &',
  'watcher=$!',
  'trap \'kill -TERM "$child" 2>/dev/null\' TERM INT',
  'status=0',
  'while kill -0 "$child" 2>/dev/null; do wait "$child"; status=$?; done',
  'kill "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

export function influxdConfigText(o: { dir: string; host: string; httpPort: number; rpcPort: number; cacheSnapshotMB?: number }): string {
  const q = (s: string): string => JSON.stringify(s);
  // Limits raised deliberately: the defaults (100,000 values per tag key) would
  // make a large park's points be refused. Refused writes surface as errors.
  return `reporting-disabled = true
bind-address = ${q(`${o.host}:${o.rpcPort}`)}

[meta]
  dir = ${q(path.join(o.dir, 'meta'))}

[data]
  dir = ${q(path.join(o.dir, 'data'))}
  wal-dir = ${q(path.join(o.dir, 'wal'))}
  query-log-enabled = false
  max-series-per-database = 10000000
  max-values-per-tag = 1000000
  cache-snapshot-memory-size = ${(o.cacheSnapshotMB ?? INFLUXD_CACHE_SNAPSHOT_MB) * 1024 * 1024}

[monitor]
  store-enabled = false

[http]
  enabled = true
  bind-address = ${q(`${o.host}:${o.httpPort}`)}
  log-enabled = false
  max-body-size = 67108864

[logging]
  level = "warn"
  suppress-logo = true

[continuous_queries]
  enabled = true
  run-interval = "10s"
`;
}

/** Absolute path of `influxd`, or undefined when it is not installed. */
export function findInfluxd(binary = 'influxd'): string | undefined {
  if (binary.includes('/')) return binary;
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const found = r.stdout.trim();
  return r.status === 0 && found ? found : undefined;
}

export async function startManagedInfluxd(options: ManagedInfluxdOptions): Promise<ManagedInfluxd> {
  const host = options.host ?? '127.0.0.1';
  const binary = findInfluxd(options.binary);
  if (!binary) throw new InfluxdStartError('influxd not found: install InfluxDB 1.x with "apt-get install -y influxdb" (npm start and npm test do this when run as root), or set INFLUX_URL to an existing InfluxDB');
  const dir = path.resolve(options.dir);
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'influxd.conf');
  writeFileSync(configFile, influxdConfigText({ dir, host, httpPort: options.httpPort, rpcPort: options.rpcPort, ...(options.cacheSnapshotMB !== undefined ? { cacheSnapshotMB: options.cacheSnapshotMB } : {}) }));
  const logFile = path.join(dir, 'influxd.log');
  const log = createWriteStream(logFile, { flags: 'a' });

  const env = { ...process.env, GOGC: String(options.gcPercent ?? INFLUXD_GC_PERCENT) };
  const child = spawn('sh', ['-c', GUARD_SCRIPT, binary, configFile], { stdio: ['pipe', 'pipe', 'pipe'], env });
  child.stderr?.pipe(log, { end: false });
  let stderrTail = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderrTail = (stderrTail + d.toString()).slice(-4000);
  });
  let influxdPid = 0;
  child.stdout?.on('data', (d: Buffer) => {
    const m = /influxd-pid (\d+)/.exec(d.toString());
    if (m) {
      influxdPid = Number(m[1]);
      // For operators and tests: which process is this data folder's database.
      writeFileSync(path.join(dir, 'influxd.pid'), `${influxdPid}\n`);
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
    log.end();
  });

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${options.httpPort}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (hasExited) {
      throw new InfluxdStartError(`influxd exited during start-up (see ${logFile}): ${lastMeaningfulLine(stderrTail)}`);
    }
    if (await ping(url)) break;
    if (Date.now() > deadline) {
      await stopChild(child, exited, () => influxdPid, 5000);
      throw new InfluxdStartError(`influxd did not answer on ${url} within ${options.startTimeoutMs ?? 30_000} ms (see ${logFile})`);
    }
    await delay(100);
  }

  return {
    url,
    get pid() {
      return influxdPid;
    },
    stop: (timeoutMs = 8000) => stopChild(child, exited, () => influxdPid, timeoutMs),
  };
}

async function ping(url: string): Promise<boolean> {
  try {
    const res = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
    return res.status === 204;
  } catch {
    return false;
  }
}

async function stopChild(child: ChildProcess, exited: Promise<number | null>, pid: () => number, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin?.end();
  const timer = setTimeout(() => {
    const p = pid();
    if (p) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child.kill('SIGKILL');
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

function lastMeaningfulLine(text: string): string {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  const err = lines.reverse().find((l) => /error|fail|bind|address already in use/i.test(l));
  return err ?? lines[0] ?? 'no output';
}
