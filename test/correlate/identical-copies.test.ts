import { describe, expect, it } from 'vitest';
import { JourneyMatcher, type OpenJourney } from '../../src/correlate/journeys.js';
import { decodeFrame } from '../../src/decode/index.js';
import type { IpPacket } from '../../src/model.js';
import { bytes, ethernet, icmpEcho, ipv4 } from '../decode/builders.js';

// A flood of byte-identical packets shares one match key: every copy must still become its
// own journey, whether or not the copies reach the last hop.

const MS = 1_000_000;
const copy = (() => {
  const frame = ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 1, ttl: 64, id: 0 }, icmpEcho(8, 7, 1, bytes(56))));
  const d = decodeFrame(1, frame, frame.length);
  if (d.kind !== 'packet') throw new Error(d.skip);
  return d.ip;
})();

function flood(copies: number, hops: number[], spacingNs: number, hopDelayNs: number) {
  const settled: { journey: OpenJourney; inFlight: boolean }[] = [];
  const matcher = new JourneyMatcher(4, 500 * MS, (journey, inFlight) => settled.push({ journey, inFlight }));
  const seq = [0, 0, 0, 0];
  const events: { hop: number; t: number; ip: IpPacket }[] = [];
  for (let i = 0; i < copies; i++) for (const hop of hops) events.push({ hop, t: i * spacingNs + hop * hopDelayNs, ip: copy });
  events.sort((a, b) => a.t - b.t);
  for (const e of events) {
    matcher.add(e.hop, seq[e.hop]!++, e.t, e.ip, []);
    matcher.advance(e.t);
  }
  matcher.drain(events[events.length - 1]!.t + 1000 * MS);
  return settled;
}

describe('a flood of identical packets', () => {
  it('seen at every hop: one journey per copy, each seen once at every hop', () => {
    const settled = flood(5000, [0, 1, 2, 3], 1000, 100);
    expect(settled).toHaveLength(5000);
    expect(settled.every(({ journey }) => journey.sightings.map((s) => s.hop).join() === '0,1,2,3')).toBe(true);
  });

  it('dropped before the last hop: one journey per copy, each seen at hops 0-2 and none at 3, none in flight', () => {
    const settled = flood(5000, [0, 1, 2], 1000, 100);
    expect(settled).toHaveLength(5000);
    expect(settled.every(({ journey, inFlight }) => !inFlight && journey.sightings.map((s) => s.hop).join() === '0,1,2')).toBe(true);
    // Each copy's frames pair up in order: the n-th frame at every hop.
    expect(settled.every(({ journey }) => new Set(journey.sightings.map((s) => s.frameSeq)).size === 1)).toBe(true);
  });

  it('a copy arriving after the window starts its own journey instead of joining an old one', () => {
    const settled: OpenJourney[] = [];
    const matcher = new JourneyMatcher(4, 500 * MS, (journey) => settled.push(journey));
    matcher.add(0, 0, 0, copy, []);
    matcher.add(0, 1, 1000, copy, []);
    matcher.add(1, 0, 2000, copy, []);
    matcher.add(1, 1, 600 * MS, copy, []);
    matcher.drain(2000 * MS);
    expect(settled.map((j) => j.sightings.map((s) => `${s.hop}:${s.frameSeq}`).join(' '))).toEqual(['0:0', '0:1 1:0', '1:1']);
  });
});
