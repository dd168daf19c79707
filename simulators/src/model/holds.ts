import type { SimPoint } from './catalog.js';
import { SimError } from './types.js';

/** Values held through the control API until released; they win over the model and every scenario. */
export class HoldTable {
  private readonly held = new Map<string, number>();

  set(point: SimPoint, value: unknown): void {
    this.held.set(point.id, checkHoldValue(point, value));
  }
  get size(): number {
    return this.held.size;
  }
  get(id: string): number | undefined {
    return this.held.get(id);
  }
  has(id: string): boolean {
    return this.held.has(id);
  }
  delete(id: string): void {
    this.held.delete(id);
  }
  clear(): void {
    this.held.clear();
  }
}

/** A held value must be a finite number; discrete points take 0 or 1 (true/false accepted). */
export function checkHoldValue(point: SimPoint, value: unknown): number {
  const v = typeof value === 'boolean' && point.kind === 'discrete' ? Number(value) : value;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new SimError(400, `point "${point.id}": value must be a finite number, got ${describe(value)}`);
  }
  if (point.kind === 'discrete' && v !== 0 && v !== 1) throw new SimError(400, `point "${point.id}" is discrete: value must be 0 or 1, got ${v}`);
  return v;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}…` : v}"`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
