import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../server/src/log.js';
import { REJECT_LOG_OVERFLOW, RejectLog } from '../../../server/src/ingest/reject-log.js';

function capture(): { lines: Record<string, unknown>[]; log: RejectLog; logWith: (maxKeys: number) => RejectLog } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('warn', 'test', stream);
  return { lines, log: new RejectLog(logger, 'message rejected', 10_000, 1000), logWith: (n) => new RejectLog(logger, 'message rejected', 10_000, n) };
}

async function flushed(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

describe('RejectLog', () => {
  it('logs the first reject of a pair at once and counts the rest of the interval', async () => {
    const { lines, log } = capture();
    log.note('gw-a', 'schema', 'bad', 0);
    log.note('gw-a', 'schema', 'bad', 1_000);
    log.note('gw-a', 'schema', 'bad', 2_000);
    log.note('gw-a', 'schema', 'bad', 10_000);
    await flushed();
    expect(lines.map((l) => l.suppressedSinceLast)).toEqual([0, 2]);
  });

  it('stays bounded when every reject names another gateway, and still counts them', async () => {
    const { lines, logWith } = capture();
    const log = logWith(100);
    for (let i = 0; i < 10_000; i++) log.note(`forged-${i}`, 'wrong-topic', 'x', i);
    await flushed();
    expect(log.size).toBeLessThanOrEqual(101);
    // 100 named pairs, then one line for the overflow entry; the rest is counted there.
    expect(lines).toHaveLength(101);
    expect(lines[100]?.gateway).toBe(REJECT_LOG_OVERFLOW);
    log.note('forged-x', 'wrong-topic', 'x', 20_000);
    await flushed();
    // The quiet named pairs are forgotten; the overflow entry keeps its count.
    expect(lines.at(-1)).toMatchObject({ gateway: 'forged-x', suppressedSinceLast: 0 });
    expect(log.size).toBe(2);
  });

  it('forgets pairs with nothing to report once their interval has passed', () => {
    const { logWith } = capture();
    const log = logWith(10);
    for (let i = 0; i < 10; i++) log.note(`gw-${i}`, 'schema', 'x', 0);
    log.note('gw-new', 'schema', 'x', 10_000);
    expect(log.size).toBe(1);
  });
});
