import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TOPIC_ROOT,
  TOPIC_KINDS,
  dataFilter,
  dataTopic,
  gatewayTopic,
  isTopicRoot,
  metaFilter,
  metaTopic,
  parseTopic,
  statusFilter,
  statusTopic,
  topicFilter,
} from '@park/protocol';

describe('topic builders', () => {
  it('default root is park/v1', () => {
    expect(DEFAULT_TOPIC_ROOT).toBe('park/v1');
  });

  it('builds the three gateway topics', () => {
    expect(statusTopic('park/v1', 'gw-a')).toBe('park/v1/gw-a/status');
    expect(metaTopic('park/v1', 'gw-a')).toBe('park/v1/gw-a/meta');
    expect(dataTopic('park/v1', 'gw-a')).toBe('park/v1/gw-a/data');
    expect(gatewayTopic('site-7/park/v1', 'gw_b-2', 'data')).toBe('site-7/park/v1/gw_b-2/data');
  });

  it('builds subscription filters', () => {
    expect(statusFilter('park/v1')).toBe('park/v1/+/status');
    expect(metaFilter('park/v1')).toBe('park/v1/+/meta');
    expect(dataFilter('park/v1')).toBe('park/v1/+/data');
    expect(TOPIC_KINDS.map((k) => topicFilter('x', k))).toEqual(['x/+/status', 'x/+/meta', 'x/+/data']);
  });

  it.each([
    ['a slash', 'gw/a'],
    ['a single-level wildcard', '+'],
    ['a multi-level wildcard', '#'],
    ['upper case', 'GW-A'],
    ['nothing', ''],
    ['a leading dash', '-gw'],
    ['a dot', 'gw.a'],
    ['65 characters', 'g'.repeat(65)],
  ])('refuses a gateway id with %s', (_name, gateway) => {
    expect(() => dataTopic('park/v1', gateway)).toThrow(
      new RangeError(`invalid gateway id ${JSON.stringify(gateway)} (expected ^[a-z0-9][a-z0-9_-]{0,63}$)`),
    );
  });

  it.each([['park/v1/'], ['/park/v1'], ['park//v1'], ['park/+'], ['park/#'], ['$SYS/park'], [''], ['park\u0000v1']])('refuses the root %j', (root) => {
    expect(() => statusTopic(root, 'gw-a')).toThrow(
      new RangeError(`invalid MQTT topic root ${JSON.stringify(root)}: non-empty levels, no wildcards, no leading or trailing "/", not starting with "$"`),
    );
    expect(() => dataFilter(root)).toThrow(RangeError);
    expect(isTopicRoot(root)).toBe(false);
  });

  it.each([['park/v1'], ['park'], ['a/b/c/d'], ['Site A/park']])('accepts the root %j', (root) => {
    expect(isTopicRoot(root)).toBe(true);
  });
});

describe('parseTopic', () => {
  it.each([
    ['status', 'park/v1', 'park/v1/gw-a/status', { gateway: 'gw-a', kind: 'status' }],
    ['meta', 'park/v1', 'park/v1/gw-a/meta', { gateway: 'gw-a', kind: 'meta' }],
    ['data', 'park/v1', 'park/v1/gw-a/data', { gateway: 'gw-a', kind: 'data' }],
    ['longest gateway id', 'park/v1', `park/v1/${'g'.repeat(64)}/data`, { gateway: 'g'.repeat(64), kind: 'data' }],
    ['custom one-level root', 'plant', 'plant/gw_1/data', { gateway: 'gw_1', kind: 'data' }],
    ['custom deep root', 'cq/park/v1', 'cq/park/v1/0/meta', { gateway: '0', kind: 'meta' }],
  ] as const)('parses %s', (_name, root, topic, expected) => {
    expect(parseTopic(root, topic)).toEqual(expected);
  });

  it.each([
    ['wrong root', 'park/v1', 'park/v2/gw-a/data'],
    ['root as a prefix of a level', 'park/v1', 'park/v1x/gw-a/data'],
    ['root without its first level', 'park/v1', 'v1/gw-a/data'],
    ['leading slash', 'park/v1', '/park/v1/gw-a/data'],
    ['extra level after kind', 'park/v1', 'park/v1/gw-a/data/x'],
    ['extra level before kind', 'park/v1', 'park/v1/gw-a/sub/data'],
    ['trailing slash', 'park/v1', 'park/v1/gw-a/data/'],
    ['no kind', 'park/v1', 'park/v1/gw-a'],
    ['empty kind', 'park/v1', 'park/v1/gw-a/'],
    ['root only', 'park/v1', 'park/v1'],
    ['root and slash', 'park/v1', 'park/v1/'],
    ['empty gateway', 'park/v1', 'park/v1//data'],
    ['unknown kind', 'park/v1', 'park/v1/gw-a/values'],
    ['kind in upper case', 'park/v1', 'park/v1/gw-a/DATA'],
    ['+ as gateway', 'park/v1', 'park/v1/+/data'],
    ['# as kind', 'park/v1', 'park/v1/gw-a/#'],
    ['# after root', 'park/v1', 'park/v1/#'],
    ['wildcard inside gateway', 'park/v1', 'park/v1/gw+a/data'],
    ['gateway in upper case', 'park/v1', 'park/v1/GW-A/data'],
    ['gateway with a dot', 'park/v1', 'park/v1/gw.a/data'],
    ['gateway too long', 'park/v1', `park/v1/${'g'.repeat(65)}/data`],
    ['invalid root argument', 'park/+', 'park/+/gw-a/data'],
    ['empty root argument', '', '/gw-a/data'],
    ['empty topic', 'park/v1', ''],
  ])('returns null for %s', (_name, root, topic) => {
    expect(parseTopic(root, topic)).toBeNull();
  });

  it('inverts the builders', () => {
    for (const kind of TOPIC_KINDS) {
      expect(parseTopic('park/v1', gatewayTopic('park/v1', 'gw-tankfarm-a', kind))).toEqual({ gateway: 'gw-tankfarm-a', kind });
    }
  });
});
