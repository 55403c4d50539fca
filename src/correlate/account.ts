import { REWRITE_FIELDS, type Direction, type FieldValue, type IpPacket, type Sighting } from '../model.js';
import { fieldValue, rewrittenFields } from './rewrites.js';
import type { DirectionStats, FlowState, PendingPacket, RewriteRecord, StepStats } from './flows.js';
import { isEchoReply, isEchoRequest, TCP_RST } from './keys.js';
import type { TransitTimes } from './inflight.js';
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
  ending: boolean,
  transit?: TransitTimes,
): { vanishedBetween?: [number, number]; missedAt?: number[]; pending?: PendingPacket } {
  const last = path.size - 1;
  const increasing = (direction === 'request') === flow.outbound;
  const position = (hop: number) => (increasing ? hop : last - hop);
  const hopAt = (pos: number) => (increasing ? pos : last - pos);
  const ordered = inTravelOrder(sightings, increasing) ? sightings : [...sightings].sort((a, b) => position(a.hop) - position(b.hop));
  const first = ordered[0];
  const final = ordered[ordered.length - 1];
  const stats = direction === 'request' ? flow.request : flow.reply;

  // An error or a reset made on the path is not expected at the hops before the one it first appeared at.
  const origin = madeOnPath(flow, direction, first, last, position) ? position(first.hop) : startPosition(path, first, position);
  const terminal = endPosition(path, final, position);
  const reached = position(final.hop);
  const arrived = reached >= terminal;
  const result: { vanishedBetween?: [number, number]; missedAt?: number[]; pending?: PendingPacket } = {};
  stats.packets++;
  stats.farthest = Math.max(stats.farthest, reached);
  if (arrived) stats.arrived++;
  else if (ending) {
    result.pending = { hop: final.hop, next: hopAt(reached + 1), t: final.t, ip: first.ip };
    stats.pending.push(result.pending);
  }
  else {
    stats.vanishedAfter[final.hop]++;
    result.vanishedBetween = [final.hop, hopAt(reached + 1)];
  }
  markSeen(stats, ordered, origin, reached, hopAt, position, result);

  for (let i = 1; i < ordered.length; i++) compareStep(flow, direction, ordered[i - 1], ordered[i], transit);
  if (ordered.length === 1) noteInside(flow, first);
  if (direction === 'reply') noteComingBack(flow, first, arrived, flow.outbound ? first.hop : last - first.hop);
  else {
    noteRequest(flow, first.ip, final.t, arrived ? Infinity : reached);
    if (flow.outbound && !flow.noSnat) noteMissingSnat(path, flow, first, ordered);
  }
  if (first.t < flow.firstSeen) flow.firstSeen = first.t;
  if (final.t > flow.lastSeen) flow.lastSeen = final.t;
  flow.version++;
  return result;
}

/** An ICMP error or a reset first seen at or after the farthest hop the requests reached, on their way back. */
function madeOnPath(flow: FlowState, direction: Direction, first: Sighting, last: number, position: (hop: number) => number): boolean {
  if (direction !== 'reply' || !isErrorOrReset(first.ip) || flow.request.farthest < 0) return false;
  const requestFarthestHop = flow.outbound ? flow.request.farthest : last - flow.request.farthest;
  return position(first.hop) >= position(requestFarthestHop);
}

function isErrorOrReset(ip: IpPacket): boolean {
  const l4 = ip.l4;
  return (l4.kind === 'icmp' && l4.quoted !== undefined) || (l4.kind === 'tcp' && (l4.flags & TCP_RST) !== 0);
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

function compareStep(flow: FlowState, direction: Direction, a: Sighting, b: Sighting, transit?: TransitTimes): void {
  const rewritten = rewrittenFields(a.ip, b.ip);
  if (rewritten !== 0) noteRewrites(flow, direction, a, b, rewritten);
  if (a.encap.length > 0 || b.encap.length > 0) noteTunnelStep(flow, direction, a, b);
  const stepKey = (a.hop * 256 + b.hop) * 2 + (direction === 'request' ? 0 : 1);
  let step = flow.steps.get(stepKey);
  if (!step) {
    step = { from: a.hop, to: b.hop, direction, ttl: new Map(), samples: 0, minNs: Infinity, maxNs: -Infinity, sumNs: 0, lastFromNs: -Infinity };
    flow.steps.set(stepKey, step);
  }
  const decrement = a.ip.ttl - b.ip.ttl;
  step.ttl.set(decrement, (step.ttl.get(decrement) ?? 0) + 1);
  const latency = b.t - a.t;
  step.samples++;
  step.sumNs += latency;
  if (latency < step.minNs) step.minNs = latency;
  if (latency > step.maxNs) step.maxNs = latency;
  if (a.t > step.lastFromNs) step.lastFromNs = a.t;
  transit?.record(a.hop, b.hop, latency);
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

/** A packet coming back: an answer, or an ICMP error or reset (a rejection, or a close once answered). */
function noteComingBack(flow: FlowState, first: Sighting, arrived: boolean, requestPosition: number): void {
  const ip = first.ip;
  const l4 = ip.l4;
  if (first.t > flow.lastBack) flow.lastBack = first.t;
  if (l4.kind === 'tcp' && (l4.flags & TCP_RST) !== 0 && flow.answers > 0) {
    flow.resetClose ??= { side: 'responder', from: ip.src };
    return;
  }
  if (isErrorOrReset(ip)) {
    flow.rejections++;
    // An error quoting an echo request answers that request.
    const quoted = l4.kind === 'icmp' ? l4.quoted?.l4 : undefined;
    if (quoted?.kind === 'icmp' && quoted.seq !== undefined && isEchoRequest(quoted)) flow.echo.answered.add(quoted.seq);
    if (flow.rejection) return;
    flow.rejectionHop = first.hop;
    if (l4.kind === 'icmp') {
      flow.rejection = { kind: 'icmp-error', v6: l4.v6, type: l4.type, code: l4.code, from: ip.src, ...(l4.mtu === undefined ? {} : { mtu: l4.mtu }) };
    } else flow.rejection = { kind: 'tcp-reset', from: ip.src };
    return;
  }
  if (!arrived) return;
  flow.answers++;
  if (requestPosition > flow.turn) flow.turn = requestPosition;
  if (l4.kind === 'icmp' && l4.seq !== undefined && isEchoReply(l4)) {
    flow.echo.answered.add(l4.seq);
    const sent = flow.echo.sent.get(l4.seq);
    if (sent && first.t - sent.t > flow.echo.longestRoundTripNs) flow.echo.longestRoundTripNs = first.t - sent.t;
  }
}

/** Echo requests are remembered by sequence number; a reset from the initiator after an answer is a close. */
function noteRequest(flow: FlowState, ip: IpPacket, lastT: number, reached: number): void {
  const l4 = ip.l4;
  if (l4.kind === 'icmp' && l4.seq !== undefined && isEchoRequest(l4)) flow.echo.sent.set(l4.seq, { t: lastT, reached });
  else if (l4.kind === 'tcp' && (l4.flags & TCP_RST) !== 0 && flow.answers > 0) flow.resetClose ??= { side: 'initiator', from: ip.src };
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
