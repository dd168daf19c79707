import { expect } from 'vitest';
import type { RejectCode, ValidationResult } from '@park/protocol';

/** A fixed receiver clock for every protocol test: 2025-01-15T08:00:00Z. */
export const NOW = Date.UTC(2025, 0, 15, 8, 0, 0);

export function expectAccepted<T>(result: ValidationResult<T>): T {
  if (!result.ok) expect.fail(`rejected: [${result.code}] ${result.reason}`);
  return result.value;
}

export function expectRejected<T>(result: ValidationResult<T>, code: RejectCode, reason: string): void {
  expect(result).toEqual({ ok: false, code, reason });
}

/** The message JSON.parse gives for `text` on this runtime (its wording varies between V8 versions). */
export function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`${text} is valid JSON`);
}

/** A deep copy that keeps NaN, Infinity and undefined (unlike a JSON round trip). */
export function clone<T>(x: T): T {
  return structuredClone(x);
}
