import { describe, expect, it } from 'vitest';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_SOURCE_LENGTH,
  MAX_TAGS_PER_META,
  MAX_UNIT_LENGTH,
  parseMetaMessage,
  validateMetaMessage,
  type MetaMessage,
  type RejectCode,
} from '@park/protocol';
import { NOW, clone, expectAccepted, expectRejected } from './helpers.js';

function good(): MetaMessage {
  return {
    gateway: 'gw-a',
    ts: NOW,
    tags: [
      { id: 'a.hs01.t101.level', device: 'opcua-tankfarm', kind: 'analog', unit: 'm', description: 'T101 液氯储罐液位', source: 'opcua:ns=2;s=T101.Level' },
      { id: 'a.hs01.gd01.lel', device: 'plc-b', kind: 'analog', unit: '%LEL', description: 'Combustible gas detector GD01', source: 'modbus:plc-b/3/hr/100' },
      { id: 'a.hs01.sis.trip', device: 'plc-b', kind: 'discrete', unit: '', description: '', source: 'modbus:plc-b/3/coil/7' },
    ],
  };
}

type Message = Record<string, unknown> & { tags: Record<string, unknown>[] };
type Edit = (m: Message) => unknown;

function tag(i: number, edit: (t: Record<string, unknown>) => void): Edit {
  return (m) => {
    edit(m.tags[i] as Record<string, unknown>);
    return m;
  };
}

function apply(edit: Edit): unknown {
  const m = clone(good()) as unknown as Message;
  const out = edit(m);
  return out === undefined ? m : out;
}

function catalogue(n: number): Message {
  const tags = Array.from({ length: n }, (_, i) => ({ id: `a.hs01.t${i}.level`, device: 'plc-b', kind: 'analog', unit: 'm', description: '', source: `modbus:plc-b/3/hr/${i}` }));
  return { gateway: 'gw-a', ts: NOW, tags };
}

describe('meta messages: accepted', () => {
  const cases: [string, Edit][] = [
    ['the example', (m) => m],
    ['an empty catalogue', (m) => ({ ...m, tags: [] })],
    ['the largest catalogue', () => catalogue(MAX_TAGS_PER_META)],
    ['the longest unit, description and source', tag(0, (t) => {
      t.unit = 'u'.repeat(MAX_UNIT_LENGTH);
      t.description = '描'.repeat(MAX_DESCRIPTION_LENGTH);
      t.source = 's'.repeat(MAX_SOURCE_LENGTH);
    })],
  ];

  it.each(cases)('%s', (_name, edit) => {
    const m = apply(edit);
    expect(expectAccepted(validateMetaMessage(m, 'gw-a', NOW))).toBe(m);
    expectAccepted(parseMetaMessage(JSON.stringify(m), 'gw-a', NOW));
  });
});

describe('meta messages: rejected', () => {
  const cases: [string, Edit, RejectCode, string][] = [
    ['null', () => null, 'schema', 'message: expected an object, got null'],
    ['an unknown field', (m) => ({ ...m, version: 1 }), 'schema', 'unknown field "version" at top level'],
    ['gateway missing', (m) => void delete m.gateway, 'schema', 'gateway: missing'],
    ['gateway not the topic one', (m) => ({ ...m, gateway: 'gw-b' }), 'gateway-mismatch', 'gateway: "gw-b" does not match the topic\'s gateway "gw-a"'],
    ['ts missing', (m) => void delete m.ts, 'schema', 'ts: missing'],
    ['ts in seconds', (m) => ({ ...m, ts: NOW / 1000 }), 'timestamp', `ts: ${NOW / 1000} is before 2000-01-01T00:00:00.000Z (seconds instead of milliseconds?)`],
    ['tags missing', (m) => void delete (m as Record<string, unknown>).tags, 'schema', 'tags: missing'],
    ['tags an object', (m) => ({ ...m, tags: {} }), 'schema', 'tags: expected an array, got object'],
    ['too many tags', () => catalogue(MAX_TAGS_PER_META + 1), 'too-large', `tags: ${MAX_TAGS_PER_META + 1} tags exceed the maximum of ${MAX_TAGS_PER_META}`],
    ['a tag null', (m) => ({ ...m, tags: [null] }), 'schema', 'tags[0]: expected an object, got null'],
    ['an unknown tag field', tag(1, (t) => (t.scale = 2)), 'schema', 'unknown field "scale" at tags[1]'],
    ['a bilingual description', tag(1, (t) => (t.description = { zh: '液位', en: 'level' })), 'schema', 'tags[1].description: expected a string, got object'],
    ['id missing', tag(1, (t) => delete t.id), 'schema', 'tags[1].id: missing'],
    ['id invalid', tag(1, (t) => (t.id = 'A/B')), 'schema', 'tags[1].id: invalid tag id "A/B" (expected ^[a-z0-9][a-z0-9_.-]{0,127}$)'],
    ['id duplicated', tag(2, (t) => (t.id = 'a.hs01.t101.level')), 'schema', 'tags[2].id: duplicate tag id "a.hs01.t101.level" (first at tags[0])'],
    ['device missing', tag(0, (t) => delete t.device), 'schema', 'tags[0].device: missing'],
    ['device a number', tag(0, (t) => (t.device = 3)), 'schema', 'tags[0].device: expected a string, got number 3'],
    ['device invalid', tag(0, (t) => (t.device = 'PLC B')), 'schema', 'tags[0].device: invalid device id "PLC B" (expected ^[a-z0-9][a-z0-9_.-]{0,63}$)'],
    ['kind missing', tag(0, (t) => delete t.kind), 'schema', 'tags[0].kind: missing'],
    ['kind unknown', tag(0, (t) => (t.kind = 'digital')), 'schema', 'tags[0].kind: unknown kind "digital" (expected analog or discrete)'],
    ['kind null', tag(0, (t) => (t.kind = null)), 'schema', 'tags[0].kind: expected a kind (analog or discrete), got null'],
    ['unit missing', tag(0, (t) => delete t.unit), 'schema', 'tags[0].unit: missing'],
    ['unit null', tag(0, (t) => (t.unit = null)), 'schema', 'tags[0].unit: expected a string, got null'],
    ['unit too long', tag(0, (t) => (t.unit = 'u'.repeat(MAX_UNIT_LENGTH + 1))), 'schema', `tags[0].unit: ${MAX_UNIT_LENGTH + 1} characters exceed the maximum of ${MAX_UNIT_LENGTH}`],
    ['description missing', tag(0, (t) => delete t.description), 'schema', 'tags[0].description: missing'],
    ['description too long', tag(0, (t) => (t.description = 'd'.repeat(MAX_DESCRIPTION_LENGTH + 1))), 'schema', `tags[0].description: ${MAX_DESCRIPTION_LENGTH + 1} characters exceed the maximum of ${MAX_DESCRIPTION_LENGTH}`],
    ['source missing', tag(0, (t) => delete t.source), 'schema', 'tags[0].source: missing'],
    ['source empty', tag(0, (t) => (t.source = '')), 'schema', 'tags[0].source: must not be empty'],
    ['source too long', tag(0, (t) => (t.source = 's'.repeat(MAX_SOURCE_LENGTH + 1))), 'schema', `tags[0].source: ${MAX_SOURCE_LENGTH + 1} characters exceed the maximum of ${MAX_SOURCE_LENGTH}`],
  ];

  it.each(cases)('%s', (_name, edit, code, reason) => {
    expectRejected(validateMetaMessage(apply(edit), 'gw-a', NOW), code, reason);
    expectRejected(parseMetaMessage(JSON.stringify(apply(edit)), 'gw-a', NOW), code, reason);
  });
});
