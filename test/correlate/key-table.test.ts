// KeyTable (src/correlate/key-table.ts) holds the open journeys by their match key's hash and
// tells keys apart by comparing them: the same answers as a Map keyed by the key itself, over
// seeded operations whose keys are hashed to a handful of values on purpose, so that many keys
// share a hash, long probe runs form, wrap around the end of the table, and are shifted back
// on delete.
import { describe, expect, it } from 'vitest';
import { JourneyMatcher } from '../../src/correlate/journeys.js';
import { KeyTable } from '../../src/correlate/key-table.js';
import { matchKey, sameIdentity } from '../../src/correlate/keys.js';
import type { IpPacket } from '../../src/model.js';

/** A small linear congruential generator: the same sequence on every run. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

interface Held {
  key: string;
  n: number;
}

const table = () => new KeyTable<Held, string>((held, key) => held.key === key);

describe('the journey table: values by a 32-bit hash, keys compared', () => {
  it('answers as a Map over 50,000 seeded operations, through growth, with colliding hashes', () => {
    const random = seeded(20261130);
    const held = table();
    const model = new Map<string, Held>();
    // 3,000 keys over 40 hashes: the low bits of a hash pick the home slot, and a hash's sign bit is set for some.
    const keys = Array.from({ length: 3000 }, (_, i) => ({ key: `k${i}`, hash: ((i % 40) * 1023) | (i % 3 === 0 ? 0x80000000 : 0) }));
    for (let op = 0; op < 50_000; op++) {
      const { key, hash } = keys[Math.floor(random() * keys.length)]!;
      const r = random();
      const there = model.get(key);
      if (r < 0.45) {
        const value = { key, n: op };
        if (there) held.replace(hash, there, value);
        else held.add(hash, value);
        model.set(key, value);
      } else if (r < 0.8) {
        if (there) held.delete(hash, there);
        model.delete(key);
      } else {
        expect(held.get(hash, key)).toBe(there);
      }
      expect(held.size).toBe(model.size);
    }
    for (const { key, hash } of keys) expect(held.get(hash, key)).toBe(model.get(key));
  });

  it('tells apart keys of one hash, and finds each after another of its run is deleted', () => {
    const held = table();
    const [x, y, z, w] = [{ key: 'x', n: 0 }, { key: 'y', n: 1 }, { key: 'z', n: 2 }, { key: 'w', n: 3 }];
    held.add(5, x);
    held.add(5, y); // the same hash, another key
    held.add(1029, z); // 1029 & 1023 = 5: the same home slot, third in the run
    held.add(6, w); // home slot 6, taken by the run: placed after it
    expect([held.get(5, 'x'), held.get(5, 'y'), held.get(1029, 'z'), held.get(6, 'w'), held.get(5, 'z'), held.get(7, 'x')]).toEqual([x, y, z, w, undefined, undefined]);
    held.delete(5, x);
    expect([held.get(5, 'x'), held.get(5, 'y'), held.get(1029, 'z'), held.get(6, 'w')]).toEqual([undefined, y, z, w]);
    expect(held.size).toBe(3);
    expect(() => held.delete(5, x)).toThrow('KeyTable: the value is not held');
  });
});

describe('two packets whose match keys collide', () => {
  const echo = (ipId: number, seq: number): IpPacket => ({
    version: 4, src: 0xc6120002, dst: 0xcb007102, ttl: 64, ipId, length: 84, proto: 1,
    l4: { kind: 'icmp', v6: false, type: 8, code: 0, id: 7, seq }, payloadHash: 0,
  });
  /** Two different echo requests with the same 32-bit key, found by a birthday search (the same pair on every run). */
  function collision(): [IpPacket, IpPacket] {
    const seen = new Map<number, IpPacket>();
    for (let n = 0; ; n++) {
      const ip = echo(n & 0xffff, n >>> 16);
      const other = seen.get(matchKey(ip));
      if (other) return [other, ip];
      seen.set(matchKey(ip), ip);
    }
  }

  it('are two journeys: the table compares the packets, not only their keys', () => {
    const [a, b] = collision();
    expect(matchKey(a)).toBe(matchKey(b));
    expect(sameIdentity(a, b)).toBe(false);
    const settled: number[][] = [];
    const matcher = new JourneyMatcher(2, 1e9, (journey) => settled.push(journey.sightings.map((s) => s.frameSeq)));
    matcher.add(0, 0, 1000, a, []);
    matcher.add(1, 0, 2000, b, []); // b at the second hop: not a's journey
    matcher.add(1, 1, 3000, a, []); // a at the second hop: a's journey, now seen at both hops
    matcher.add(0, 1, 4000, b, []);
    expect(settled).toEqual([[0, 1], [0, 1]]);
    const first = new JourneyMatcher(2, 1e9, (journey) => settled.push(journey.sightings.map((s) => s.hop)));
    settled.length = 0;
    first.add(0, 0, 1000, a, []);
    first.add(1, 0, 2000, b, []);
    first.drain(2000);
    expect(settled).toEqual([[0], [1]]);
  });
});
