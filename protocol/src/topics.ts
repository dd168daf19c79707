/**
 * MQTT topics: `{root}/{gateway}/{kind}`, root configurable (default
 * `park/v1`).
 *
 * | kind   | retained | QoS | payload        |
 * |--------|----------|-----|----------------|
 * | status | yes      | 1   | StatusMessage (the last will publishes `offline`) |
 * | meta   | yes      | 1   | MetaMessage    |
 * | data   | no       | 1   | DataMessage    |
 */

import { GATEWAY_ID_PATTERN, isGatewayId } from './ids.js';

export const DEFAULT_TOPIC_ROOT = 'park/v1';

export type TopicKind = 'status' | 'meta' | 'data';
export const TOPIC_KINDS: readonly TopicKind[] = ['status', 'meta', 'data'];

export interface ParsedTopic {
  gateway: string;
  kind: TopicKind;
}

/**
 * A valid root is one or more non-empty topic levels separated by `/`, with no
 * wildcard (`+`, `#`), no NUL, no leading or trailing `/`, and not starting
 * with `$` (reserved for broker topics such as `$SYS`).
 */
export function isTopicRoot(root: unknown): root is string {
  if (typeof root !== 'string' || root.length === 0 || root.length > 512) return false;
  if (root.charCodeAt(0) === 0x24 /* $ */) return false;
  let levelLength = 0;
  for (let i = 0; i < root.length; i++) {
    const c = root.charCodeAt(i);
    if (c === 0x2b /* + */ || c === 0x23 /* # */ || c === 0) return false;
    if (c === 0x2f /* / */) {
      if (levelLength === 0) return false;
      levelLength = 0;
    } else {
      levelLength++;
    }
  }
  return levelLength > 0;
}

function assertRoot(root: string): void {
  if (!isTopicRoot(root)) {
    throw new RangeError(`invalid MQTT topic root ${JSON.stringify(root)}: non-empty levels, no wildcards, no leading or trailing "/", not starting with "$"`);
  }
}

/**
 * `{root}/{gateway}/{kind}`. Throws a RangeError for an invalid root or
 * gateway id: that is a configuration error and should stop start-up.
 */
export function gatewayTopic(root: string, gateway: string, kind: TopicKind): string {
  assertRoot(root);
  if (!isGatewayId(gateway)) {
    throw new RangeError(`invalid gateway id ${JSON.stringify(gateway)} (expected ${GATEWAY_ID_PATTERN.source})`);
  }
  return `${root}/${gateway}/${kind}`;
}

export function statusTopic(root: string, gateway: string): string {
  return gatewayTopic(root, gateway, 'status');
}

export function metaTopic(root: string, gateway: string): string {
  return gatewayTopic(root, gateway, 'meta');
}

export function dataTopic(root: string, gateway: string): string {
  return gatewayTopic(root, gateway, 'data');
}

/** Subscription filter for one kind from every gateway: `{root}/+/{kind}`. */
export function topicFilter(root: string, kind: TopicKind): string {
  assertRoot(root);
  return `${root}/+/${kind}`;
}

/** `{root}/+/status` */
export function statusFilter(root: string): string {
  return topicFilter(root, 'status');
}

/** `{root}/+/meta` */
export function metaFilter(root: string): string {
  return topicFilter(root, 'meta');
}

/** `{root}/+/data` */
export function dataFilter(root: string): string {
  return topicFilter(root, 'data');
}

/**
 * Splits a received topic into gateway and kind. Returns null unless the
 * topic is exactly `{root}/{gateway}/{kind}` with a valid gateway id and a
 * known kind: a wrong root, extra or missing levels, wildcards or an unknown
 * kind all give null. Never throws.
 */
export function parseTopic(root: string, topic: string): ParsedTopic | null {
  if (typeof topic !== 'string' || !isTopicRoot(root)) return null;
  const rootLength = root.length;
  if (topic.length <= rootLength + 1 || !topic.startsWith(root) || topic.charCodeAt(rootLength) !== 0x2f) return null;
  const slash = topic.indexOf('/', rootLength + 1);
  if (slash < 0) return null;
  const gateway = topic.slice(rootLength + 1, slash);
  if (!isGatewayId(gateway)) return null;
  const kind = topic.slice(slash + 1);
  if (kind !== 'status' && kind !== 'meta' && kind !== 'data') return null;
  return { gateway, kind };
}
