// Tunnels and clocks across hosts as the report states them (src/explain/tunnels.ts): a latency
// between two hosts only to the clocks' agreement, none without a measured offset, unchanged on
// one host; tunnel steps in travel order, requests first, with the carrier's fields.
import { describe, expect, it } from 'vitest';
import { acrossHosts, tunnelsOf } from '../../src/explain/tunnels.js';
import type { FlowSummary, TunnelRecord } from '../../src/correlate/flows.js';
import type { Hop, LatencyStep } from '../../src/model.js';
import { parseAddress } from '../../src/addresses.js';

const step: LatencyStep = { between: ['a', 'b'], direction: 'request', samples: 3, minUs: 13, avgUs: -3, maxUs: 100 };
const hop = (o: Partial<Hop>): Hop => ({ name: 'h', role: 'other', addrs: [], ...o });

describe('acrossHosts', () => {
  it('passes a step on one host, or in a trace that names no hosts, unchanged', () => {
    expect(acrossHosts(step, hop({}), hop({}))).toBe(step);
    expect(acrossHosts(step, hop({ host: 'h1' }), hop({}))).toBe(step);
    expect(acrossHosts(step, hop({}), hop({ host: 'h2' }))).toBe(step);
    expect(acrossHosts(step, hop({ host: 'h1' }), hop({ host: 'h1' }))).toBe(step);
  });

  it('gives no step between two hosts when either clock offset is not measured', () => {
    expect(acrossHosts(step, hop({ host: 'h1', clockUncertaintyUs: 2 }), hop({ host: 'h2' }))).toBeUndefined();
    expect(acrossHosts(step, hop({ host: 'h1' }), hop({ host: 'h2', clockUncertaintyUs: 2 }))).toBeUndefined();
  });

  it('rounds the figures to the summed uncertainty (whole microseconds, at least 1), never to -0', () => {
    const rounded = acrossHosts(step, hop({ host: 'h1', clockUncertaintyUs: 3.2 }), hop({ host: 'h2', clockUncertaintyUs: 4 }));
    expect(rounded).toEqual({ ...step, minUs: 16, avgUs: 0, maxUs: 104, uncertaintyUs: 8 });
    expect(Object.is(rounded!.avgUs, -0)).toBe(false);
    expect(acrossHosts({ ...step, minUs: 1.4, avgUs: 2.6, maxUs: -7.5 }, hop({ host: 'h1', clockUncertaintyUs: 0.1 }), hop({ host: 'h2', clockUncertaintyUs: 0.2 }))).toEqual({
      ...step, minUs: 1, avgUs: 3, maxUs: -7, uncertaintyUs: 1,
    });
    expect(acrossHosts(step, hop({ host: 'h1', clockUncertaintyUs: 0 }), hop({ host: 'h2', clockUncertaintyUs: 0 }))).toMatchObject({ uncertaintyUs: 1, minUs: 13, avgUs: -3, maxUs: 100 });
  });
});

const carrier = (vni: number) => ({ kind: 'vxlan' as const, vni, src: parseAddress('198.19.0.1')!, dst: parseAddress('198.19.0.2')!, sport: 51000, dport: 4789 });
const record = (from: number, to: number, direction: 'request' | 'reply', entered: boolean, vni = 4097): TunnelRecord => ({ from, to, direction, tunnel: carrier(vni), entered });
const names = ['c1 eth0', 'vxlan0', 'ens3', 'ens3@h2', 'vxlan0@h2', 'c2 eth0'];

function flow(tunnels: TunnelRecord[], insideAt: number, outbound = true): FlowSummary {
  return { tunnels: new Map(tunnels.map((t, i) => [i, t])), insideAt, outbound } as unknown as FlowSummary;
}

describe('tunnelsOf', () => {
  it('nothing for a flow that crossed no tunnel', () => {
    expect(tunnelsOf(flow([], 0), names)).toBeUndefined();
  });

  it('the hops that saw it inside the tunnel, even without a step', () => {
    expect(tunnelsOf(flow([], 0b001100), names)).toEqual({ steps: [], insideAt: ['ens3', 'ens3@h2'] });
  });

  it('requests first in their travel order, then replies in theirs, with the carrier and what happened', () => {
    const t = tunnelsOf(flow([record(4, 3, 'reply', true), record(3, 4, 'request', false), record(1, 2, 'request', true), record(2, 1, 'reply', false)], 0b001100), names)!;
    expect(t.steps.map((s) => `${s.direction} ${s.between.join('>')} ${s.action}`)).toEqual([
      'request vxlan0>ens3 encapsulated',
      'request ens3@h2>vxlan0@h2 decapsulated',
      'reply vxlan0@h2>ens3@h2 encapsulated',
      'reply ens3>vxlan0 decapsulated',
    ]);
    expect(t.steps[0]).toEqual({ between: ['vxlan0', 'ens3'], direction: 'request', kind: 'vxlan', vni: 4097, outer: { src: '198.19.0.1', dst: '198.19.0.2', dport: 4789 }, action: 'encapsulated' });
  });

  it('an inbound flow\'s requests travel toward lower hops: ordered that way', () => {
    const t = tunnelsOf(flow([record(2, 1, 'request', false), record(4, 3, 'request', true), record(1, 2, 'reply', true), record(3, 4, 'reply', false)], 0, false), names)!;
    expect(t.steps.map((s) => `${s.direction} ${s.between.join('>')}`)).toEqual(['request vxlan0@h2>ens3@h2', 'request ens3>vxlan0', 'reply vxlan0>ens3', 'reply ens3@h2>vxlan0@h2']);
    expect(t.insideAt).toEqual([]);
  });

  it('hops past the 31st are not tracked as inside', () => {
    const many = Array.from({ length: 33 }, (_, i) => `h${i}`);
    expect(tunnelsOf(flow([], (1 << 30) | 1), many)!.insideAt).toEqual(['h0', 'h30']);
  });
});
