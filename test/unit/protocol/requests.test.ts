import { describe, expect, it } from 'vitest';
import {
  MAX_COMMENT_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_SHELVE_MINUTES,
  MAX_SHELVE_REASON_LENGTH,
  MAX_USERNAME_LENGTH,
  MIN_SHELVE_MINUTES,
  isRole,
  validateAlarmAckBody,
  validateAlarmAckRequest,
  validateAlarmShelveBody,
  validateAlarmShelveRequest,
  validateLoginRequest,
  type ValidationResult,
} from '@park/protocol';
import { expectAccepted, expectRejected } from './helpers.js';

type Validator = (x: unknown) => ValidationResult<unknown>;
const MINUTES = `an integer number of minutes from ${MIN_SHELVE_MINUTES} to ${MAX_SHELVE_MINUTES}`;

describe('client requests: accepted', () => {
  const cases: [string, Validator, unknown][] = [
    ['ack without comment', validateAlarmAckRequest, { id: 'a.hs01.t101.level:hh' }],
    ['ack with comment', validateAlarmAckRequest, { id: 'a.hs01.t101.level:hh', comment: '已通知现场 / field informed' }],
    ['ack with empty comment', validateAlarmAckRequest, { id: 'x', comment: '' }],
    ['ack with the longest comment', validateAlarmAckRequest, { id: 'x', comment: 'c'.repeat(MAX_COMMENT_LENGTH) }],
    ['shelve, shortest', validateAlarmShelveRequest, { id: 'x', minutes: MIN_SHELVE_MINUTES, reason: 'sensor replaced' }],
    ['shelve, longest', validateAlarmShelveRequest, { id: 'x', minutes: MAX_SHELVE_MINUTES, reason: 'r'.repeat(MAX_SHELVE_REASON_LENGTH) }],
    ['REST ack body, empty', validateAlarmAckBody, {}],
    ['REST ack body', validateAlarmAckBody, { comment: 'ok' }],
    ['REST shelve body', validateAlarmShelveBody, { minutes: 30, reason: 'calibration' }],
    ['login', validateLoginRequest, { username: 'operator', password: 'demo-operator' }],
  ];

  it.each(cases)('%s', (_name, validate, x) => {
    expect(expectAccepted(validate(x))).toBe(x);
  });
});

describe('client requests: rejected', () => {
  const cases: [string, Validator, unknown, string][] = [
    ['ack not an object', validateAlarmAckRequest, 'a:hh', 'message: expected an object, got string "a:hh"'],
    ['ack null', validateAlarmAckRequest, null, 'message: expected an object, got null'],
    ['ack id missing', validateAlarmAckRequest, { comment: 'x' }, 'id: missing'],
    ['ack id a number', validateAlarmAckRequest, { id: 5 }, 'id: expected a string, got number 5'],
    ['ack id with a slash', validateAlarmAckRequest, { id: '../x' }, 'id: invalid alarm id "../x" (expected ^[A-Za-z0-9][A-Za-z0-9_.:-]{0,199}$)'],
    ['ack comment a number', validateAlarmAckRequest, { id: 'x', comment: 1 }, 'comment: expected a string, got number 1'],
    ['ack comment null', validateAlarmAckRequest, { id: 'x', comment: null }, 'comment: expected a string, got null'],
    ['ack comment too long', validateAlarmAckRequest, { id: 'x', comment: 'c'.repeat(MAX_COMMENT_LENGTH + 1) }, `comment: ${MAX_COMMENT_LENGTH + 1} characters exceed the maximum of ${MAX_COMMENT_LENGTH}`],
    ['ack unknown field', validateAlarmAckRequest, { id: 'x', user: 'admin' }, 'unknown field "user" at top level'],
    ['shelve id missing', validateAlarmShelveRequest, { minutes: 5, reason: 'r' }, 'id: missing'],
    ['shelve minutes missing', validateAlarmShelveRequest, { id: 'x', reason: 'r' }, 'minutes: missing'],
    ['shelve minutes 0', validateAlarmShelveRequest, { id: 'x', minutes: MIN_SHELVE_MINUTES - 1, reason: 'r' }, `minutes: expected ${MINUTES}, got number ${MIN_SHELVE_MINUTES - 1}`],
    ['shelve minutes too many', validateAlarmShelveRequest, { id: 'x', minutes: MAX_SHELVE_MINUTES + 1, reason: 'r' }, `minutes: expected ${MINUTES}, got number ${MAX_SHELVE_MINUTES + 1}`],
    ['shelve minutes a fraction', validateAlarmShelveRequest, { id: 'x', minutes: 1.5, reason: 'r' }, `minutes: expected ${MINUTES}, got number 1.5`],
    ['shelve minutes a string', validateAlarmShelveRequest, { id: 'x', minutes: '30', reason: 'r' }, `minutes: expected ${MINUTES}, got string "30"`],
    ['shelve minutes NaN', validateAlarmShelveRequest, { id: 'x', minutes: NaN, reason: 'r' }, `minutes: expected ${MINUTES}, got NaN`],
    ['shelve reason missing', validateAlarmShelveRequest, { id: 'x', minutes: 5 }, 'reason: missing'],
    ['shelve reason empty', validateAlarmShelveRequest, { id: 'x', minutes: 5, reason: '' }, 'reason: must not be empty'],
    ['shelve reason blank', validateAlarmShelveRequest, { id: 'x', minutes: 5, reason: ' \t ' }, 'reason: must not be blank'],
    ['shelve reason too long', validateAlarmShelveRequest, { id: 'x', minutes: 5, reason: 'r'.repeat(MAX_SHELVE_REASON_LENGTH + 1) }, `reason: ${MAX_SHELVE_REASON_LENGTH + 1} characters exceed the maximum of ${MAX_SHELVE_REASON_LENGTH}`],
    ['shelve unknown field', validateAlarmShelveRequest, { id: 'x', minutes: 5, reason: 'r', until: 0 }, 'unknown field "until" at top level'],
    ['REST ack body with an id', validateAlarmAckBody, { id: 'x' }, 'unknown field "id" at top level'],
    ['REST ack body an array', validateAlarmAckBody, [], 'message: expected an object, got array'],
    ['REST shelve body without reason', validateAlarmShelveBody, { minutes: 5 }, 'reason: missing'],
    ['login username missing', validateLoginRequest, { password: 'p' }, 'username: missing'],
    ['login username empty', validateLoginRequest, { username: '', password: 'p' }, 'username: must not be empty'],
    ['login username too long', validateLoginRequest, { username: 'u'.repeat(MAX_USERNAME_LENGTH + 1), password: 'p' }, `username: ${MAX_USERNAME_LENGTH + 1} characters exceed the maximum of ${MAX_USERNAME_LENGTH}`],
    ['login password missing', validateLoginRequest, { username: 'u' }, 'password: missing'],
    ['login password a number (not quoted back)', validateLoginRequest, { username: 'u', password: 123456 }, 'password: expected a string, got number'],
    ['login password null', validateLoginRequest, { username: 'u', password: null }, 'password: expected a string, got null'],
    ['login password too long', validateLoginRequest, { username: 'u', password: 'p'.repeat(MAX_PASSWORD_LENGTH + 1) }, `password: ${MAX_PASSWORD_LENGTH + 1} characters exceed the maximum of ${MAX_PASSWORD_LENGTH}`],
    ['login unknown field', validateLoginRequest, { username: 'u', password: 'p', role: 'admin' }, 'unknown field "role" at top level'],
  ];

  it.each(cases)('%s', (_name, validate, x, reason) => {
    expectRejected(validate(x), 'schema', reason);
  });
});

describe('roles', () => {
  it.each([
    ['viewer', true],
    ['operator', true],
    ['commander', true],
    ['engineer', true],
    ['admin', true],
    ['root', false],
    ['Admin', false],
    [1, false],
  ])('%j: %s', (x, ok) => {
    expect(isRole(x)).toBe(ok);
  });
});
