// The journey matcher's memory is bounded by the journeys open at once, not by the packets seen:
// a flood of identical copies that never reach the next hop, and a long run of single packets,
// leave nothing behind once they have settled, and hold a bounded amount while they flow.
import { describe, expect, it } from 'vitest';
import { JourneyMatcher } from '../../src/correlate/journeys.js';
import type { IpPacket } from '../../src/model.js';

const echo = (seq: number): IpPacket => ({
  version: 4, src: 0xc6120002, dst: 0xcb007102, ttl: 64, ipId: 0, length: 84, proto: 1,
  l4: { kind: 'icmp', v6: false, type: 8, code: 0, id: 7, seq }, payloadHash: 0,
});

describe('what the journey matcher holds', () => {
  it('a flood of 20,000 identical copies seen only at the first hop: bounded while it flows, nothing after', () => {
    const settled: number[] = [];
    // 1 us window, a copy every 10 ns: about 100 copies open at once, all of one key.
    const matcher = new JourneyMatcher(2, 1000, (journey) => settled.push(journey.sightings.length));
    const copy = echo(1);
    let most = { listed: 0, queued: 0, queueSlots: 0 };
    for (let i = 0; i < 20_000; i++) {
      matcher.add(0, i, 10 * i, copy, []);
      matcher.advance(10 * i);
      const now = matcher.holding();
      expect(now.keys).toBe(1);
      most = { listed: Math.max(most.listed, now.listed), queued: Math.max(most.queued, now.queued), queueSlots: Math.max(most.queueSlots, now.queueSlots) };
    }
    // The bucket's list for hop 1 is swept when it holds more than twice the open copies + 16.
    expect(most.listed).toBeLessThanOrEqual(2 * 101 + 16 + 1);
    // The queue holds the open copies only; its array is cut once more than 4,096 emptied slots lead it and they are half of it.
    expect(most.queued).toBe(101);
    expect(most.queueSlots).toBeLessThanOrEqual(2 * 4097 + 101);
    matcher.drain(10 * 20_000);
    expect(settled).toHaveLength(20_000);
    const after = matcher.holding();
    expect([after.keys, after.listed, after.queued]).toEqual([0, 0, 0]);
  });

  it('single packets, each seen at both hops or only at the first: no key is left once each has settled', () => {
    const matcher = new JourneyMatcher(2, 1000, () => {});
    for (let i = 0; i < 5000; i++) {
      matcher.add(0, i, 100 * i, echo(i), []);
      if (i % 2 === 0) matcher.add(1, i, 100 * i + 5, echo(i), []);
      matcher.advance(100 * i + 5);
    }
    // Open: the odd packets of the last 1 us (4991 to 4999); queued: the journeys from the oldest
    // open one on (4991 to 4999: the even ones settled at once but wait behind it).
    expect(matcher.holding()).toMatchObject({ keys: 5, queued: 9 });
    matcher.drain(100 * 5000);
    const after = matcher.holding();
    expect([after.keys, after.listed, after.queued]).toEqual([0, 0, 0]);
  });
});
