import { execFile } from 'node:child_process';

/**
 * Is the system clock synchronised? Source timestamps of Modbus readings
 * (and of OPC UA readings whose source time is implausible) are this box's
 * clock, so an unsynchronised clock makes every such timestamp suspect.
 *
 * Asked of the tools a Linux box may have, first answer wins:
 *   1. `timedatectl show -p NTPSynchronized --value`  (systemd; `yes`/`no`)
 *   2. `chronyc -n tracking`                            (chrony; `Leap status : Normal`)
 *   3. `ntpq -c "rv 0 leap"`                            (ntpd; `leap=00`)
 *   4. `adjtimex --print`                               (kernel STA_UNSYNC bit of `status`)
 * A tool that is missing, fails or says something else hands over to the
 * next; when none answers the state is `unknown`. Never throws, never
 * blocks: every command runs asynchronously with a timeout.
 */

export type ClockSyncState = 'synced' | 'unsynced' | 'unknown';

export interface ClockSyncResult {
  state: ClockSyncState;
  /** The tool that answered, e.g. `timedatectl`; `none` when none did. */
  source: string;
  /** What it said, one line, e.g. `NTPSynchronized=yes`. */
  detail: string;
  /** When it was asked (ms since the epoch). */
  checkedAt: number;
}

export interface CommandOutput {
  /** Exit code 0 (a missing command or a timeout is not ok). */
  ok: boolean;
  stdout: string;
}

/** Runs one command; injectable so tests need no timedatectl. */
export type CommandRunner = (cmd: string, args: readonly string[], timeoutMs: number) => Promise<CommandOutput>;

export const CLOCK_COMMAND_TIMEOUT_MS = 3000;
/** How often the running gateway asks again. */
export const CLOCK_CHECK_INTERVAL_MS = 5 * 60_000;

/** STA_UNSYNC of the kernel's timex status (linux/timex.h). */
const STA_UNSYNC = 0x40;

export const runCommand: CommandRunner = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    try {
      execFile(cmd, [...args], { timeout: timeoutMs, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, windowsHide: true }, (err, stdout) => {
        resolve({ ok: !err, stdout: typeof stdout === 'string' ? stdout : '' });
      });
    } catch {
      resolve({ ok: false, stdout: '' });
    }
  });

interface Probe {
  source: string;
  cmd: string;
  args: readonly string[];
  /** The state it reports, or undefined when its answer says nothing. */
  read(out: CommandOutput): { state: Exclude<ClockSyncState, 'unknown'>; detail: string } | undefined;
}

const PROBES: readonly Probe[] = [
  {
    source: 'timedatectl',
    cmd: 'timedatectl',
    args: ['show', '-p', 'NTPSynchronized', '--value'],
    read: (o) => {
      const v = o.stdout.trim();
      if (!o.ok) return undefined;
      if (v === 'yes') return { state: 'synced', detail: 'NTPSynchronized=yes' };
      if (v === 'no') return { state: 'unsynced', detail: 'NTPSynchronized=no' };
      return undefined;
    },
  },
  {
    source: 'chronyc',
    cmd: 'chronyc',
    args: ['-n', 'tracking'],
    read: (o) => {
      if (!o.ok) return undefined;
      const leap = /^Leap status\s*:\s*(.+)$/m.exec(o.stdout)?.[1]?.trim();
      if (leap === undefined) return undefined;
      const ref = /^Reference ID\s*:\s*(.+)$/m.exec(o.stdout)?.[1]?.trim();
      const detail = `leap status ${leap}${ref ? `, reference ${ref}` : ''}`;
      return { state: /not synchronised/i.test(leap) ? 'unsynced' : 'synced', detail };
    },
  },
  {
    source: 'ntpq',
    cmd: 'ntpq',
    args: ['-c', 'rv 0 leap'],
    read: (o) => {
      if (!o.ok) return undefined;
      const leap = /leap=(\w+)/.exec(o.stdout)?.[1];
      if (leap === undefined) return undefined;
      const synced = leap === '00' || leap === '01' || leap === '10' || leap === 'leap_none' || leap === 'leap_add_sec' || leap === 'leap_del_sec';
      return { state: synced ? 'synced' : 'unsynced', detail: `leap=${leap}` };
    },
  },
  {
    source: 'adjtimex',
    cmd: 'adjtimex',
    args: ['--print'],
    read: (o) => {
      if (!o.ok) return undefined;
      const status = /^\s*status:\s*(\d+)/m.exec(o.stdout)?.[1];
      if (status === undefined) return undefined;
      const unsynced = (Number(status) & STA_UNSYNC) !== 0;
      return { state: unsynced ? 'unsynced' : 'synced', detail: `kernel status ${status}${unsynced ? ' (STA_UNSYNC)' : ''}` };
    },
  },
];

/** Asks the tools in turn; the first that answers decides. */
export async function checkClockSync(run: CommandRunner = runCommand, timeoutMs = CLOCK_COMMAND_TIMEOUT_MS): Promise<ClockSyncResult> {
  for (const p of PROBES) {
    let out: CommandOutput;
    try {
      out = await run(p.cmd, p.args, timeoutMs);
    } catch {
      continue;
    }
    const r = p.read(out);
    if (r) return { ...r, source: p.source, checkedAt: Date.now() };
  }
  return { state: 'unknown', source: 'none', detail: 'none of timedatectl, chronyc, ntpq, adjtimex answered', checkedAt: Date.now() };
}

/**
 * The running gateway's view: asks at start and every `intervalMs`, keeps the
 * last answer, and calls `onChange` when the state changes. Its counters go
 * into the status message: `clockSynced` 1|0 and `clockUnknown` 1|0
 * (unsynchronised = both 0).
 */
export class ClockSyncMonitor {
  private last: ClockSyncResult = { state: 'unknown', source: 'none', detail: 'not checked yet', checkedAt: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly options: { intervalMs?: number; run?: CommandRunner; onChange?: (r: ClockSyncResult, previous: ClockSyncResult) => void } = {},
  ) {}

  get current(): ClockSyncResult {
    return this.last;
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs ?? CLOCK_CHECK_INTERVAL_MS);
    this.timer.unref();
  }

  /** One check now (a check already running is awaited instead of starting another). */
  refresh(): Promise<void> {
    this.running ??= checkClockSync(this.options.run)
      .then((r) => {
        if (this.stopped) return;
        const previous = this.last;
        this.last = r;
        if (r.state !== previous.state) this.options.onChange?.(r, previous);
      })
      .finally(() => (this.running = undefined));
    return this.running;
  }

  counters(): { clockSynced: number; clockUnknown: number } {
    return { clockSynced: this.last.state === 'synced' ? 1 : 0, clockUnknown: this.last.state === 'unknown' ? 1 : 0 };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }
}
