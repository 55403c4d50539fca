// The ladder without a browser: a long flow drawn at both ends with the middle counted, a
// packet not captured at a hop it crossed, a tunnel hop as a band, and the rows in time order.
import { describe, expect, it } from 'vitest';
import type { IpPacket, Journey } from '../../src/model.js';
import { LadderCollector } from '../../src/render/html/ladder-collector.js';
import { renderLadder } from '../../src/render/html/ladder.js';
import type { Hop } from '../../src/model.js';
import { parseAddress } from '../../src/addresses.js';

const hops: Hop[] = [
  { name: 'c1 eth0', role: 'container', netns: 'container:c1', addrs: [] },
  { name: 'vxlan0', role: 'tunnel', netns: 'host', addrs: [] },
  { name: 'eth0', role: 'uplink', netns: 'host', addrs: [] },
];

function ip(src: string, id: number): IpPacket {
  return { version: 4, src: parseAddress(src)!, dst: parseAddress('203.0.113.2')!, ttl: 64, ipId: id, length: 84, proto: 1, l4: { kind: 'icmp', v6: false, type: 8, code: 0, id: 7, seq: id }, payloadHash: 0 };
}

function journey(n: number, direction: 'request' | 'reply', extra: Partial<Journey> = {}): Journey {
  const t = n * 1_000_000;
  return {
    flowId: 1,
    direction,
    ascending: direction === 'request',
    sightings: [
      { hop: 0, frameSeq: n, t, ip: ip('198.18.0.2', n), encap: [] },
      { hop: 2, frameSeq: n, t: t + 50_000, ip: ip('203.0.113.1', n), encap: [] },
    ],
    ...extra,
  };
}

describe('a flow ladder', () => {
  it('draws the first 12 and last 8 packets of a long flow and counts the rest by direction', () => {
    const ladders = new LadderCollector();
    for (let n = 0; n < 1000; n++) ladders.journey(journey(n, n % 4 === 0 ? 'reply' : 'request'));
    const ladder = ladders.ladder(1)!;
    expect(ladder.first.map((j) => j.journeyId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(ladder.last.map((j) => j.journeyId)).toEqual([993, 994, 995, 996, 997, 998, 999, 1000]);
    expect(ladder.skipped).toEqual({ request: 735, reply: 245 });
    const svg = renderLadder(hops, ladder);
    expect(svg).toContain('… 980 more packets not drawn (735 requests, 245 replies) …');
    expect(svg.match(/<g class="journey /g)).toHaveLength(20);
  });

  it('a short flow has no gap row', () => {
    const ladders = new LadderCollector();
    for (let n = 0; n < 20; n++) ladders.journey(journey(n, 'request'));
    expect(renderLadder(hops, ladders.ladder(1)!)).not.toContain('not drawn');
  });

  it('marks the hop a packet crossed uncaptured, the rewrite on the arrow across it, and the tunnel as a band', () => {
    const ladders = new LadderCollector();
    ladders.journey(journey(1, 'request', { missedAt: [1] }));
    const svg = renderLadder(hops, ladders.ladder(1)!);
    expect(svg).toContain('<title>not captured at vxlan0</title>');
    expect(svg).toMatch(/<text class="rewrite"[^>]*>SNAT src 198\.18\.0\.2 -&gt; 203\.0\.113\.1<\/text>/);
    expect(svg).toMatch(/<rect class="tunnel" x="190" [^>]*width="420"/);
    expect(svg).not.toContain('class="cross"');
  });

  it('ends a vanished packet in a cross halfway to the hop that should have seen it', () => {
    const ladders = new LadderCollector();
    const lost = journey(1, 'request', { vanishedBetween: [0, 1] });
    lost.sightings = lost.sightings.slice(0, 1);
    ladders.journey(lost);
    const svg = renderLadder(hops, ladders.ladder(1)!);
    expect(svg).toContain('vanished between c1 eth0 and vxlan0');
    expect(svg).toMatch(/<path class="cross" d="M289 /);
  });
});
