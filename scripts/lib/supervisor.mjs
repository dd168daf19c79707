// @ts-check
// Runs the demo park's parts as child processes: their JSON logs go to one
// file per part; warnings and errors are echoed readably to the terminal.
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

const LEVEL_NAMES = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

/** One readable line from a pino JSON log line, or the line itself when it is not JSON. */
export function readableLogLine(part, line) {
  try {
    const o = JSON.parse(line);
    const { level, time, msg, name: _name, pid: _pid, hostname: _host, ...rest } = o;
    const fields = Object.entries(rest)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `[${part}] ${LEVEL_NAMES[level] ?? level} ${msg ?? ''}${fields ? `  ${fields}` : ''}`;
  } catch {
    return `[${part}] ${line}`;
  }
}

/** Level of a pino line; other lines on stdout (libraries printing notices) count as info. */
function levelOf(line) {
  const m = /^\{"level":(\d+)/.exec(line);
  return m ? Number(m[1]) : 30;
}

/**
 * @param {{ name: string, args: string[], logDir: string, cwd: string, env?: NodeJS.ProcessEnv, echoLevel?: number }} o
 */
export function startPart(o) {
  mkdirSync(o.logDir, { recursive: true });
  const logFile = path.join(o.logDir, `${o.name}.log`);
  const log = createWriteStream(logFile, { flags: 'a' });
  const child = spawn(process.execPath, o.args, { cwd: o.cwd, env: { ...process.env, ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const echoLevel = o.echoLevel ?? 40;
  /** @type {((line: string) => void)[]} */
  const watchers = [];
  const tail = [];
  const onLine = (line, fromStderr) => {
    log.write(`${line}\n`);
    tail.push(line);
    if (tail.length > 20) tail.shift();
    if (fromStderr || levelOf(line) >= echoLevel) process.stdout.write(`${readableLogLine(o.name, line)}\n`);
    for (const w of watchers) w(line);
  };
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stdout) }).on('line', (l) => onLine(l, false));
  createInterface({ input: /** @type {import('node:stream').Readable} */ (child.stderr) }).on('line', (l) => onLine(l, true));
  /** @type {Promise<{ code: number | null, signal: NodeJS.Signals | null }>} */
  const exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      log.end();
      resolve({ code, signal });
    }),
  );
  return {
    name: o.name,
    logFile,
    child,
    exited,
    tail: () => tail.slice(),
    /** Resolves when a log line matches, rejects if the part exits first. */
    waitForLine(predicate, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${o.name} did not become ready within ${timeoutMs / 1000} s (see ${logFile})`)), timeoutMs);
        watchers.push((line) => {
          if (predicate(line)) {
            clearTimeout(timer);
            resolve(line);
          }
        });
        void exited.then(({ code, signal }) => {
          clearTimeout(timer);
          reject(new Error(`${o.name} exited during start-up (${signal ?? `exit code ${code}`})`));
        });
      });
    },
    /** SIGTERM, then SIGKILL after `timeoutMs`; resolves when it has exited. */
    async stop(timeoutMs) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
