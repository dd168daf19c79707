/**
 * Bytes → JSON value, with the size check before JSON.parse. Shared first
 * step of every `parse…Message`.
 */

import { MAX_MESSAGE_BYTES } from './limits.js';
import { reject, type ValidationResult } from './result.js';

// One decoder for the process; `fatal` makes invalid UTF-8 an error instead
// of silently turning it into U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 length of a string, in bytes (lone surrogates count as U+FFFD, 3 bytes). */
export function utf8ByteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

function tooLarge(bytes: number) {
  return reject('too-large', `message: ${bytes} bytes exceed the maximum of ${MAX_MESSAGE_BYTES}`);
}

/**
 * Decodes an MQTT payload (bytes, or an already decoded string) into a JSON
 * value. Rejects: `empty` for a zero-length payload (the way a retained topic
 * is cleared), `too-large` past MAX_MESSAGE_BYTES, `not-json` for invalid
 * UTF-8 or JSON. Never throws.
 */
export function decodePayload(input: Uint8Array | string): ValidationResult<unknown> {
  let text: string;
  if (typeof input === 'string') {
    if (input.length === 0) return reject('empty', 'message: empty payload');
    // Every UTF-16 unit is at least one byte and at most three.
    if (input.length > MAX_MESSAGE_BYTES) return tooLarge(utf8ByteLength(input));
    if (input.length * 3 > MAX_MESSAGE_BYTES) {
      const bytes = utf8ByteLength(input);
      if (bytes > MAX_MESSAGE_BYTES) return tooLarge(bytes);
    }
    text = input;
  } else if (input instanceof Uint8Array) {
    if (input.byteLength === 0) return reject('empty', 'message: empty payload');
    if (input.byteLength > MAX_MESSAGE_BYTES) return tooLarge(input.byteLength);
    try {
      text = utf8.decode(input);
    } catch {
      return reject('not-json', 'not JSON: invalid UTF-8');
    }
  } else {
    return reject('not-json', `not JSON: expected bytes or a string, got ${input === null ? 'null' : typeof input}`);
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (e) {
    return reject('not-json', `not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}
