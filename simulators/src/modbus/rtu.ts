import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import { SerialPort } from 'serialport';
import type { ModbusBank } from './bank.js';

/**
 * Modbus RTU over a pseudo-terminal pair made by socat:
 *
 *   socat pty,raw,echo=0,link=<gateway path> pty,raw,echo=0,link=<gateway path>.sim
 *
 * The gateway opens `<gateway path>` like a serial port; the simulators
 * answer on the `.sim` end with RTU framing: unit id, PDU, CRC-16 (low byte
 * first). A frame with a bad CRC is dropped, a request to a unit id that is
 * not on this line (or offline) gets no answer, unit 0 is a broadcast
 * (writes applied, no answer).
 */

const LINK_WAIT_MS = 5000;
/** A partial frame older than this is line noise and is dropped. */
const PARTIAL_FRAME_MS = 100;
/** Silence that ends a frame whose length the function code does not give. */
const SILENCE_MS = 15;

export function crc16(buf: Uint8Array, length = buf.length): number {
  let crc = 0xffff;
  for (let i = 0; i < length; i++) {
    crc ^= buf[i]!;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

export function withCrc(frame: Buffer): Buffer {
  const out = Buffer.alloc(frame.length + 2);
  frame.copy(out);
  out.writeUInt16LE(crc16(frame), frame.length);
  return out;
}

/** Length of a request frame from its first bytes, or undefined when unknown (yet). */
export function requestLength(buf: Buffer): number | undefined {
  const fc = buf[1];
  if (fc === undefined) return undefined;
  if (fc >= 1 && fc <= 6) return 8;
  if (fc === 15 || fc === 16) return buf.length >= 7 ? 9 + buf[6]! : undefined;
  return undefined;
}

export interface RtuLine {
  /** The gateway's end of the line. */
  gatewayPath: string;
  /** The simulators' end. */
  simPath: string;
  requests(): number;
  close(): Promise<void>;
}

export async function startRtuLine(bank: ModbusBank, options: { gatewayPath: string; baudRate?: number; logger?: Logger }): Promise<RtuLine> {
  const gatewayPath = path.resolve(options.gatewayPath);
  const simPath = `${gatewayPath}.sim`;
  mkdirSync(path.dirname(gatewayPath), { recursive: true });
  const socat: ChildProcess = spawn('socat', [`pty,raw,echo=0,link=${simPath}`, `pty,raw,echo=0,link=${gatewayPath}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  socat.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => socat.once('exit', () => resolve()));
  let spawnError: Error | undefined;
  socat.once('error', (err) => (spawnError = err));
  const killSocat = async (): Promise<void> => {
    if (socat.exitCode === null && socat.signalCode === null) {
      socat.kill('SIGTERM');
      const force = setTimeout(() => socat.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(force);
    }
  };

  const deadline = Date.now() + LINK_WAIT_MS;
  while (!(existsSync(simPath) && existsSync(gatewayPath))) {
    if (spawnError || socat.exitCode !== null || Date.now() > deadline) {
      await killSocat();
      const why = spawnError ? `${spawnError.message} (install it with: apt-get install -y socat)` : stderr.trim() || 'the links did not appear';
      throw new Error(`modbus rtu: socat could not make the serial pair at ${gatewayPath}: ${why}`);
    }
    await delay(20);
  }

  const port = new SerialPort({ path: simPath, baudRate: options.baudRate ?? 9600, autoOpen: false });
  try {
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  } catch (err) {
    await killSocat();
    throw new Error(`modbus rtu: cannot open ${simPath}: ${(err as Error).message}`);
  }
  port.on('error', (err) => options.logger?.warn({ err: err.message, path: simPath }, 'modbus rtu: serial error'));

  let requests = 0;
  let pending = Buffer.alloc(0);
  let lastByteAt = 0;
  let silenceTimer: NodeJS.Timeout | undefined;

  const answer = (frame: Buffer): void => {
    const unitId = frame[0]!;
    const pdu = frame.subarray(1, frame.length - 2);
    if (unitId === 0) {
      // Broadcast: writes are applied by every unit, nobody answers.
      for (const id of bank.unitIds) bank.answer(id, pdu);
      return;
    }
    const response = bank.answer(unitId, pdu);
    if (response === 'silent' || response === 'unknown') return;
    requests++;
    port.write(withCrc(Buffer.concat([Buffer.from([unitId]), response])));
  };

  const parse = (atSilence: boolean): void => {
    while (pending.length >= 4) {
      const length = requestLength(pending) ?? (atSilence ? pending.length : undefined);
      if (length === undefined || pending.length < length) return;
      const frame = pending.subarray(0, length);
      pending = pending.subarray(length);
      if (crc16(frame, length - 2) !== frame.readUInt16LE(length - 2)) {
        // Bad CRC: a real slave ignores the frame; drop what is buffered and resynchronise on the next silence.
        pending = Buffer.alloc(0);
        return;
      }
      answer(Buffer.from(frame));
    }
    if (atSilence) pending = Buffer.alloc(0);
  };

  port.on('data', (chunk: Buffer) => {
    const now = Date.now();
    if (pending.length > 0 && now - lastByteAt > PARTIAL_FRAME_MS) pending = Buffer.alloc(0);
    lastByteAt = now;
    pending = Buffer.concat([pending, chunk]);
    parse(false);
    if (silenceTimer) clearTimeout(silenceTimer);
    if (pending.length > 0) {
      silenceTimer = setTimeout(() => parse(true), SILENCE_MS);
      silenceTimer.unref();
    }
  });

  return {
    gatewayPath,
    simPath,
    requests: () => requests,
    close: async () => {
      if (silenceTimer) clearTimeout(silenceTimer);
      if (port.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
      await killSocat();
    },
  };
}
