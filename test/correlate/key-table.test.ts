// KeyTable (src/correlate/journeys.ts) stands where a Map of 53-bit keys stood: the same answers
// for every get, set, delete and size, checked against a real Map driven by the same seeded
// operations. The keys are drawn from a small set whose first halves share their low bits, so
// long probe runs form, wrap around the end of the table, and are shifted back on delete.
import { describe, expect, it } from 'vitest';
import { KeyTable } from '../../src/correlate/journeys.js';

/** A small linear congruential generator: the same sequence on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('the journey table keyed by two 32-bit halves', () => {
  it('answers as a Map over 50,000 seeded operations, through growth and with long probe runs', () => {
    const random = seeded(20261130);
    const table = new KeyTable<{ n: number }>();
    const model = new Map<string, { n: number }>();
    // 3,000 distinct keys: first halves end in one of 8 low-bit patterns (home slots collide),
    // some differ only in the second half, some are negative (the sign bit set).
    const keys = Array.from({ length: 3000 }, (_, i) => [((i % 8) * 1023 + (i >> 3) * 1024 * 1024) | (i % 3 === 0 ? 0x80000000 : 0), i % 5 === 0 ? 7 : i] as const);
    for (let op = 0; op < 50_000; op++) {
      const [a, b] = keys[Math.floor(random() * keys.length)]!;
      const id = `${a},${b}`;
      const r = random();
      if (r < 0.45) {
        const value = { n: op };
        table.set(a, b, value);
        model.set(id, value);
      } else if (r < 0.8) {
        table.delete(a, b);
        model.delete(id);
      } else {
        expect(table.get(a, b)).toBe(model.get(id));
      }
      expect(table.size).toBe(model.size);
    }
    for (const [a, b] of keys) expect(table.get(a, b)).toBe(model.get(`${a},${b}`));
  });

  it('tells apart keys that share a first half, and finds an entry after another of its run is deleted', () => {
    const table = new KeyTable<string>();
    table.set(5, 1, 'x');
    table.set(5, 2, 'y');
    table.set(1029, 3, 'z'); // 1029 & 1023 = 5: the same home slot, third in the run
    table.set(6, 4, 'w'); // home slot 6, taken by the run: placed after it
    expect([table.get(5, 1), table.get(5, 2), table.get(1029, 3), table.get(6, 4), table.get(5, 3)]).toEqual(['x', 'y', 'z', 'w', undefined]);
    table.delete(5, 1);
    expect([table.get(5, 1), table.get(5, 2), table.get(1029, 3), table.get(6, 4)]).toEqual([undefined, 'y', 'z', 'w']);
    table.delete(5, 9); // not there: nothing changes
    expect(table.size).toBe(3);
    table.set(5, 2, 'y2');
    expect([table.get(5, 2), table.size]).toEqual(['y2', 3]);
  });
});
