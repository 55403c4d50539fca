// explain's rules on hand-made flow sums (what correlate would have counted), one rule per
// test with the exact verdict, drop point and findings: the order of the verdict rules, blind
// hops and where a drop is placed, when partial-loss and in-flight may be said.
import { describe, expect, it } from 'vitest';
import { explainFlow, verdictOf } from '../../src/explain/explain.js';
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

const all = [1, 1, 1, 1];

describe('the verdict rules, in order', () => {
  it('answers with nothing lost: ok', () => {
    const f = flow({ answers: 2, request: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 2] }), reply: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 2] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'ok', reached: 'eth0', dropBetween: null, findings: [] });
  });

  it('a rejection with no answer: rejected, even when requests vanished', () => {
    const f = flow({ rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 1, rejections: 1, request: stats({ packets: 1, farthest: 2, seen: [1, 1, 1, 0], vanishedAfter: [0, 0, 1, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({
      verdict: 'rejected', dropBetween: null, reached: 'docker0',
      findings: [{ code: 'rejected', count: 1, side: 'path', between: ['docker0', 'eth0'], netns: 'host' }],
    });
  });

  it('a rejection after answers: not rejected (partial here, one request vanished)', () => {
    const f = flow({ answers: 1, rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 3, rejections: 1, request: stats({ packets: 2, arrived: 1, farthest: 3, seen: [2, 2, 2, 1], vanishedAfter: [0, 0, 1, 0] }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) });
    expect(verdictOf(path, f)).toBe('partial');
    expect(explainFlow(path, f).dropBetween).toEqual(['docker0', 'eth0']);
  });

  it('answers that vanished on the way back: reply-dropped between the hops, before no-reply', () => {
    const f = flow({ request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }), reply: stats({ packets: 1, farthest: 1, seen: [0, 0, 1, 1], vanishedAfter: [0, 0, 1, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'reply-dropped', dropBetween: ['docker0', 'veth1'], findings: [] });
  });

  it('requests that arrived, nothing back: no-reply', () => {
    expect(verdictOf(path, flow({ request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) }))).toBe('no-reply');
  });

  it('requests that vanished: dropped at the hop most were last seen at', () => {
    const f = flow({ request: stats({ packets: 3, farthest: 2, seen: [3, 3, 2, 0], vanishedAfter: [0, 1, 2, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'dropped', dropBetween: ['docker0', 'eth0'], reached: 'docker0', findings: [] });
  });

  it('nothing arrived and nothing vanished (all in flight): no-reply, with the in-flight count', () => {
    const f = flow({ request: stats({ packets: 2, inFlight: 2, farthest: 0, seen: [2, 0, 0, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'no-reply', reached: 'c1 eth0', findings: [{ code: 'in-flight', direction: 'request', count: 2 }] });
  });

  it('a flow never seen past its first hop reports that first hop as reached', () => {
    expect(explainFlow(path, flow({ request: stats({ packets: 1, inFlight: 1 }) })).reached).toBe('c1 eth0');
  });
});

describe('hops that did not see a flow', () => {
  it('a blind bridge is skipped when placing a drop, and said not to see the flow (with the bridge note)', () => {
    const f = flow({ request: stats({ packets: 2, farthest: 1, seen: [2, 2, 0, 0], missed: [0, 0, 1, 0], vanishedAfter: [0, 2, 0, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'dropped', dropBetween: ['veth1', 'eth0'], findings: [{ code: 'hop-not-seeing-flow', at: 'docker0', count: 1, bridge: true }] });
  });

  it('a hop that saw some of the flow and missed others is a capture gap, not blind', () => {
    const f = flow({ answers: 1, request: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 1, 2], missed: [0, 0, 1, 0] }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'ok', findings: [{ code: 'capture-gap', at: 'docker0', count: 1 }] });
  });

  it('counts misses of both directions at a hop', () => {
    const f = flow({ answers: 1, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 1, 1, 1], missed: [0, 0, 1, 0] }), reply: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 1, 2], missed: [0, 0, 2, 0] }) });
    expect(explainFlow(path, f).findings).toEqual([{ code: 'capture-gap', at: 'docker0', count: 3 }]);
  });

  it('hops past the turn that saw nothing are off the path: no finding, and requests delivered at the turn are not lost', () => {
    const f = flow({ answers: 2, turn: 2, request: stats({ packets: 2, farthest: 2, seen: [2, 2, 2, 0], vanishedAfter: [0, 0, 2, 0] }), reply: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 0], missed: [0, 0, 0, 2] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'ok', reached: 'docker0', dropBetween: null, findings: [] });
  });

  it('a hop before the turn that saw nothing is still blind', () => {
    const f = flow({ answers: 1, turn: 2, request: stats({ packets: 1, farthest: 2, seen: [1, 0, 1, 0], missed: [0, 1, 0, 0], vanishedAfter: [0, 0, 1, 0] }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: [1, 0, 1, 0], missed: [0, 1, 0, 1] }) });
    expect(explainFlow(path, f).findings).toEqual([{ code: 'hop-not-seeing-flow', at: 'veth1', count: 2, bridge: false }]);
  });
});

describe('what may be said beside the verdict', () => {
  it('partial-loss only when some got through: 1 of 3 requests', () => {
    const f = flow({ answers: 2, request: stats({ packets: 3, arrived: 2, farthest: 3, seen: [3, 3, 3, 2], vanishedAfter: [0, 0, 1, 0] }), reply: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 2] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'partial', findings: [{ code: 'partial-loss', direction: 'request', count: 1, of: 3, between: ['docker0', 'eth0'] }] });
  });

  it('replies lost while others came back: partial, with a reply partial-loss placed on the way back', () => {
    const f = flow({ answers: 1, request: stats({ packets: 2, arrived: 2, farthest: 3, seen: [2, 2, 2, 2] }), reply: stats({ packets: 2, arrived: 1, farthest: 3, seen: [1, 2, 2, 2], vanishedAfter: [0, 1, 0, 0] }) });
    expect(explainFlow(path, f)).toMatchObject({ verdict: 'partial', dropBetween: ['veth1', 'c1 eth0'], findings: [{ code: 'partial-loss', direction: 'reply', count: 1, of: 2, between: ['veth1', 'c1 eth0'] }] });
  });

  it('unanswered echoes and those awaiting an answer are said only beside answers that came', () => {
    const base = { request: stats({ packets: 3, arrived: 3, farthest: 3, seen: [3, 3, 3, 3], unanswered: 1, awaiting: 1 }) };
    expect(explainFlow(path, flow(base)).findings).toEqual([]);
    const answered = flow({ ...base, answers: 1, reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) });
    expect(explainFlow(path, answered)).toMatchObject({
      verdict: 'partial',
      findings: [{ code: 'unanswered', count: 1, of: 3, beyond: 'eth0' }, { code: 'in-flight', direction: 'request', count: 1, beyond: 'eth0' }],
    });
  });

  it('no-snat only when nothing came back', () => {
    const noSnat = { hop: 3, src: parseAddress('198.18.0.2')! };
    expect(explainFlow(path, flow({ noSnat, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) })).findings).toEqual([{ code: 'no-snat', at: 'eth0', src: noSnat.src }]);
    expect(explainFlow(path, flow({ noSnat, answers: 1, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) })).findings).toEqual([]);
  });

  it('an error from the hop owning its source at the path end came from that hop; from elsewhere, beyond it', () => {
    const gateway = parseAddress('203.0.113.1')!;
    const owned = new PathModel(DOCKER_PATH.map((h) => (h.role === 'uplink' ? { ...h, role: 'bridge' as const } : h)));
    const base = { rejectionHop: 3, rejections: 1, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) };
    expect(explainFlow(owned, flow({ ...base, rejection: { kind: 'icmp-error', v6: false, type: 3, code: 3, from: gateway } })).findings).toMatchObject([{ side: 'destination', at: 'eth0' }]);
    expect(explainFlow(path, flow({ ...base, rejection: { kind: 'icmp-error', v6: false, type: 3, code: 3, from: gateway } })).findings).toMatchObject([{ side: 'beyond', beyond: 'eth0' }]);
  });

  it('an answer made between hops of different namespaces names no namespace', () => {
    const f = flow({ rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 0, rejections: 1, request: stats({ packets: 1, farthest: 0, seen: [1, 0, 0, 0], vanishedAfter: [1, 0, 0, 0] }) });
    expect(explainFlow(path, f).findings).toEqual([{ code: 'rejected', count: 1, side: 'path', between: ['c1 eth0', 'veth1'], answer: { kind: 'tcp-reset', from: OUT } }]);
  });
});

describe('where a drop is placed', () => {
  it('requests lost at the first hop: dropped between it and the next (hop 0 can be the worst)', () => {
    const f = flow({ request: stats({ packets: 3, farthest: 1, seen: [3, 1, 0, 0], vanishedAfter: [2, 1, 0, 0] }) });
    expect(explainFlow(path, f).dropBetween).toEqual(['c1 eth0', 'veth1']);
  });

  it('the hop most were last seen at, not a later one with fewer', () => {
    const f = flow({ request: stats({ packets: 3, farthest: 2, seen: [3, 3, 1, 0], vanishedAfter: [0, 2, 1, 0] }) });
    expect(explainFlow(path, f).dropBetween).toEqual(['veth1', 'docker0']);
  });

  it('a hop that simply saw nothing after the drop is not skipped as blind', () => {
    const f = flow({ request: stats({ packets: 1, farthest: 1, seen: [1, 1, 0, 0], vanishedAfter: [0, 1, 0, 0] }) });
    expect(explainFlow(path, f).dropBetween).toEqual(['veth1', 'docker0']);
  });

  it('the answer placed past where the request was last seen when it appeared farther on', () => {
    const f = flow({ rejection: { kind: 'tcp-reset', from: OUT }, rejectionHop: 2, rejections: 1, request: stats({ packets: 1, farthest: 1, seen: [1, 1, 0, 0], missed: [0, 0, 0, 0], vanishedAfter: [0, 1, 0, 0] }) });
    expect(explainFlow(path, f).findings).toMatchObject([{ code: 'rejected', side: 'path', between: ['docker0', 'eth0'] }]);
  });
});

describe('the order of rewrites, TTL steps and latencies does not depend on the order they were met', () => {
  const step = (from: number, to: number, direction: 'request' | 'reply', ttl: number[]) => ({
    from, to, direction, ttl: new Map(ttl.map((t) => [t, 1])), samples: 1, minNs: 1000, maxNs: 1000, sumNs: 1000, lastFromNs: 0,
  });
  it('requests first in travel order, then replies in their travel order; TTL decrements ascending', () => {
    const steps = new Map<number, ReturnType<typeof step>>([
      [1, step(3, 2, 'reply', [1])], [2, step(2, 3, 'request', [1, 0])], [3, step(0, 1, 'request', [0])], [4, step(1, 0, 'reply', [0])],
    ]);
    const rw = (from: number, to: number, direction: 'request' | 'reply', field: 'src' | 'dst') => ({ from, to, direction, field, before: 1, after: 2 });
    const rewrites = new Map([[1, [rw(3, 2, 'reply', 'dst')]], [2, [rw(2, 3, 'request', 'src')]], [3, [rw(1, 2, 'request', 'dst')]]]);
    const report = explainFlow(path, flow({ steps, rewrites } as unknown as Partial<FlowState>));
    expect(report.ttl.map((t) => `${t.direction} ${t.between.join('>')} ${t.decrement}`)).toEqual([
      'request c1 eth0>veth1 0', 'request docker0>eth0 0', 'request docker0>eth0 1', 'reply eth0>docker0 1', 'reply veth1>c1 eth0 0',
    ]);
    expect(report.latency.map((l) => `${l.direction} ${l.between.join('>')}`)).toEqual(['request c1 eth0>veth1', 'request docker0>eth0', 'reply eth0>docker0', 'reply veth1>c1 eth0']);
    expect(report.rewrites.map((r) => `${r.direction} ${r.between.join('>')} ${r.field}`)).toEqual(['request veth1>docker0 dst', 'request docker0>eth0 src', 'reply eth0>docker0 dst']);
  });
});

describe('what the verdict already says is not said again', () => {
  it('replies all lost: reply-dropped, no partial-loss for them; requests partly lost still said', () => {
    const f = flow({ request: stats({ packets: 2, arrived: 1, farthest: 3, seen: [2, 2, 2, 1], vanishedAfter: [0, 0, 1, 0] }), reply: stats({ packets: 1, farthest: 0, seen: [0, 0, 0, 1], vanishedAfter: [0, 0, 0, 1] }) });
    expect(explainFlow(path, f)).toMatchObject({
      verdict: 'reply-dropped', dropBetween: ['eth0', 'docker0'],
      findings: [{ code: 'partial-loss', direction: 'request', count: 1, of: 2, between: ['docker0', 'eth0'] }],
    });
  });

  it('no missing-SNAT warning beside an ICMP error that came back', () => {
    const f = flow({ noSnat: { hop: 3, src: parseAddress('198.18.0.2')! }, rejection: { kind: 'icmp-error', v6: false, type: 3, code: 1, from: OUT }, rejectionHop: 3, rejections: 1, request: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }), reply: stats({ packets: 1, arrived: 1, farthest: 3, seen: all }) });
    expect(explainFlow(path, f).findings.map((x) => x.code)).toEqual(['rejected']);
  });
});
