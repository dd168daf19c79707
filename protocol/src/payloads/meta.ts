/** Validation of `{root}/{gateway}/meta` payloads (the tag catalogue). */

import { item, quote } from '../describe.js';
import { badId, checkEnum, checkFields, checkGateway, checkObject, checkString, checkTimestamp, expected } from '../fields.js';
import { DEVICE_ID_PATTERN, TAG_ID_PATTERN, isDeviceId, isTagId } from '../ids.js';
import { decodePayload } from '../json.js';
import { MAX_DESCRIPTION_LENGTH, MAX_SOURCE_LENGTH, MAX_TAGS_PER_META, MAX_UNIT_LENGTH } from '../limits.js';
import { reject, type Rejection, type ValidationResult } from '../result.js';
import { TAG_KINDS, type MetaMessage } from './types.js';

const META_FIELDS = ['gateway', 'ts', 'tags'];
const TAG_FIELDS = ['id', 'device', 'kind', 'unit', 'description', 'source'];

function checkTag(x: unknown, path: string): Rejection | null {
  const notObject = checkObject(x, path);
  if (notObject) return notObject;
  const t = x as Record<string, unknown>;
  return (
    checkFields(t, TAG_FIELDS, path) ??
    (isTagId(t.id) ? null : badId(t.id, `${path}.id`, 'tag id', TAG_ID_PATTERN)) ??
    (isDeviceId(t.device) ? null : badId(t.device, `${path}.device`, 'device id', DEVICE_ID_PATTERN)) ??
    checkEnum(t.kind, `${path}.kind`, 'kind', TAG_KINDS) ??
    checkString(t.unit, `${path}.unit`, 0, MAX_UNIT_LENGTH) ??
    checkString(t.description, `${path}.description`, 0, MAX_DESCRIPTION_LENGTH) ??
    checkString(t.source, `${path}.source`, 1, MAX_SOURCE_LENGTH)
  );
}

function checkTags(x: unknown): Rejection | null {
  if (!Array.isArray(x)) return expected('tags', 'an array', x);
  if (x.length > MAX_TAGS_PER_META) return reject('too-large', `tags: ${x.length} tags exceed the maximum of ${MAX_TAGS_PER_META}`);
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < x.length; i++) {
    const path = item('tags', i);
    const bad = checkTag(x[i], path);
    if (bad) return bad;
    const id = (x[i] as { id: string }).id;
    const first = firstIndex.get(id);
    if (first !== undefined) return reject('schema', `${path}.id: duplicate tag id ${quote(id)} (first at ${item('tags', first)})`);
    firstIndex.set(id, i);
  }
  return null;
}

/**
 * Checks an already parsed meta payload. An empty `tags` list is valid (a
 * gateway with no points configured). Tag ids must be unique.
 */
export function validateMetaMessage(value: unknown, expectedGateway?: string, nowMs: number = Date.now()): ValidationResult<MetaMessage> {
  const notObject = checkObject(value, '');
  if (notObject) return notObject;
  const m = value as Record<string, unknown>;
  const bad = checkFields(m, META_FIELDS, '') ?? checkGateway(m.gateway, expectedGateway) ?? checkTimestamp(m.ts, 'ts', nowMs) ?? checkTags(m.tags);
  return bad ?? { ok: true, value: m as unknown as MetaMessage };
}

/** Decodes and checks a meta payload (bytes or text). Never throws. */
export function parseMetaMessage(input: Uint8Array | string, expectedGateway?: string, nowMs?: number): ValidationResult<MetaMessage> {
  const decoded = decodePayload(input);
  return decoded.ok ? validateMetaMessage(decoded.value, expectedGateway, nowMs) : decoded;
}
