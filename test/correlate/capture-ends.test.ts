// Hops whose capture ended early (src/correlate/inflight.ts CaptureEnds): a packet is not
// captured (rather than vanished) at a hop whose capture ended within the transit bound of its
// last sighting; vanishes placed in the last 30 s are kept to be taken back when that end is told
// late, at most 100,000 of them (dropped in batches); a second end told for a hop keeps the
// earlier one; each vanish is taken back once. Driven directly, with a flow's sums built here.
import { describe, expect, it } from 'vitest';
import { CaptureEnds, CLOCK_NOISE_FLOOR_NS, RECENT_VANISH_NS, TransitTimes } from '../../src/correlate/inflight.js';
import type { DirectionStats, FlowState } from '../../src/correlate/flows.js';

const WINDOW_NS = 500_000_000;

function setup() {
  const transit = new TransitTimes(WINDOW_NS);
  const flow = { version: 0 } as unknown as FlowState;
  const stats = { vanishedAfter: [0, 0, 0, 0] } as unknown as DirectionStats;
  /** A packet placed as vanished between `hop` and `next` at `t`, as accountJourney does it. */
  const vanish = (hop: number, next: number, t: number) => {
    stats.vanishedAfter[hop]++;
    transit.ends.noteVanished(flow, stats, hop, next, t);
  };
  const notCaptured = () => stats.notCaptured ?? [0, 0, 0, 0];
  return { ends: transit.ends, transit, flow, stats, vanish, notCaptured };
}

describe('an end told late takes back the vanishes it explains', () => {
  it('exactly the transit bound (the 2 ms floor) after the last sighting: not captured; 1 ns later: still vanished', () => {
    const at = setup();
    at.vanish(2, 3, 1_000_000_000);
    at.ends.hopEnded(3, 1_000_000_000 + CLOCK_NOISE_FLOOR_NS + 1);
    expect(at.stats.vanishedAfter).toEqual([0, 0, 1, 0]);
    at.ends.hopEnded(3, 1_000_000_000 + CLOCK_NOISE_FLOOR_NS);
    expect(at.stats.vanishedAfter).toEqual([0, 0, 0, 0]);
    expect(at.notCaptured()).toEqual([0, 0, 0, 1]);
    expect(at.flow.version).toBe(1);
  });

  it('each vanish is taken back once, though a still earlier end is told after', () => {
    const at = setup();
    at.vanish(2, 3, 1_000_000_000);
    at.ends.hopEnded(3, 1_001_000_000);
    at.ends.hopEnded(3, 1_000_500_000);
    expect(at.stats.vanishedAfter).toEqual([0, 0, 0, 0]);
    expect(at.notCaptured()).toEqual([0, 0, 0, 1]);
  });

  it('only those whose next hop ended: the others stay to be taken back by a later end of their own hop', () => {
    const at = setup();
    at.vanish(2, 3, 1_000_000_000);
    at.vanish(1, 2, 1_000_000_000);
    at.ends.hopEnded(3, 1_000_000_000);
    expect(at.stats.vanishedAfter).toEqual([0, 1, 0, 0]);
    at.ends.hopEnded(2, 1_000_000_000);
    expect(at.stats.vanishedAfter).toEqual([0, 0, 0, 0]);
    expect(at.notCaptured()).toEqual([0, 0, 1, 1]);
  });

  it('a capture that ended before the trace began (-Infinity) explains every vanish toward it', () => {
    const at = setup();
    at.vanish(2, 3, 5_000_000_000);
    at.ends.hopEnded(3, -Infinity);
    expect(at.notCaptured()).toEqual([0, 0, 0, 1]);
  });
});

describe('how long and how many vanishes are kept', () => {
  it('a vanish more than 30 s older than the newest is forgotten (not taken back); exactly 30 s older is kept', () => {
    const older = setup();
    older.vanish(2, 3, 0);
    older.vanish(2, 3, RECENT_VANISH_NS + 1);
    older.ends.hopEnded(3, -Infinity);
    expect(older.stats.vanishedAfter).toEqual([0, 0, 1, 0]);
    expect(older.notCaptured()).toEqual([0, 0, 0, 1]);

    const edge = setup();
    edge.vanish(2, 3, 0);
    edge.vanish(2, 3, RECENT_VANISH_NS);
    edge.ends.hopEnded(3, -Infinity);
    expect(edge.notCaptured()).toEqual([0, 0, 0, 2]);
  });

  it('three in a row, the first two older than 30 s: only the newest is kept', () => {
    const at = setup();
    at.vanish(2, 3, 0);
    at.vanish(2, 3, 1);
    at.vanish(2, 3, RECENT_VANISH_NS + 2);
    at.ends.hopEnded(3, -Infinity);
    expect(at.notCaptured()).toEqual([0, 0, 0, 1]);
  });

  it('past 100,000 within 30 s the oldest are dropped, in batches of more than 1024: the first is gone, the last kept', () => {
    const at = setup();
    const n = 100_000 + 1100;
    for (let i = 0; i < n; i++) at.vanish(2, 3, 1_000_000_000 + i);
    at.ends.hopEnded(3, -Infinity);
    // The first cut comes when more than 1024 are over the limit (the 101,025th vanish): 1025 go,
    // 100,000 stay; the 75 after it are kept without a cut.
    expect(at.notCaptured()[3]).toBe(100_075);
    expect(at.stats.vanishedAfter[2]).toBe(1025);
  });
});

describe('the batch edge', () => {
  it('1024 over the limit are not cut yet: all 101,024 are taken back', () => {
    const at = setup();
    for (let i = 0; i < 101_024; i++) at.vanish(2, 3, 1_000_000_000 + i);
    at.ends.hopEnded(3, -Infinity);
    expect(at.notCaptured()[3]).toBe(101_024);
  });
});

describe('a second end told for the same hop', () => {
  it('a later end does not move it: a packet last seen after the first end still could not be captured there', () => {
    const at = setup();
    at.ends.hopEnded(3, 1_000_000_000);
    at.ends.hopEnded(3, 5_000_000_000);
    expect(at.ends.missed(2, 3, 3_000_000_000)).toBe(true);
  });

  it('an earlier end replaces it', () => {
    const at = setup();
    at.ends.hopEnded(3, 5_000_000_000);
    expect(at.ends.missed(2, 3, 3_000_000_000)).toBe(false);
    at.ends.hopEnded(3, 1_000_000_000);
    expect(at.ends.missed(2, 3, 3_000_000_000)).toBe(true);
  });

  it('NOT: a hop whose end was never told misses nothing', () => {
    const at = setup();
    at.ends.hopEnded(2, 1_000_000_000);
    expect(at.ends.missed(2, 3, 3_000_000_000)).toBe(false);
  });
});
