// A page for a trace of many flows stays the size of one of a hundred: ladders are kept for
// the first MAX_LADDER_FLOWS flows that --filter keeps (told by the trace's flow events), the
// page shows at most MAX_PAGE_FLOWS flows (those with a ladder, then the not-ok ones) and
// says how many it left out. The memory and size figures are in the benchmark, not here.
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/addresses.js';
import type { FlowReport, Hop, IpPacket, Journey, Report } from '../../src/model.js';
import { LadderCollector } from '../../src/render/html/ladder-collector.js';
import { MAX_PAGE_FLOWS, renderHtml } from '../../src/render/html/page.js';

const hops: Hop[] = [
  { name: 'c1 eth0', role: 'container', netns: 'container:c1', addrs: [] },
  { name: 'eth0', role: 'uplink', netns: 'host', addrs: [] },
];

function ip(id: number): IpPacket {
  return { version: 4, src: parseAddress('198.18.0.2')!, dst: parseAddress('203.0.113.2')!, ttl: 64, ipId: id, length: 84, proto: 1, l4: { kind: 'icmp', v6: false, type: 8, code: 0, id, seq: 1 }, payloadHash: 0 };
}

function journey(flowId: number): Journey {
  return { flowId, direction: 'request', ascending: true, sightings: [{ hop: 0, frameSeq: flowId, t: flowId, ip: ip(flowId), encap: [] }, { hop: 1, frameSeq: flowId, t: flowId + 1, ip: ip(flowId), encap: [] }] };
}

function flow(id: number, over: Partial<FlowReport> = {}): FlowReport {
  return {
    id, proto: 'icmp', initiator: { addr: parseAddress('198.18.0.2')! }, responder: { addr: parseAddress('203.0.113.2')! }, verdict: 'ok', reached: 'eth0', dropBetween: null,
    rewrites: [], ttl: [], latency: [], findings: [], packets: { request: 1, reply: 0 }, firstSeen: 0, lastSeen: 1, ...over,
  };
}

/** The trace's events for a flow's first journey: the journey, then its flow event if --filter keeps it. */
function firstJourney(ladders: LadderCollector, id: number, kept: boolean): void {
  ladders.listener({ kind: 'journey', journey: journey(id) });
  if (kept) ladders.listener({ kind: 'flow', flow: flow(id) });
}

describe('ladders for many flows', () => {
  it('are kept for the first flows the filter keeps, up to the limit, and the page says why the others have none', () => {
    const ladders = new LadderCollector(12, 8, 2);
    firstJourney(ladders, 1, true);
    firstJourney(ladders, 2, false);
    firstJourney(ladders, 3, true);
    expect(ladders.full).toBe(false);
    firstJourney(ladders, 4, true);
    expect([1, 2, 3, 4].map((id) => ladders.ladder(id) !== undefined)).toEqual([true, false, true, false]);
    expect(ladders.full).toBe(true);
    // A later journey of a flow with a ladder is drawn; one of a flow without stays out.
    ladders.listener({ kind: 'journey', journey: journey(1) });
    ladders.listener({ kind: 'journey', journey: journey(4) });
    expect(ladders.ladder(1)!.first).toHaveLength(2);
    expect(ladders.ladder(4)).toBeUndefined();
    const report: Report = { hops, flows: [flow(1), flow(3), flow(4)], summary: { packetsPerHop: [4, 4], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } };
    const html = renderHtml(report, (id) => ladders.ladder(id), { version: 'test', laddersLimitedTo: 2 });
    expect([...html.matchAll(/No ladder: ladders are drawn for the first 2 flows of the trace only\./g)]).toHaveLength(1);
    expect(html).not.toContain('not shown on this page');
  });

  it('a flow first seen unkept and kept at a later verdict change gets no ladder (its journeys would be misnumbered)', () => {
    const ladders = new LadderCollector();
    ladders.listener({ kind: 'journey', journey: journey(5) });
    ladders.listener({ kind: 'journey', journey: journey(5) });
    ladders.listener({ kind: 'flow', flow: flow(5, { packets: { request: 2, reply: 0 } }) });
    expect(ladders.ladder(5)).toBeUndefined();
  });
});

describe('a page of more flows than it shows', () => {
  it('shows the flows with a ladder and the not-ok ones, and counts the rest', () => {
    const n = MAX_PAGE_FLOWS + 500;
    const flows = Array.from({ length: n }, (_, i) => flow(i + 1, i + 1 === n - 1 ? { verdict: 'no-reply' } : {}));
    const ladders = new LadderCollector(12, 8, 3);
    for (let id = 1; id <= 5; id++) firstJourney(ladders, id, true);
    const report: Report = { hops, flows, summary: { packetsPerHop: [n, n], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } };
    const html = renderHtml(report, (id) => ladders.ladder(id), { version: 'test', laddersLimitedTo: 3 });
    const sections = [...html.matchAll(/<section class="flow verdict-([a-z-]+)" id="flow-(\d+)">/g)].map((m) => Number(m[2]));
    expect(sections).toEqual([1, 2, 3, n - 1]);
    expect(html).toContain(`<p class="not-shown">${n - 4} more flows (0 not ok) not shown on this page: the text and JSON reports list every flow.</p>`);
  });

  it('up to the limit, every flow is shown (the control)', () => {
    const flows = Array.from({ length: 5 }, (_, i) => flow(i + 1));
    const report: Report = { hops, flows, summary: { packetsPerHop: [5, 5], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: 'test' } };
    const html = renderHtml(report, () => undefined, { version: 'test' });
    expect([...html.matchAll(/<section class="flow /g)]).toHaveLength(5);
    expect(html).not.toContain('not shown');
  });
});
