// Where a packet went into or came out of a tunnel: the one home of that rule.
import type { Direction, Encap, Sighting } from '../model.js';
import { hopPairKey, type FlowState, type TunnelRecord } from './flows.js';
export type { TunnelRecord } from './flows.js';

type Tunnel = Extract<Encap, { kind: 'vxlan' }>;

/** The tunnel a sighting's packet was inside (the outermost: the one its hop's capture saw around it). */
export function tunnelOf(s: Sighting): Tunnel | undefined {
  for (const layer of s.encap) if (layer.kind === 'vxlan') return layer;
  return undefined;
}

/**
 * Notes what the tunnel did between two consecutive sightings of one packet: bare at one hop
 * and inside the tunnel at the next is encapsulation (the other way round, decapsulation).
 * The carrier's source port is a hash of the inner flow, so it is no part of the record.
 */
export function noteTunnelStep(flow: FlowState, direction: Direction, a: Sighting, b: Sighting): void {
  const outerA = tunnelOf(a);
  const outerB = tunnelOf(b);
  if (outerA) flow.insideAt |= bit(a.hop);
  if (outerB) flow.insideAt |= bit(b.hop);
  if ((outerA === undefined) === (outerB === undefined)) return;
  const key = hopPairKey(a.hop, b.hop);
  if (flow.tunnels.has(key)) return;
  flow.tunnels.set(key, { from: a.hop, to: b.hop, direction, tunnel: (outerB ?? outerA)!, entered: outerB !== undefined });
}

/** Marks a lone sighting (a packet seen at one hop only) inside the tunnel. */
export function noteInside(flow: FlowState, s: Sighting): void {
  if (tunnelOf(s)) flow.insideAt |= bit(s.hop);
}

/** Hops past 30 are not tracked: paths that long do not occur in a tunnel trace. */
function bit(hop: number): number {
  return hop < 31 ? 1 << hop : 0;
}
