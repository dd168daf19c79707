import modbusSerial from 'modbus-serial';
import type { ModbusDevice } from './config.js';

/**
 * One Modbus connection: a TCP socket for one device, or a serial line shared
 * by every unit on it. Requests are serialized (one at a time per
 * connection, as Modbus RTU requires and most TCP devices expect). The link
 * reconnects with capped exponential back-off, and a watchdog rebuilds a
 * connection that stays open but answers nothing (a half-open TCP
 * connection) for `watchdogMs`.
 */

// A CommonJS package whose typings declare `export default`: under NodeNext the class is `.default`
// (the package sets `module.exports.default = module.exports`, so this holds at run time too).
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

export type ReadFailure =
  | { kind: 'exception'; code: number; message: string }
  | { kind: 'timeout'; message: string }
  | { kind: 'link'; code: string; message: string };

export type ReadResult = { ok: true; buffer: Buffer; bits?: boolean[] } | { ok: false; failure: ReadFailure };

export type Fc = 'coil' | 'discrete-input' | 'holding' | 'input';

const CONNECT_TIMEOUT_MS = 5000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;
const CLOSE_TIMEOUT_MS = 2000;

export interface LinkListener {
  (up: boolean, reason: string): void;
}

export class ModbusLink {
  private client: ModbusRTU | undefined;
  private connecting: Promise<boolean> | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private retryMs = 0;
  private nextAttemptAt = 0;
  private lastAnswerAt = Date.now();
  private closed = false;
  up = false;
  /** Why the link is down, e.g. `ECONNREFUSED 127.0.0.1:502`; a short code for readings. */
  reason = 'connecting';
  code = 'not-connected';
  readonly listeners = new Set<LinkListener>();
  users = 0;
  /** Watchdog: no answer at all for this long while requests time out → rebuild the connection. */
  watchdogMs = 10_000;

  constructor(
    readonly key: string,
    private readonly device: ModbusDevice,
  ) {}

  /** Connected, or one connect attempt when the back-off allows it. */
  async ensure(): Promise<boolean> {
    if (this.up) return true;
    if (this.closed || Date.now() < this.nextAttemptAt) return false;
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  private where(): string {
    const d = this.device;
    return d.protocol === 'modbus-tcp' ? `${d.host}:${d.port}` : d.serialPath;
  }

  private async connect(): Promise<boolean> {
    const client = new ModbusRTU();
    const d = this.device;
    let timer: NodeJS.Timeout | undefined;
    try {
      const opening =
        d.protocol === 'modbus-tcp'
          ? client.connectTCP(d.host, { port: d.port })
          : client.connectRTUBuffered(d.serialPath, { baudRate: d.baudRate, parity: d.parity, dataBits: d.dataBits, stopBits: d.stopBits });
      await Promise.race([
        opening,
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`connect timed out after ${CONNECT_TIMEOUT_MS} ms`), { code: 'ETIMEDOUT' })), CONNECT_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      clearTimeout(timer);
      destroy(client);
      const e = err as NodeJS.ErrnoException;
      const code = e.code ?? (typeof e.errno === 'string' ? e.errno : 'connect-failed');
      this.down(code, `${code === 'ECONNREFUSED' ? 'connection refused' : e.message} (${this.where()})`);
      return false;
    }
    clearTimeout(timer);
    if (this.closed) {
      destroy(client);
      return false;
    }
    this.client = client;
    client.on('close', () => {
      if (this.client === client) this.down('disconnected', `connection closed by ${this.where()}`);
    });
    this.up = true;
    this.retryMs = 0;
    this.lastAnswerAt = Date.now();
    this.reason = 'connected';
    for (const l of this.listeners) l(true, 'connected');
    return true;
  }

  private down(code: string, reason: string): void {
    const client = this.client;
    this.client = undefined;
    if (client) destroy(client);
    const wasUp = this.up;
    this.up = false;
    this.code = code;
    this.reason = reason;
    this.retryMs = Math.min(RECONNECT_MAX_MS, Math.max(RECONNECT_MIN_MS, this.retryMs * 2));
    this.nextAttemptAt = Date.now() + (wasUp ? 0 : this.retryMs);
    for (const l of this.listeners) l(false, reason);
  }

  /** One read, queued behind the link's other requests. Never throws. */
  read(unitId: number, table: Fc, start: number, count: number, timeoutMs: number): Promise<ReadResult> {
    const run = async (): Promise<ReadResult> => {
      const client = this.client;
      if (!client || !this.up) return { ok: false, failure: { kind: 'link', code: this.code, message: this.reason } };
      client.setID(unitId);
      client.setTimeout(timeoutMs);
      try {
        const r =
          table === 'holding'
            ? await client.readHoldingRegisters(start, count)
            : table === 'input'
              ? await client.readInputRegisters(start, count)
              : table === 'coil'
                ? await client.readCoils(start, count)
                : await client.readDiscreteInputs(start, count);
        this.lastAnswerAt = Date.now();
        if (table === 'coil' || table === 'discrete-input') return { ok: true, buffer: r.buffer, bits: (r.data as boolean[]).slice(0, count) };
        return { ok: true, buffer: r.buffer };
      } catch (err) {
        const e = err as Error & { modbusCode?: number; errno?: string; name?: string };
        if (typeof e.modbusCode === 'number') {
          this.lastAnswerAt = Date.now();
          return { ok: false, failure: { kind: 'exception', code: e.modbusCode, message: e.message } };
        }
        if (e.errno === 'ETIMEDOUT' || e.name === 'TransactionTimedOutError') {
          if (Date.now() - this.lastAnswerAt > this.watchdogMs && this.client === client) {
            this.down('no-answer', `no answer from ${this.where()} for ${Math.round((Date.now() - this.lastAnswerAt) / 1000)} s: connection rebuilt`);
          }
          return { ok: false, failure: { kind: 'timeout', message: `timeout after ${timeoutMs} ms` } };
        }
        if (this.client === client) this.down('disconnected', `${e.message} (${this.where()})`);
        return { ok: false, failure: { kind: 'link', code: this.code, message: this.reason } };
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p;
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    this.up = false;
    if (!client) return;
    await Promise.race([new Promise<void>((r) => client.close(() => r())), new Promise<void>((r) => setTimeout(r, CLOSE_TIMEOUT_MS).unref())]);
    destroy(client);
  }
}

function destroy(client: ModbusRTU): void {
  try {
    client.destroy(() => {});
  } catch {
    // already closed
  }
}

/** Links shared between drivers: one per TCP device, one per serial line (reference counted). */
const LINKS = new Map<string, ModbusLink>();

export function acquireLink(key: string, device: ModbusDevice): ModbusLink {
  let link = LINKS.get(key);
  if (!link) {
    link = new ModbusLink(key, device);
    LINKS.set(key, link);
  }
  link.users++;
  return link;
}

export async function releaseLink(link: ModbusLink): Promise<void> {
  link.users--;
  if (link.users > 0) return;
  LINKS.delete(link.key);
  await link.close();
}
