import type { DeviceConfig } from '@park/protocol/config';
import type { Sample } from '../../core/types.js';
import { DriverConfigError, type Driver, type DriverContext, type DriverPlan } from '../driver.js';
import { isBitTable, linkKey, modbusSettings, TABLE_SHORT, type ModbusDevice, type ModbusSettings } from './config.js';
import { decodeRegisters, scaler, type Scaler } from './decode.js';
import { acquireLink, ModbusLink, releaseLink, type ReadFailure } from './link.js';
import { describeBlock, planGroups, splitBlock, type Block, type PollGroup } from './plan.js';

/**
 * Modbus TCP and RTU: the glue between plan, link and decode. One driver per
 * device (unit). A poll cycle reads the group's blocks one after another on
 * the device's link; the outcome of each block becomes one sample per tag:
 *
 * - an exception marks exactly the block's tags bad with
 *   `modbus-exception-N`; "illegal data address" (2) on a multi-tag block
 *   splits it until the refused tag is alone, and the plan keeps the split;
 * - a timeout is retried `retries` times; if still unanswered, the rest of
 *   the cycle is skipped (the unit is not answering) and every tag of the
 *   group is bad with `timeout`. After `failedCyclesBeforeBackoff` such cycles
 *   the unit is backed off (`backoffMs`, doubling up to `maxBackoffMs`) so it
 *   does not hold the shared line or connection; then it is probed again;
 * - a link failure makes the group's tags bad with the link's code and the
 *   device state `error: …`; the link reconnects with back-off.
 */

/** Error codes in readings (`err`). */
export const MODBUS_ERR = { timeout: 'timeout', nan: 'not-a-number' } as const;

interface TagRuntime {
  scale: Scaler;
}

class ModbusDriver implements Driver {
  private settings!: ModbusSettings;
  private groups: PollGroup[] = [];
  private runtime: TagRuntime[] = [];
  private link: ModbusLink | undefined;
  private ctx: DriverContext | undefined;
  private failedCycles = 0;
  private backoffUntil = 0;
  private backoffMs = 0;
  private stopped = false;
  private readonly onLink = (up: boolean, reason: string): void => {
    if (!this.ctx) return;
    if (up) this.ctx.state(this.backoffUntil > Date.now() ? this.unitDownStatus() : 'connected');
    else this.ctx.state(`error: ${reason}`);
  };

  constructor(readonly device: ModbusDevice) {}

  init(): DriverPlan {
    this.settings = modbusSettings(this.device);
    this.runtime = this.device.tags.map((t) => ({ scale: scaler(t.address, t.range) }));
    this.groups = planGroups(this.device.tags, this.settings);
    for (const g of this.groups) {
      for (const b of g.blocks) {
        const max = isBitTable(b.table) ? 2000 : 125;
        if (b.count > max) throw new DriverConfigError(`device "${this.device.id}": block ${describeBlock(b)} exceeds ${max}`);
      }
    }
    return {
      groups: this.groups.map((g) => ({ intervalMs: g.intervalMs, description: `${g.blocks.length} block(s) every ${g.intervalMs} ms` })),
      summary: this.groups.map((g) => `unit ${this.settings.unitId} every ${g.intervalMs} ms: ${g.blocks.map(describeBlock).join(', ')}`),
    };
  }

  async start(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    this.link = this.device.protocol === 'modbus-tcp' ? new ModbusLink(linkKey(this.device), this.device) : acquireLink(linkKey(this.device), this.device);
    if (this.device.protocol === 'modbus-tcp') this.link.users = 1;
    // On a shared serial line the slowest unit's settings count: a unit polled rarely with a long
    // timeout must not make the line look half-open to the watchdog of a fast one.
    this.link.watchdogMs = Math.max(this.link.watchdogMs, 3 * this.settings.pollIntervalMs, 3 * this.settings.timeoutMs * (this.settings.retries + 1));
    this.link.listeners.add(this.onLink);
    ctx.state('connecting');
    // A serial line already opened by another unit's driver announces nothing new to this one's
    // listener: take the link's state as it is, or this unit would show `connecting` for good.
    if (await this.link.ensure()) this.onLink(true, 'connected');
    else if (!this.link.up && this.link.reason !== 'connecting') this.onLink(false, this.link.reason);
  }

  private unitDownStatus(): `error: ${string}` {
    const s = Math.round((this.backoffUntil - Date.now()) / 1000);
    return `error: unit ${this.settings.unitId} not answering (timeout); next try in ${s} s`;
  }

  async readGroup(index: number): Promise<void> {
    const group = this.groups[index];
    const ctx = this.ctx;
    const link = this.link;
    if (!group || !ctx || !link || this.stopped) return;
    if (Date.now() < this.backoffUntil) return; // tags stay bad (integrity re-sends them)
    if (!(await link.ensure())) {
      this.emitBad(group.blocks, link.code);
      return;
    }
    let unanswered = false;
    const next: Block[] = [];
    for (const block of group.blocks) {
      if (unanswered || this.stopped) {
        this.emitBad([block], MODBUS_ERR.timeout);
        next.push(block);
        continue;
      }
      const outcome = await this.readBlock(block, next);
      if (outcome === 'timeout') unanswered = true;
      if (outcome === 'link') {
        // The rest of the group has no link either.
        const rest = group.blocks.slice(group.blocks.indexOf(block) + 1);
        this.emitBad(rest, link.code);
        next.push(...rest);
        break;
      }
    }
    group.blocks = next;
    if (unanswered) {
      this.failedCycles++;
      if (this.failedCycles >= this.settings.failedCyclesBeforeBackoff) {
        this.backoffMs = this.backoffMs === 0 ? this.settings.backoffMs : Math.min(this.settings.maxBackoffMs, this.backoffMs * 2);
        this.backoffUntil = Date.now() + this.backoffMs;
        ctx.log.warn({ device: this.device.id, unit: this.settings.unitId, backoffMs: this.backoffMs }, 'modbus unit not answering; backed off');
        // Every tag of the device is bad while it is backed off, not only this group's.
        for (const g of this.groups) if (g !== group) this.emitBad(g.blocks, MODBUS_ERR.timeout);
        ctx.state(this.unitDownStatus());
      } else if (this.failedCycles === 1) {
        ctx.state(`error: unit ${this.settings.unitId} not answering (timeout)`);
      }
    } else if (link.up) {
      if (this.failedCycles > 0 || this.backoffMs > 0) ctx.log.info({ device: this.device.id, unit: this.settings.unitId }, 'modbus unit answering again');
      if (this.failedCycles > 0 || this.backoffMs > 0) ctx.state('connected');
      this.failedCycles = 0;
      this.backoffMs = 0;
      this.backoffUntil = 0;
    }
  }

  /** Reads one block (splitting it on "illegal data address"); pushes the blocks that replace it onto `next`. */
  private async readBlock(block: Block, next: Block[]): Promise<'ok' | 'timeout' | 'link' | 'exception'> {
    const ctx = this.ctx as DriverContext;
    const link = this.link as ModbusLink;
    let failure: ReadFailure | undefined;
    for (let attempt = 0; attempt <= this.settings.retries; attempt++) {
      const r = await link.read(this.settings.unitId, block.table, block.start, block.count, this.settings.timeoutMs);
      if (r.ok) {
        ctx.counters.reads++;
        this.emitBlock(block, r.buffer, r.bits);
        next.push(block);
        return 'ok';
      }
      failure = r.failure;
      ctx.counters.errors++;
      if (failure.kind === 'timeout') ctx.counters.timeouts++;
      if (failure.kind !== 'timeout') break;
    }
    const f = failure as ReadFailure;
    if (f.kind === 'exception' && f.code === 2 && block.tags.length > 1) {
      const parts = splitBlock(block, this.settings);
      ctx.log.info({ device: this.device.id, block: describeBlock(block), into: parts.map(describeBlock) }, 'modbus block refused (illegal data address): split');
      let worst: 'ok' | 'timeout' | 'link' | 'exception' = 'ok';
      for (const part of parts) {
        const o = await this.readBlock(part, next);
        if (o === 'link' || o === 'timeout') {
          // Stop splitting; the remaining parts are bad for this cycle and read again next time.
          const rest = parts.slice(parts.indexOf(part) + 1);
          this.emitBad(rest, o === 'timeout' ? MODBUS_ERR.timeout : link.code);
          next.push(...rest);
          return o;
        }
        if (o === 'exception') worst = 'exception';
      }
      return worst;
    }
    next.push(block);
    if (f.kind === 'exception') {
      if (block.tags.length === 1) ctx.log.debug({ device: this.device.id, block: describeBlock(block), code: f.code }, 'modbus exception');
      this.emitBad([block], `modbus-exception-${f.code}`);
      return 'exception';
    }
    if (f.kind === 'timeout') {
      this.emitBad([block], MODBUS_ERR.timeout);
      return 'timeout';
    }
    this.emitBad([block], f.code);
    return 'link';
  }

  private emitBlock(block: Block, buffer: Buffer, bits: boolean[] | undefined): void {
    const ts = Date.now();
    const out: Sample[] = [];
    for (const pt of block.tags) {
      const offset = pt.start - block.start;
      let raw: number;
      if (bits) raw = bits[offset] ? 1 : 0;
      else raw = decodeRegisters(buffer, pt.tag.address, offset * 2);
      const rt = this.runtime[pt.index] as TagRuntime;
      const v = bits || pt.tag.address.type === 'bit' ? raw : rt.scale(raw);
      if (Number.isFinite(v)) out.push({ id: pt.tag.id, ts, v, q: 'good' });
      else out.push({ id: pt.tag.id, ts, v: Number.NaN, q: 'bad', err: MODBUS_ERR.nan });
    }
    this.ctx?.emit(out);
  }

  private emitBad(blocks: readonly Block[], err: string): void {
    const ts = Date.now();
    const out: Sample[] = [];
    for (const b of blocks) for (const pt of b.tags) out.push({ id: pt.tag.id, ts, v: Number.NaN, q: 'bad', err });
    if (out.length > 0) this.ctx?.emit(out);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const link = this.link;
    if (!link) return;
    link.listeners.delete(this.onLink);
    await releaseLink(link);
  }
}

export function createModbusDriver(device: DeviceConfig): Driver {
  if (device.protocol !== 'modbus-tcp' && device.protocol !== 'modbus-rtu') throw new DriverConfigError(`device "${device.id}": not a Modbus device`);
  return new ModbusDriver(device);
}

/** `modbus:b-plc/1/hr/0`: a tag's address as shown in the catalogue. */
export function modbusSource(device: ModbusDevice, tag: ModbusDevice['tags'][number]): string {
  const a = tag.address;
  return `modbus:${device.id}/${device.unitId}/${TABLE_SHORT[a.table]}/${a.address}${a.type === 'bit' ? `.${a.bit ?? 0}` : ''}`;
}
