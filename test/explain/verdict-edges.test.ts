// explain's rules at their edges, on hand-made flow sums (as test/explain/verdict-rules.test.ts):
// a tie between two hops when placing a drop, a flow that turns back at its first hop, the
// order of steps of an inbound flow and of two steps from one hop, what the verdict already
// says of vanished replies, a rejection that vanished on its way back, and a finding that names
// no namespace having no netns field at all.
import { describe, expect, it } from 'vitest';
import { explainFlow } from '../../src/explain/explain.js';
import { PathModel } from '../../src/correlate/path.js';
import type { DirectionStats, FlowState } from '../../src/correlate/flows.js';
import { parseAddress } from '../../src/addresses.js';
import { DOCKER_PATH } from '../correlate/path-builders.js';

const path = new PathModel(DOCKER_PATH.map((h) => ({ ...h, netns: h.role === 'container' ? 'container:c1' : 'host' })));
const OUT = parseAddress('203.0.113.2')!;

function stats(o: Partial<DirectionStats> = {}): DirectionStats {
  return { packets: 0, arrived: 0, inFlight: 0, vanishedAfter: [0, 0, 0, 0], seen: [0, 0, 0, 0], missed: [0, 0, 0, 0], farthest: -1, pending: [], unanswered: 0, awaiting: 0, ...o };
}

function flow(o: Partial<FlowState>): FlowState {
  return {
    key: 1, publicId: 1, proto: 'icmp', initiator: { addr: parseAddress('198.18.0.2')! }, responder: { addr: OUT }, outbound: true,
    endpointsAt: new Map(), sampleAt: new Map(), request: stats(), reply: stats(), rewrites: new Map(), steps: new Map(), tunnels: new Map(), insideAt: 0,
    rejections: 0, answers: 0, turn: -1, lastBack: -Infinity, echo: { sent: new Map(), answered: new Set(), longestRoundTripNs: 0 },
    firstSeen: 0, lastSeen: 0, version: 0, ...o,
  } as FlowState;
}

describe('placing a drop', () => {
  it('a tie between two hops goes to the first in travel order', () => {
    const f = flow({ request: stats({ packets: 2, farthest: 2, seen: [2, 2, 1, 0], vanishedAfter: [0, 1, 1, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'dropped', dropBetween: ['veth1', 'docker0'] });
  });

  it('for an inbound flow, a tie goes to the first hop the requests crossed (the uplink side)', () => {
    const f = flow({ outbound: false, request: stats({ packets: 2, farthest: 2, seen: [0, 1, 2, 2], vanishedAfter: [0, 1, 1, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'dropped', dropBetween: ['docker0', 'veth1'], reached: 'veth1' });
  });
});

describe('a flow that turns back at its first hop', () => {
  it('hops past the turn that saw nothing are off its path, not blind', () => {
    const f = flow({ answers: 1, turn: 0, request: stats({ packets: 1, farthest: 0, seen: [1, 0, 0, 0], missed: [0, 1, 0, 0] }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 0, 0, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'ok', reached: 'c1 eth0', findings: [] });
  });

  it('with no turn, the same hop is blind', () => {
    const f = flow({ answers: 1, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 0, 1, 1], missed: [0, 1, 0, 0] }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 0, 1, 1] }) });
    expect(explainFlow(path, f).findings).toEqual([{ code: 'hop-not-seeing-flow', at: 'veth1', count: 1, bridge: false }]);
  });
});

describe('the order of steps', () => {
  const step = (from: number, to: number, direction: 'request' | 'reply') => ({ from, to, direction, ttl: new Map([[0, 1]]), samples: 1, minNs: 1000, maxNs: 1000, sumNs: 1000, lastFromNs: 0 });
  const order = (f: FlowState) => explainFlow(path, f).latency.map((l) => `${l.direction} ${l.between.join('>')}`);

  it('an inbound flow: requests from the uplink down, replies back up, whatever order they were met in', () => {
    const steps = [step(3, 2, 'request'), step(1, 0, 'request'), step(2, 1, 'request'), step(0, 1, 'reply'), step(2, 3, 'reply'), step(1, 2, 'reply')];
    const want = ['request eth0>docker0', 'request docker0>veth1', 'request veth1>c1 eth0', 'reply c1 eth0>veth1', 'reply veth1>docker0', 'reply docker0>eth0'];
    expect(order(flow({ outbound: false, steps: new Map(steps.map((s, i) => [i, s])) } as Partial<FlowState>))).toEqual(want);
    expect(order(flow({ outbound: false, steps: new Map([...steps].reverse().map((s, i) => [i, s])) } as Partial<FlowState>))).toEqual(want);
  });

  it('two rewrites from one hop (one packet not seen at the next hop) in order of the hop they reached', () => {
    const rw = (to: number) => ({ from: 1, to, direction: 'request' as const, field: 'dst' as const, before: 1, after: 2 });
    for (const given of [[rw(3), rw(2)], [rw(2), rw(3)]]) {
      const report = explainFlow(path, flow({ rewrites: new Map(given.map((r, i) => [i, [r]])) } as unknown as Partial<FlowState>));
      expect(report.rewrites.map((r) => r.between.join('>'))).toEqual(['veth1>docker0', 'veth1>eth0']);
    }
  });
});

describe('what the verdict already says of replies', () => {
  it('replies that vanished while another is still on its way: reply-dropped, no partial-loss of replies', () => {
    const f = flow({
      request: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 2] }),
      reply: stats({ packets: 2, inFlight: 1, farthest: 1, seen: [0, 0, 1, 2], vanishedAfter: [0, 0, 1, 0] }),
    });
    expect(explainFlow(path, f)).toMatchObject({
      verdict: 'reply-dropped', dropBetween: ['docker0', 'veth1'],
      findings: [{ code: 'in-flight', direction: 'reply', count: 1 }],
    });
    expect(explainFlow(path, f).findings).toHaveLength(1);
  });

  it('a rejection that vanished on its way back: rejected; 1 of 1 is no partial loss', () => {
    const f = flow({
      rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 2, rejections: 1,
      request: stats({ packets: 1, farthest: 2, seen: [1, 1, 1, 0], vanishedAfter: [0, 0, 1, 0] }),
      reply: stats({ packets: 1, farthest: 1, seen: [0, 0, 1, 0], vanishedAfter: [0, 0, 1, 0] }),
    });
    expect(explainFlow(path, f).findings.map((x) => x.code)).toEqual(['rejected']);
    expect(explainFlow(path, f).verdict).toBe('rejected');
  });
});

describe('what the verdict already says of requests', () => {
  it('rejected, with one of two requests vanished on the way: the rejection says it, no partial-loss', () => {
    const f = flow({
      rejection: { kind: 'icmp-error', v6: false, type: 3, code: 3, from: OUT }, rejectionHop: 3, rejections: 1,
      request: stats({ packets: 2, arrived: 1, farthest: 3, seen: [2, 2, 2, 1], vanishedAfter: [0, 0, 1, 0] }),
      reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 1, 1, 1] }),
    });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'rejected', findings: [{ code: 'rejected', side: 'beyond', beyond: 'eth0' }] });
    expect(explainFlow(path, f).findings).toHaveLength(1);
  });
});

describe('the shape of a finding', () => {
  it('an answer made between hops of different namespaces has no netns field', () => {
    const f = flow({ rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 0, rejections: 1, request: stats({ packets: 1, farthest: 0, seen: [1, 0, 0, 0], vanishedAfter: [1, 0, 0, 0] }) });
    expect(explainFlow(path, f).findings).toStrictEqual([{ code: 'rejected', count: 1, answer: { kind: 'tcp-reset', from: OUT }, side: 'path', between: ['c1 eth0', 'veth1'] }]);
  });

  it('between two hops of one namespace, that namespace', () => {
    const f = flow({ rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 2, rejections: 1, request: stats({ packets: 1, farthest: 2, seen: [1, 1, 1, 0], vanishedAfter: [0, 0, 1, 0] }) });
    expect(explainFlow(path, f).findings).toStrictEqual([{ code: 'rejected', count: 1, answer: { kind: 'tcp-reset', from: OUT }, side: 'path', between: ['docker0', 'eth0'], netns: 'host' }]);
  });
});
