// Byte-identical copies (a retransmission, a flood) share one match key in the journey matcher
// (src/correlate/journeys.ts, through its public JourneyMatcher): a copy still open keeps getting
// its later sightings while older copies settle around it, however many settle; a second copy
// seen at the first hop before the first copy's next hop pairs each hop's sightings newest first;
// a journey's sightings come out in time order even when the hops' stamps are not; the oldest open
// journey is the first not yet settled. And the match key itself: a UDP datagram's length is part
// of its identity.
import { describe, expect, it } from 'vitest';
import { JourneyMatcher, type OpenJourney } from '../../src/correlate/journeys.js';
import { matchKey } from '../../src/correlate/keys.js';
import { decodeFrame } from '../../src/decode/index.js';
import type { IpPacket } from '../../src/model.js';
import { bytes, ethernet, icmpEcho, ipv4, udp } from '../decode/builders.js';

const MS = 1_000_000;
const WINDOW = 500 * MS;

function packet(frame: Uint8Array): IpPacket {
  const d = decodeFrame(1, frame, frame.length);
  if (d.kind !== 'packet') throw new Error(d.skip);
  return d.ip;
}
const copy = packet(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.2', proto: 1, ttl: 64, id: 0 }, icmpEcho(8, 7, 1, bytes(56)))));
const other = packet(ethernet(0x0800, ipv4({ src: '198.18.0.2', dst: '203.0.113.9', proto: 17, id: 5 }, udp({ sport: 1, dport: 2 }, bytes(8)))));

function matcher() {
  const settled: { journey: OpenJourney; inFlight: boolean }[] = [];
  const m = new JourneyMatcher(4, WINDOW, (journey, inFlight) => settled.push({ journey, inFlight }));
  const seq = [0, 0, 0, 0];
  const add = (hop: number, t: number, ip = copy) => {
    m.add(hop, seq[hop]!++, t, ip, []);
    m.advance(t);
  };
  const hopsOf = () => settled.filter((s) => s.journey.sightings[0]!.ip === copy).map((s) => s.journey.sightings.map((x) => x.hop).join(''));
  return { m, add, settled, hopsOf };
}

describe('identical copies settling around an open one', () => {
  it('a retransmission still open when the first copy settles gets its last hop', () => {
    const { m, add, hopsOf } = matcher();
    for (const hop of [0, 1, 2]) add(hop, hop * 0.01 * MS);
    for (const hop of [0, 1, 2]) add(hop, 300 * MS + hop * 0.01 * MS);
    add(0, 600 * MS, other); // the first copy's window has passed: it settles
    add(3, 650 * MS);
    m.drain(2000 * MS);
    expect(hopsOf()).toEqual(['012', '0123']);
  });

  it('forty copies 40 ms apart lost after docker0, the last one reaching eth0 while thirty settle: it still gets its eth0 sighting', () => {
    const { m, add, hopsOf } = matcher();
    for (let k = 0; k < 40; k++) for (const hop of [0, 1, 2]) add(hop, k * 40 * MS + hop * 0.01 * MS);
    add(0, 1700 * MS, other);
    add(3, 1860 * MS);
    m.drain(4000 * MS);
    const hops = hopsOf();
    expect(hops).toHaveLength(40);
    expect(hops.filter((h) => h === '012')).toHaveLength(39);
    expect(hops).toContain('0123');
  });

  it('two copies seen at the first hop before either reaches the next: each hop pairs them newest first, both complete', () => {
    const { m, add, hopsOf, settled } = matcher();
    add(0, 0);
    add(0, 0.005 * MS);
    for (const hop of [1, 2, 3]) {
      add(hop, hop * 0.01 * MS);
      add(hop, hop * 0.01 * MS + 0.005 * MS);
    }
    m.drain(1000 * MS);
    expect(hopsOf()).toEqual(['0123', '0123']);
    // The newer copy (its hop-0 sighting at 5 us) took the first sighting of every later hop.
    expect(settled.map((s) => s.journey.sightings.map((x) => x.t / 1000))).toEqual([[5, 10, 20, 30], [0, 15, 25, 35]]);
  });
});

describe('sightings in time order', () => {
  it('stamped out of order (30, 10, 20 us; two at 10 us): sorted by time, equal stamps kept in arrival order', () => {
    const { m, add, settled } = matcher();
    add(0, 30_000);
    add(1, 10_000);
    add(2, 20_000);
    m.drain(1000 * MS);
    expect(settled[0]!.journey.sightings.map((s) => [s.hop, s.t])).toEqual([[1, 10_000], [2, 20_000], [0, 30_000]]);

    const tie = matcher();
    tie.add(0, 10_000);
    tie.add(1, 10_000);
    tie.add(2, 5_000);
    tie.m.drain(1000 * MS);
    expect(tie.settled[0]!.journey.sightings.map((s) => s.hop)).toEqual([2, 0, 1]);
  });
});

describe('the oldest open journey', () => {
  it('is the first not yet settled, not one settled before it', () => {
    const { m, add } = matcher();
    // Seen everywhere (settled), still at the head of the queue: no advance has run since.
    for (const hop of [0, 1, 2, 3]) m.add(hop, hop, hop * 0.01 * MS, other, []);
    m.add(0, 4, 1 * MS, copy, []);
    expect(m.oldestOpen()).toMatchObject({ hop: 0, t: 1 * MS, ip: copy });
    add(1, 1.01 * MS);
    expect(m.oldestOpen()).toMatchObject({ hop: 0, t: 1 * MS });
    add(2, 1.02 * MS);
    add(3, 1.03 * MS);
    expect(m.oldestOpen()).toBeUndefined();
  });
});

describe('paths longer than 30 hops (hops past 30 have no bit and are looked up in the sightings)', () => {
  function long(hops: number) {
    const settled: OpenJourney[] = [];
    const m = new JourneyMatcher(hops, WINDOW, (journey) => settled.push(journey));
    return { m, settled, hopsOf: () => settled.map((j) => j.sightings.map((s) => `${s.hop}@${s.t / 1000}`).join(',')) };
  }

  it('one packet seen at hop 0 and hop 32 of 33 is one journey; a copy seen again at hop 32 is another', () => {
    const { m, hopsOf } = long(33);
    m.add(0, 0, 0, copy, []);
    m.add(32, 0, 10_000, copy, []);
    m.add(32, 1, 20_000, copy, []);
    m.drain(1000 * MS);
    expect(hopsOf()).toEqual(['0@0,32@10', '32@20']);
  });

  it('seen at hops 30 and 31, then again at 31: the second sighting at 31 starts a journey of its own', () => {
    const { m, hopsOf } = long(32);
    m.add(30, 0, 0, copy, []);
    m.add(31, 0, 10_000, copy, []);
    m.add(31, 1, 20_000, copy, []);
    m.drain(1000 * MS);
    expect(hopsOf()).toEqual(['30@0,31@10', '31@20']);
  });
});

describe('the match key', () => {
  it('two UDP datagrams alike in every other field but their length have different keys; the same datagram NATed has the same', () => {
    const dgram = (length: number, src = '198.18.0.2', sport = 5000) =>
      packet(ethernet(0x0800, ipv4({ src, dst: '203.0.113.2', proto: 17, id: 0, df: true, totalLength: 20 + length }, udp({ sport, dport: 53, length }, bytes(64)))));
    expect(matchKey(dgram(72))).not.toBe(matchKey(dgram(80)));
    expect(matchKey(dgram(72))).toBe(matchKey(dgram(72, '203.0.113.1', 40000)));
  });
});
