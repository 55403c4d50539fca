import { REWRITE_FIELDS, type Direction, type FieldValue, type IpPacket, type Sighting } from '../model.js';
import { fieldValue, rewrittenFields } from './rewrites.js';
import type { DirectionStats, FlowState, RewriteRecord, StepStats } from './flows.js';
import { TCP_RST } from './keys.js';
import { sourceNeedsSnat } from '../addresses.js';
import type { PathModel } from './path.js';
import { noteInside, noteTunnelStep, tunnelOf } from './tunnels.js';

/**
 * Adds one settled journey to its flow: how far it got, where it vanished or was not seen,
 * and what changed between each two hops it was seen at.
 */
export function accountJourney(
  path: PathModel,
  flow: FlowState,
  direction: Direction,
  sightings: Sighting[],
  inFlight: boolean,
): { vanishedBetween?: [number, number]; missedAt?: number[] } {
  const last = path.size - 1;
  const increasing = (direction === 'request') === flow.outbound;
  const position = (hop: number) => (increasing ? hop : last - hop);
  const hopAt = (pos: number) => (increasing ? pos : last - pos);
  const ordered = inTravelOrder(sightings, increasing) ? sightings : [...sightings].sort((a, b) => position(a.hop) - position(b.hop));
  const first = ordered[0];
  const final = ordered[ordered.length - 1];
  const stats = direction === 'request' ? flow.request : flow.reply;

  const origin = startPosition(path, first, position);
  const terminal = endPosition(path, final, position);
  const reached = position(final.hop);
  const result: { vanishedBetween?: [number, number]; missedAt?: number[] } = {};
  stats.packets++;
  stats.farthest = Math.max(stats.farthest, reached);
  if (reached >= terminal) stats.arrived++;
  else if (inFlight) stats.inFlight++;
  else {
    stats.vanishedAfter[final.hop]++;
    result.vanishedBetween = [final.hop, hopAt(reached + 1)];
  }
  markSeen(stats, ordered, origin, reached, hopAt, position, result);

  for (let i = 1; i < ordered.length; i++) compareStep(flow, direction, ordered[i - 1], ordered[i]);
  if (ordered.length === 1) noteInside(flow, first);
  if (direction === 'reply') noteRejection(flow, first.ip);
  else if (flow.outbound && !flow.noSnat) noteMissingSnat(path, flow, first, ordered);
  if (first.t < flow.firstSeen) flow.firstSeen = first.t;
  if (final.t > flow.lastSeen) flow.lastSeen = final.t;
  flow.version++;
  return result;
}

/** Where the packet should first have been seen: the path's start, or the hop that owns its source. */
function startPosition(path: PathModel, first: Sighting, position: (hop: number) => number): number {
  const owner = path.hopOwning(first.ip.src);
  return owner !== undefined && owner === first.hop ? position(first.hop) : 0;
}

/** Where the packet's travel ends: the path's far end, or the hop that owns its destination. */
function endPosition(path: PathModel, final: Sighting, position: (hop: number) => number): number {
  const owner = path.hopOwning(final.ip.dst);
  return owner !== undefined ? Math.min(position(owner), path.size - 1) : path.size - 1;
}

function markSeen(
  stats: DirectionStats,
  ordered: Sighting[],
  origin: number,
  reached: number,
  hopAt: (pos: number) => number,
  position: (hop: number) => number,
  result: { missedAt?: number[] },
): void {
  let next = 0;
  for (let pos = Math.min(origin, position(ordered[0].hop)); pos <= reached; pos++) {
    const hop = hopAt(pos);
    if (next < ordered.length && ordered[next].hop === hop) {
      stats.seen[hop]++;
      next++;
    } else {
      stats.missed[hop]++;
      (result.missedAt ??= []).push(hop);
    }
  }
}

function inTravelOrder(sightings: Sighting[], increasing: boolean): boolean {
  for (let i = 1; i < sightings.length; i++) {
    if (increasing ? sightings[i].hop < sightings[i - 1].hop : sightings[i].hop > sightings[i - 1].hop) return false;
  }
  return true;
}

function compareStep(flow: FlowState, direction: Direction, a: Sighting, b: Sighting): void {
  const rewritten = rewrittenFields(a.ip, b.ip);
  if (rewritten !== 0) noteRewrites(flow, direction, a, b, rewritten);
  if (a.encap.length > 0 || b.encap.length > 0) noteTunnelStep(flow, direction, a, b);
  const stepKey = (a.hop * 256 + b.hop) * 2 + (direction === 'request' ? 0 : 1);
  let step = flow.steps.get(stepKey);
  if (!step) {
    step = { from: a.hop, to: b.hop, direction, ttl: new Map(), samples: 0, minNs: Infinity, maxNs: -Infinity, sumNs: 0 };
    flow.steps.set(stepKey, step);
  }
  const decrement = a.ip.ttl - b.ip.ttl;
  step.ttl.set(decrement, (step.ttl.get(decrement) ?? 0) + 1);
  const latency = b.t - a.t;
  step.samples++;
  step.sumNs += latency;
  if (latency < step.minNs) step.minNs = latency;
  if (latency > step.maxNs) step.maxNs = latency;
}

/** Each field rewrittenFields found changed, noted as a rewrite of this step. */
function noteRewrites(flow: FlowState, direction: Direction, a: Sighting, b: Sighting, rewritten: number): void {
  for (let i = 0; i < REWRITE_FIELDS.length; i++) {
    if ((rewritten & (1 << i)) === 0) continue;
    const field = REWRITE_FIELDS[i]!;
    noteRewrite(flow, direction, a.hop, b.hop, i, field, fieldValue(a.ip, field)!, fieldValue(b.ip, field)!);
  }
}

/** Keeps each distinct rewrite once; looked up without building a string, as NAT rewrites nearly every packet. */
function noteRewrite(
  flow: FlowState,
  direction: Direction,
  from: number,
  to: number,
  fieldBit: number,
  field: RewriteRecord['field'],
  before: FieldValue,
  after: FieldValue,
): void {
  const key = ((from * 256 + to) * 2 + (direction === 'request' ? 0 : 1)) * 8 + fieldBit;
  const seen = flow.rewrites.get(key);
  if (seen?.some((r) => r.before === before && r.after === after)) return;
  const record = { from, to, direction, field, before, after };
  if (seen) seen.push(record);
  else flow.rewrites.set(key, [record]);
}

function noteRejection(flow: FlowState, ip: IpPacket): void {
  if (flow.rejection) return;
  const l4 = ip.l4;
  if (l4.kind === 'icmp' && l4.quoted) flow.rejection = { kind: 'icmp-error', v6: l4.v6, type: l4.type, code: l4.code, from: ip.src };
  else if (l4.kind === 'tcp' && (l4.flags & TCP_RST) !== 0) flow.rejection = { kind: 'tcp-reset', from: ip.src };
}

/** A request that leaves by the uplink still carrying the container's private source. */
function noteMissingSnat(path: PathModel, flow: FlowState, first: Sighting, ordered: Sighting[]): void {
  for (const s of ordered) {
    // Inside a tunnel the packet leaves with the host's own address on the carrier.
    if (!path.uplinks.has(s.hop) || s === first || tunnelOf(s)) continue;
    if (s.ip.src === first.ip.src && sourceNeedsSnat(s.ip.src, path.subnets)) {
      flow.noSnat = { hop: s.hop, src: s.ip.src };
    }
  }
}
