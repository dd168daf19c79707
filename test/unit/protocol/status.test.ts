import { describe, expect, it } from 'vitest';
import {
  MAX_COUNTERS_PER_STATUS,
  MAX_DEVICE_STATUS_LENGTH,
  MAX_DEVICES_PER_STATUS,
  MAX_FUTURE_SKEW_MS,
  MAX_VERSION_LENGTH,
  isDeviceStatus,
  parseStatusMessage,
  validateStatusMessage,
  type RejectCode,
  type StatusMessage,
} from '@park/protocol';
import { NOW, clone, expectAccepted, expectRejected } from './helpers.js';

function good(): StatusMessage {
  return {
    gateway: 'gw-a',
    state: 'online',
    ts: NOW,
    version: '0.1.0',
    devices: { 'opcua-tankfarm': 'connected', 'plc-b': 'error: ECONNREFUSED 10.0.0.5:502', 'rtu.3': 'connecting' },
    counters: { published: 1042, outboxDropped: 0, modbus_timeouts: 3 },
  };
}

type Message = Record<string, unknown> & { devices: Record<string, unknown>; counters: Record<string, unknown> };
type Edit = (m: Message) => unknown;

function apply(edit: Edit): unknown {
  const m = clone(good()) as unknown as Message;
  const out = edit(m);
  return out === undefined ? m : out;
}

function manyEntries(n: number, value: unknown): Record<string, unknown> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`d${i}`, value]));
}

describe('status messages: accepted', () => {
  const cases: [string, Edit][] = [
    ['the example', (m) => m],
    ['offline (the last will) with no devices and no counters', () => ({ gateway: 'gw-a', state: 'offline', ts: NOW - 86_400_000, version: '0.1.0', devices: {} })],
    ['the most devices', (m) => ({ ...m, devices: manyEntries(MAX_DEVICES_PER_STATUS, 'connected') })],
    ['the most counters', (m) => ({ ...m, counters: manyEntries(MAX_COUNTERS_PER_STATUS, 0) })],
    ['the longest device error', (m) => ({ ...m, devices: { d: `error: ${'x'.repeat(MAX_DEVICE_STATUS_LENGTH - 7)}` } })],
    ['ts at the future skew limit', (m) => ({ ...m, ts: NOW + MAX_FUTURE_SKEW_MS })],
  ];

  it.each(cases)('%s', (_name, edit) => {
    const m = apply(edit);
    expect(expectAccepted(validateStatusMessage(m, 'gw-a', NOW))).toBe(m);
    expectAccepted(parseStatusMessage(JSON.stringify(m), 'gw-a', NOW));
  });
});

describe('status messages: rejected', () => {
  const cases: [string, Edit, RejectCode, string][] = [
    ['an array', () => [], 'schema', 'message: expected an object, got array'],
    ['an unknown field', (m) => ({ ...m, uptime: 5 }), 'schema', 'unknown field "uptime" at top level'],
    ['gateway missing', (m) => void delete m.gateway, 'schema', 'gateway: missing'],
    ['gateway not the topic one', (m) => ({ ...m, gateway: 'gw-b' }), 'gateway-mismatch', 'gateway: "gw-b" does not match the topic\'s gateway "gw-a"'],
    ['state missing', (m) => void delete m.state, 'schema', 'state: missing'],
    ['state unknown', (m) => ({ ...m, state: 'up' }), 'schema', 'state: unknown state "up" (expected online or offline)'],
    ['state a boolean', (m) => ({ ...m, state: true }), 'schema', 'state: expected a state (online or offline), got boolean true'],
    ['ts missing', (m) => void delete m.ts, 'schema', 'ts: missing'],
    ['ts a string', (m) => ({ ...m, ts: '1' }), 'schema', 'ts: expected an integer of epoch milliseconds, got string "1"'],
    ['ts too far ahead', (m) => ({ ...m, ts: NOW + MAX_FUTURE_SKEW_MS + 1 }), 'timestamp', `ts: ${NOW + MAX_FUTURE_SKEW_MS + 1} is ${MAX_FUTURE_SKEW_MS + 1} ms ahead of the receiver's clock (at most ${MAX_FUTURE_SKEW_MS} allowed)`],
    ['version missing', (m) => void delete m.version, 'schema', 'version: missing'],
    ['version a number', (m) => ({ ...m, version: 1 }), 'schema', 'version: expected a string, got number 1'],
    ['version empty', (m) => ({ ...m, version: '' }), 'schema', 'version: must not be empty'],
    ['version too long', (m) => ({ ...m, version: 'v'.repeat(MAX_VERSION_LENGTH + 1) }), 'schema', `version: ${MAX_VERSION_LENGTH + 1} characters exceed the maximum of ${MAX_VERSION_LENGTH}`],
    ['devices missing', (m) => void delete (m as Record<string, unknown>).devices, 'schema', 'devices: missing'],
    ['devices an array', (m) => ({ ...m, devices: [] }), 'schema', 'devices: expected an object, got array'],
    ['devices null', (m) => ({ ...m, devices: null }), 'schema', 'devices: expected an object, got null'],
    ['a device id in upper case', (m) => ({ ...m, devices: { 'PLC B': 'connected' } }), 'schema', 'devices: invalid device id "PLC B" (expected ^[a-z0-9][a-z0-9_.-]{0,63}$)'],
    ['a device status unknown', (m) => ({ ...m, devices: { 'plc-b': 'down' } }), 'schema', 'devices["plc-b"]: expected "connected", "connecting" or "error: <reason>", got string "down"'],
    ['a device error without reason', (m) => ({ ...m, devices: { 'plc-b': 'error: ' } }), 'schema', 'devices["plc-b"]: expected "connected", "connecting" or "error: <reason>", got string "error: "'],
    ['a device status a number', (m) => ({ ...m, devices: { 'plc-b': 1 } }), 'schema', 'devices["plc-b"]: expected "connected", "connecting" or "error: <reason>", got number 1'],
    ['a device status null', (m) => ({ ...m, devices: { 'plc-b': null } }), 'schema', 'devices["plc-b"]: expected "connected", "connecting" or "error: <reason>", got null'],
    ['a device error too long', (m) => ({ ...m, devices: { d: `error: ${'x'.repeat(MAX_DEVICE_STATUS_LENGTH - 6)}` } }), 'schema', `devices["d"]: ${MAX_DEVICE_STATUS_LENGTH + 1} characters exceed the maximum of ${MAX_DEVICE_STATUS_LENGTH}`],
    ['too many devices', (m) => ({ ...m, devices: manyEntries(MAX_DEVICES_PER_STATUS + 1, 'connected') }), 'too-large', `devices: ${MAX_DEVICES_PER_STATUS + 1} devices exceed the maximum of ${MAX_DEVICES_PER_STATUS}`],
    ['counters an array', (m) => ({ ...m, counters: [1] }), 'schema', 'counters: expected an object, got array'],
    ['counters null', (m) => ({ ...m, counters: null }), 'schema', 'counters: expected an object, got null'],
    ['a counter negative', (m) => ({ ...m, counters: { published: -1 } }), 'schema', 'counters["published"]: expected a non-negative safe integer, got number -1'],
    ['a counter a fraction', (m) => ({ ...m, counters: { published: 0.5 } }), 'schema', 'counters["published"]: expected a non-negative safe integer, got number 0.5'],
    ['a counter a string', (m) => ({ ...m, counters: { published: '5' } }), 'schema', 'counters["published"]: expected a non-negative safe integer, got string "5"'],
    ['a counter NaN', (m) => ({ ...m, counters: { published: NaN } }), 'schema', 'counters["published"]: expected a non-negative safe integer, got NaN'],
    ['a counter name with a dash', (m) => ({ ...m, counters: { 'out-box': 1 } }), 'schema', 'counters: invalid counter name "out-box" (expected ^[A-Za-z][A-Za-z0-9_]{0,63}$)'],
    ['too many counters', (m) => ({ ...m, counters: manyEntries(MAX_COUNTERS_PER_STATUS + 1, 0) }), 'too-large', `counters: ${MAX_COUNTERS_PER_STATUS + 1} counters exceed the maximum of ${MAX_COUNTERS_PER_STATUS}`],
  ];

  it.each(cases)('%s', (_name, edit, code, reason) => {
    expectRejected(validateStatusMessage(apply(edit), 'gw-a', NOW), code, reason);
  });
});

describe('isDeviceStatus', () => {
  it.each([
    ['connected', true],
    ['connecting', true],
    ['error: timeout', true],
    ['error:', false],
    ['error: ', false],
    ['Connected', false],
    ['disconnected', false],
  ])('%j: %s', (s, ok) => {
    expect(isDeviceStatus(s)).toBe(ok);
  });
});
