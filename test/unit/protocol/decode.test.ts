import { describe, expect, it } from 'vitest';
import {
  MAX_MESSAGE_BYTES,
  REJECT_CODES,
  decodePayload,
  parseDataMessage,
  parseMetaMessage,
  parseStatusMessage,
  utf8ByteLength,
  type RejectCode,
  type ValidationResult,
} from '@park/protocol';
import { NOW, expectAccepted, expectRejected, jsonError } from './helpers.js';

type Parser = (input: Uint8Array | string, expectedGateway?: string, nowMs?: number) => ValidationResult<unknown>;
const parsers: [string, Parser][] = [
  ['data', parseDataMessage],
  ['meta', parseMetaMessage],
  ['status', parseStatusMessage],
];

const bytes = (s: string) => new TextEncoder().encode(s);

describe('payload decoding (every kind)', () => {
  const cases: [string, Uint8Array | string, RejectCode, string][] = [
    ['an empty string', '', 'empty', 'message: empty payload'],
    ['zero bytes (a cleared retained topic)', new Uint8Array(0), 'empty', 'message: empty payload'],
    ['text that is not JSON', 'hello', 'not-json', `not JSON: ${jsonError('hello')}`],
    ['bytes that are not JSON', bytes('{"gateway":'), 'not-json', `not JSON: ${jsonError('{"gateway":')}`],
    ['NaN written out', '{"v":NaN}', 'not-json', `not JSON: ${jsonError('{"v":NaN}')}`],
    ['a trailing comma', '{"a":1,}', 'not-json', `not JSON: ${jsonError('{"a":1,}')}`],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d]), 'not-json', 'not JSON: invalid UTF-8'],
    ['one byte too many', new Uint8Array(MAX_MESSAGE_BYTES + 1).fill(0x20), 'too-large', `message: ${MAX_MESSAGE_BYTES + 1} bytes exceed the maximum of ${MAX_MESSAGE_BYTES}`],
    ['a string one byte too long', ' '.repeat(MAX_MESSAGE_BYTES + 1), 'too-large', `message: ${MAX_MESSAGE_BYTES + 1} bytes exceed the maximum of ${MAX_MESSAGE_BYTES}`],
    // Fewer UTF-16 units than the limit, more UTF-8 bytes: the limit is in bytes.
    ['a string short in characters but long in bytes', '液'.repeat(Math.floor(MAX_MESSAGE_BYTES / 3) + 1), 'too-large', `message: ${(Math.floor(MAX_MESSAGE_BYTES / 3) + 1) * 3} bytes exceed the maximum of ${MAX_MESSAGE_BYTES}`],
  ];

  for (const [kind, parse] of parsers) {
    it.each(cases)(`${kind}: %s`, (_name, input, code, reason) => {
      expectRejected(parse(input, 'gw-a', NOW), code, reason);
    });
  }

  it('accepts exactly the maximum number of bytes', () => {
    const text = `"${'x'.repeat(MAX_MESSAGE_BYTES - 2)}"`;
    expect(expectAccepted(decodePayload(bytes(text)))).toHaveLength(MAX_MESSAGE_BYTES - 2);
    expect(expectAccepted(decodePayload(text))).toHaveLength(MAX_MESSAGE_BYTES - 2);
  });

  it('strips a UTF-8 byte order mark', () => {
    expect(expectAccepted(decodePayload(new Uint8Array([0xef, 0xbb, 0xbf, 0x31])))).toBe(1);
  });

  it('rejects something that is neither bytes nor a string', () => {
    expectRejected(decodePayload(42 as unknown as string), 'not-json', 'not JSON: expected bytes or a string, got number');
  });

  it('counts UTF-8 bytes', () => {
    expect(utf8ByteLength('a')).toBe(1);
    expect(utf8ByteLength('é')).toBe(2);
    expect(utf8ByteLength('液')).toBe(3);
    expect(utf8ByteLength('😀')).toBe(4);
    expect(utf8ByteLength('\ud800')).toBe(3); // a lone surrogate becomes U+FFFD
    for (const s of ['a.hs01', 'T101 液氯储罐液位', '😀x😀', 'é\u0000']) expect(utf8ByteLength(s)).toBe(bytes(s).length);
  });

  it('has a closed set of reject codes', () => {
    expect(REJECT_CODES).toEqual(['too-large', 'not-json', 'empty', 'schema', 'timestamp', 'gateway-mismatch']);
  });
});
