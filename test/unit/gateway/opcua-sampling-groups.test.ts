import { describe, expect, it } from 'vitest';
import type { DeviceConfig } from '@park/protocol/config';
import { samplingGroups } from '../../../gateway/src/drivers/opcua/driver.js';

type OpcuaTag = Extract<DeviceConfig, { protocol: 'opcua' }>['tags'][number];
const tag = (id: string, samplingIntervalMs?: number): OpcuaTag => ({
  id,
  kind: 'analog',
  unit: '',
  description: { zh: id, en: id },
  address: { nodeId: `ns=1;s=${id}`, ...(samplingIntervalMs !== undefined ? { samplingIntervalMs } : {}) },
});

describe('OPC UA monitored items grouped by sampling interval', () => {
  it('keeps the device interval for items without their own, in order of first appearance', () => {
    const groups = samplingGroups([tag('a'), tag('b', 100), tag('c'), tag('d', 100), tag('e', 0)], 500);
    expect(groups).toEqual([
      { samplingIntervalMs: 500, indexes: [0, 2] },
      { samplingIntervalMs: 100, indexes: [1, 3] },
      { samplingIntervalMs: 0, indexes: [4] },
    ]);
  });

  it('puts an item whose own interval equals the device interval with the others', () => {
    expect(samplingGroups([tag('a', 500), tag('b')], 500)).toEqual([{ samplingIntervalMs: 500, indexes: [0, 1] }]);
  });
});
