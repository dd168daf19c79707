import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { AcceptLog } from '../../../server/src/ingest/accept-log.js';
import { tempDir } from '../../harness/temp-dir.js';

const payload = (n: number): Buffer => Buffer.from(JSON.stringify({ n }));

describe('accept log', () => {
  const dirs: { remove(): void }[] = [];
  const dir = (): string => {
    const d = tempDir('accept');
    dirs.push(d);
    return d.path;
  };
  const logs: AcceptLog[] = [];
  const open = (d: string, segmentBytes?: number): AcceptLog => {
    const l = new AcceptLog(d, { maxBytes: 10 * 1024 ** 2, ...(segmentBytes ? { segmentBytes } : {}) });
    logs.push(l);
    return l;
  };
  afterEach(() => {
    logs.splice(0).forEach((l) => l.close());
    dirs.splice(0).forEach((d) => d.remove());
  });

  it('gives back, after a crash, exactly the messages not yet committed, in order', () => {
    const d = dir();
    const a = open(d);
    for (let i = 1; i <= 5; i++) a.append(i % 2 ? 'gw-a' : 'gw-b', payload(i), 10);
    a.committed(25); // messages 1 and 2 written, half of 3
    // (no close: as after kill -9)
    const b = open(d);
    expect(b.recover().map((m) => [m.gateway, JSON.parse(m.payload.toString()).n])).toEqual([
      ['gw-a', 3],
      ['gw-b', 4],
      ['gw-a', 5],
    ]);
  });

  it('ignores a record cut short by the crash (never acknowledged)', () => {
    const d = dir();
    const a = open(d);
    a.append('gw-a', payload(1), 1);
    a.close();
    const file = readdirSync(d).find((n) => n.startsWith('accept-')) as string;
    appendFileSync(path.join(d, file), Buffer.from([0, 0, 0, 50, 4, 0x67]));
    expect(open(d).recover().map((m) => JSON.parse(m.payload.toString()).n)).toEqual([1]);
  });

  it('counts recovered messages toward the checkpoint and deletes old segments once they are written', () => {
    const d = dir();
    const a = open(d, 64);
    for (let i = 1; i <= 6; i++) a.append('gw-a', payload(i), 1);
    const b = open(d, 64);
    const recovered = b.recover();
    expect(recovered).toHaveLength(6);
    b.recovered(recovered.map(() => ({ readings: 1 })));
    b.append('gw-a', payload(7), 1);
    b.committed(6);
    const c = open(d, 64);
    expect(c.recover().map((m) => JSON.parse(m.payload.toString()).n)).toEqual([7]);
    expect(readdirSync(d).filter((n) => n.startsWith('accept-')).length).toBeLessThanOrEqual(3);
  });
  it('writes the checkpoint at most once a second, and at close: a crash in between replays a little more, never less', () => {
    const d = dir();
    const a = open(d);
    for (let i = 1; i <= 4; i++) a.append('gw-a', payload(i), 1);
    a.committed(1); // written at once: the first move
    a.committed(1); // within the second: kept in memory
    expect(open(d).recover().map((m) => JSON.parse(m.payload.toString()).n)).toEqual([2, 3, 4]);
    a.close();
    expect(open(d).recover().map((m) => JSON.parse(m.payload.toString()).n)).toEqual([3, 4]);
  });
});
