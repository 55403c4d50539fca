// The matching window's edges (src/correlate/journeys.ts): a sighting exactly one window after
// the journey's last joins it, one nanosecond later starts its own; a journey settles only once
// the window has passed; at the end of the trace, it was in flight only within the window; a
// byte-identical retransmission within the window is its own journey, paired in order.
import { describe, expect, it } from 'vitest';
import { JourneyMatcher, type OpenJourney } from '../../src/correlate/journeys.js';
import { decodeFrame } from '../../src/decode/index.js';
import type { IpPacket } from '../../src/model.js';
import { bytes, ethernet, icmpEcho, ipv4 } from '../decode/builders.js';

const MS = 1_000_000;
const WINDOW = 500 * MS;

function echo(seq: number): IpPacket {
  const frame = ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 1, id: 0 }, icmpEcho(8, 7, seq, bytes(56))));
  const d = decodeFrame(1, frame, frame.length);
  if (d.kind !== 'packet') throw new Error(d.skip);
  return d.ip;
}

function matcher(hops = 4) {
  const settled: { path: string; ending: boolean }[] = [];
  const m = new JourneyMatcher(hops, WINDOW, (j: OpenJourney, ending) => settled.push({ path: j.sightings.map((s) => `${s.hop}@${s.t / MS}`).join(' '), ending }));
  return { m, settled };
}

describe('the window edge when joining', () => {
  it('a sighting exactly one window after the last joins the journey', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(1, 0, WINDOW, echo(1), []);
    m.drain(WINDOW + 2 * WINDOW);
    expect(settled).toEqual([{ path: '0@0 1@500', ending: false }]);
  });

  it('one nanosecond later it starts a journey of its own', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(1, 0, WINDOW + 1, echo(1), []);
    m.drain(10 * WINDOW);
    expect(settled).toEqual([{ path: '0@0', ending: false }, { path: `1@${(WINDOW + 1) / MS}`, ending: false }]);
  });

  it('the window counts from the newest sighting, not the first', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(1, 0, 400 * MS, echo(1), []);
    m.add(2, 0, 800 * MS, echo(1), []);
    m.drain(10 * WINDOW);
    expect(settled).toEqual([{ path: '0@0 1@400 2@800', ending: false }]);
  });

  it('with several journeys of one key (a bucket), the edge is the same', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(0, 1, 1, echo(1), []);
    m.add(1, 0, WINDOW + 1, echo(1), []);
    m.add(1, 1, WINDOW + 2, echo(1), []);
    m.drain(10 * WINDOW);
    expect(settled.map((s) => s.path)).toEqual(['0@0', `0@${1 / MS} 1@${(WINDOW + 1) / MS}`, `1@${(WINDOW + 2) / MS}`]);
  });

  it('a second sighting at a hop the journey was already seen at is another packet', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(0, 1, 1 * MS, echo(1), []);
    m.add(1, 0, 2 * MS, echo(1), []);
    m.drain(10 * WINDOW);
    expect(settled.map((s) => s.path)).toEqual(['0@0', '0@1 1@2']);
  });
});

describe('settling', () => {
  it('advance settles a journey only once more than the window has passed since its last sighting', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(1, 0, 1 * MS, echo(1), []);
    m.advance(1 * MS + WINDOW);
    expect(settled).toEqual([]);
    expect(m.oldestOpen()).toMatchObject({ hop: 0, t: 0 });
    m.advance(1 * MS + WINDOW + 1);
    expect(settled).toEqual([{ path: '0@0 1@1', ending: false }]);
    expect(m.oldestOpen()).toBeUndefined();
  });

  it('advance settles the oldest first and stops at the first still open', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(0, 1, 100 * MS, echo(2), []);
    m.advance(WINDOW + 50 * MS);
    expect(settled.map((s) => s.path)).toEqual(['0@0']);
    expect(m.oldestOpen()).toMatchObject({ hop: 0, t: 100 * MS });
  });

  it('a journey seen at every hop settles at once, not in flight', () => {
    const { m, settled } = matcher(2);
    m.add(0, 0, 0, echo(1), []);
    expect(settled).toEqual([]);
    m.add(1, 0, 1 * MS, echo(1), []);
    expect(settled).toEqual([{ path: '0@0 1@1', ending: false }]);
  });

  it('on a one-hop path every sighting settles at once', () => {
    const { m, settled } = matcher(1);
    m.add(0, 0, 0, echo(1), []);
    m.add(0, 1, 1, echo(1), []);
    expect(settled.map((s) => s.path)).toEqual(['0@0', `0@${1 / MS}`]);
  });

  it('drain: in flight only within the window of its last sighting', () => {
    const { m, settled } = matcher();
    m.add(0, 0, 0, echo(1), []);
    m.add(0, 1, 100 * MS, echo(2), []);
    m.drain(WINDOW + 100 * MS);
    expect(settled).toEqual([{ path: '0@0', ending: false }, { path: '0@100', ending: true }]);
  });

  it('sightings out of time order are put in time order when settled', () => {
    const { m, settled } = matcher(3);
    m.add(1, 0, 5 * MS, echo(1), []);
    m.add(0, 0, 4 * MS, echo(1), []);
    m.drain(10 * WINDOW);
    expect(settled.map((s) => s.path)).toEqual(['0@4 1@5']);
  });
});

describe('a byte-identical retransmission within the window', () => {
  it('is its own journey; each copy pairs with the copy seen at the next hop after it', () => {
    const { m, settled } = matcher();
    for (const [hop, t] of [[0, 0], [1, 0.01], [0, 200], [1, 200.01], [2, 200.02], [3, 200.03]] as const) {
      m.add(hop, 0, t * MS, echo(1), []);
      m.advance(t * MS);
    }
    m.drain(200.03 * MS);
    expect(settled.map((s) => `${s.path}${s.ending ? ' (in flight)' : ''}`)).toEqual(['0@200 1@200.01 2@200.02 3@200.03', '0@0 1@0.01 (in flight)']);
  });
});
