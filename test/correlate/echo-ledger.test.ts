// SentEchoes (src/correlate/echo-ledger.ts) stands where a Map<number, SentEcho> stood: the
// same answers for every get, set, size and iteration, checked against a real Map driven by the
// same seeded sequence of operations, including writes through the objects get() hands out.
import { describe, expect, it } from 'vitest';
import { SentEchoes } from '../../src/correlate/echo-ledger.js';
import type { PendingPacket, SentEcho } from '../../src/correlate/flows.js';

const plain = (e: SentEcho | undefined) => (e === undefined ? undefined : { t: e.t, reached: e.reached, short: e.short });
const entries = (m: Iterable<[number, SentEcho]>) => [...m].map(([seq, e]) => [seq, plain(e)]);

describe('the echo ledger without an object per request', () => {
  it('keeps a request as set: its time, the position reached (Infinity too) and its short record', () => {
    const ledger = new SentEchoes<NonNullable<SentEcho['short']>>();
    const short = { hop: 2, end: 3 };
    ledger.set(7, { t: 1_700_000_000_123_456_789, reached: Infinity });
    ledger.set(8, { t: 5, reached: 1, short });
    expect(ledger.size).toBe(2);
    expect(plain(ledger.get(7))).toEqual({ t: 1_700_000_000_123_456_789, reached: Infinity, short: undefined });
    expect(ledger.get(8)!.short).toBe(short);
    expect(ledger.get(9)).toBeUndefined();
  });

  it('writes through what get() hands out, as the Map held the very object', () => {
    const ledger = new SentEchoes<NonNullable<SentEcho['short']>>();
    const pending = { hop: 1, next: 2, t: 3 } as PendingPacket;
    ledger.set(1, { t: 10, reached: 0, short: { hop: 0, end: 3, pending } });
    const sent = ledger.get(1)!;
    sent.reached = 2;
    sent.short!.hop = 2;
    expect(plain(ledger.get(1))).toEqual({ t: 10, reached: 2, short: { hop: 2, end: 3, pending } });
    sent.reached = Infinity;
    sent.short = undefined;
    expect(plain(ledger.get(1))).toEqual({ t: 10, reached: Infinity, short: undefined });
  });

  it('answers as a Map over 20,000 seeded operations: sets, overwrites, writes through, growing past its first size', () => {
    const ledger = new SentEchoes<NonNullable<SentEcho['short']>>();
    const map = new Map<number, SentEcho>();
    let seed = 12345;
    const next = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    for (let i = 0; i < 20_000; i++) {
      const seq = next(3000);
      const op = next(4);
      if (op < 2) {
        const echo: SentEcho = next(5) === 0 ? { t: i * 1e6, reached: next(4), short: { hop: next(4), end: 3 } } : { t: i * 1e6, reached: Infinity };
        ledger.set(seq, { ...echo });
        map.set(seq, { ...echo });
      } else if (op === 2) {
        const a = ledger.get(seq);
        const b = map.get(seq);
        expect(plain(a)).toEqual(plain(b));
        if (a && b) {
          a.reached = b.reached = i;
          if (next(2) === 0) a.short = b.short = undefined;
        }
      } else expect(ledger.size).toBe(map.size);
    }
    expect(entries(ledger)).toEqual(entries(map));
    expect(ledger.size).toBeGreaterThan(2500);
  });
});
