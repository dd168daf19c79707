import type { ModbusAddress } from '@park/protocol/config';
import { isBitTable, TABLE_SHORT, tagWidth, type ModbusSettings, type ModbusTag } from './config.js';

/**
 * Request planning: the tags of one poll group are coalesced into block reads
 * per table. Tags sorted by address join the current block while the block
 * stays within the per-read maximum (125 registers / 2000 bits by default)
 * and the unused gap before the tag is at most `maxGap` registers (×16 for
 * bits). Overlapping tags (two bits of one register) share a block.
 */

export interface PlannedTag {
  tag: ModbusTag;
  /** Index of the tag in the device's list (stable id for the driver's state). */
  index: number;
  table: ModbusAddress['table'];
  start: number;
  width: number;
}

export interface Block {
  table: ModbusAddress['table'];
  start: number;
  count: number;
  tags: PlannedTag[];
}

export interface PollGroup {
  intervalMs: number;
  blocks: Block[];
}

export function plannedTag(tag: ModbusTag, index: number): PlannedTag {
  return { tag, index, table: tag.address.table, start: tag.address.address, width: tagWidth(tag.address) };
}

/** Coalesces tags (any tables) into blocks; `isolated` tags always get a block of their own. */
export function planBlocks(tags: readonly PlannedTag[], s: Pick<ModbusSettings, 'maxGap' | 'maxRegistersPerRead' | 'maxBitsPerRead'>, isolated: ReadonlySet<number> = new Set()): Block[] {
  const blocks: Block[] = [];
  const byTable = new Map<ModbusAddress['table'], PlannedTag[]>();
  for (const t of tags) {
    const list = byTable.get(t.table) ?? [];
    list.push(t);
    byTable.set(t.table, list);
  }
  for (const table of ['coil', 'discrete-input', 'holding', 'input'] as const) {
    const list = byTable.get(table);
    if (!list) continue;
    list.sort((a, b) => a.start - b.start || a.width - b.width);
    const bits = isBitTable(table);
    const maxCount = bits ? s.maxBitsPerRead : s.maxRegistersPerRead;
    const maxGap = bits ? s.maxGap * 16 : s.maxGap;
    let current: Block | undefined;
    for (const t of list) {
      const end = t.start + t.width; // exclusive
      if (isolated.has(t.index)) {
        blocks.push({ table, start: t.start, count: t.width, tags: [t] });
        current = undefined; // no block spans an isolated address
        continue;
      }
      if (current) {
        const curEnd = current.start + current.count;
        const gap = t.start - curEnd;
        const newCount = Math.max(curEnd, end) - current.start;
        if (gap <= maxGap && newCount <= maxCount) {
          current.count = newCount;
          current.tags.push(t);
          continue;
        }
      }
      current = { table, start: t.start, count: t.width, tags: [t] };
      blocks.push(current);
    }
  }
  return blocks;
}

/** Tags grouped by poll interval (the tag's own or the device's), each group planned into blocks. */
export function planGroups(tags: readonly ModbusTag[], s: ModbusSettings): PollGroup[] {
  const byInterval = new Map<number, PlannedTag[]>();
  tags.forEach((tag, index) => {
    const interval = tag.address.pollIntervalMs ?? s.pollIntervalMs;
    const list = byInterval.get(interval) ?? [];
    list.push(plannedTag(tag, index));
    byInterval.set(interval, list);
  });
  return [...byInterval.entries()].sort((a, b) => a[0] - b[0]).map(([intervalMs, list]) => ({ intervalMs, blocks: planBlocks(list, s) }));
}

/** `hr 0[12] (4 tags)`: one block as logged at start. */
export function describeBlock(b: Block): string {
  return `${TABLE_SHORT[b.table]} ${b.start}[${b.count}] (${b.tags.length} tag${b.tags.length === 1 ? '' : 's'})`;
}

/**
 * Splits a block refused with "illegal data address" into two halves by tag,
 * each re-coalesced, so the refused register ends up isolated after a few
 * rounds. A single-tag block cannot be split (returns it alone).
 */
export function splitBlock(b: Block, s: Pick<ModbusSettings, 'maxGap' | 'maxRegistersPerRead' | 'maxBitsPerRead'>): Block[] {
  if (b.tags.length <= 1) return [b];
  const mid = Math.ceil(b.tags.length / 2);
  return [...planBlocks(b.tags.slice(0, mid), { ...s, maxGap: s.maxGap }), ...planBlocks(b.tags.slice(mid), s)];
}
