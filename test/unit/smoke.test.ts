import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION } from '@park/protocol';

describe('workspace wiring', () => {
  it('resolves the protocol workspace from source', () => {
    expect(PROTOCOL_VERSION).toBe(1);
  });
});
