import { describe, expect, it } from 'vitest';
import { encodeMetaMessage, MAX_MESSAGE_BYTES, MAX_TAGS_PER_META, parseMetaMessage, type MetaMessage } from '@park/protocol';
import { fitMetaToContract } from '../../../gateway/src/mqtt/meta-fit.js';

function catalogue(n: number, description = (i: number) => `tag ${i}`): MetaMessage {
  return {
    gateway: 'gw-x',
    ts: 1_764_000_000_000,
    tags: Array.from({ length: n }, (_, i) => ({ id: `x.t${i}`, device: 'd1', kind: 'analog' as const, unit: 'm', description: description(i), source: `modbus:d1/holding/${i}` })),
  };
}

function accepted(m: MetaMessage): boolean {
  return parseMetaMessage(Buffer.from(encodeMetaMessage(m)), 'gw-x').ok;
}

describe('fitMetaToContract', () => {
  it('passes a catalogue within the limits through unchanged', () => {
    const m = catalogue(100);
    expect(fitMetaToContract(m)).toEqual({ message: m, omitted: 0 });
  });

  it('announces the first MAX_TAGS_PER_META tags of a larger gateway, in order, and counts the rest', () => {
    const r = fitMetaToContract(catalogue(MAX_TAGS_PER_META + 2500));
    expect(r.omitted).toBe(2500);
    expect(r.message.tags).toHaveLength(MAX_TAGS_PER_META);
    expect(r.message.tags.at(-1)?.id).toBe(`x.t${MAX_TAGS_PER_META - 1}`);
    expect(accepted(r.message)).toBe(true);
  });

  it('keeps within the byte limit when long Chinese descriptions make fewer tags fit', () => {
    // 256 characters of three UTF-8 bytes each: about 850 bytes per tag, so about 1,170 tags fit.
    const m = catalogue(3000, () => '液'.repeat(256));
    expect(accepted(m)).toBe(false);
    const r = fitMetaToContract(m);
    const size = Buffer.byteLength(encodeMetaMessage(r.message));
    expect(size).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);
    expect(r.omitted).toBeGreaterThan(0);
    // The largest prefix: one more tag would not fit.
    const oneMore = { ...m, tags: m.tags.slice(0, r.message.tags.length + 1) };
    expect(Buffer.byteLength(encodeMetaMessage(oneMore))).toBeGreaterThan(MAX_MESSAGE_BYTES);
    expect(accepted(r.message)).toBe(true);
  });
});
