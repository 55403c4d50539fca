import { REWRITE_FIELDS, type Direction, type FieldValue, type IpPacket, type L4, type Sighting } from '../model.js';
import { fieldValue, rewrittenFields } from './rewrites.js';
import { hopPairKey, type DirectionStats, type FlowState, type PendingPacket, type RewriteRecord, type SentEcho } from './flows.js';
import { echoReplySeq, echoRequestSeq, isIcmpError, quotedOf, TCP_RST } from './keys.js';
import { countNotCaptured, type TransitTimes } from './inflight.js';
import { sourceNeedsSnat } from '../addresses.js';
import type { PathModel } from './path.js';
import { noteInside, noteTunnelStep, tunnelOf } from './tunnels.js';

/** What accountJourney found about one journey, for the journey event. */
export interface JourneyOutcome {
  vanishedBetween?: [number, number];
  missedAt?: number[];
  /** Not at its end when the trace ended: judged in flight or vanished by concludeFlow. */
  pending?: PendingPacket;
}

/** Most journeys arrive seen everywhere: they share this empty outcome. */
const NOTHING_TO_SAY: JourneyOutcome = Object.freeze({});

/**
 * Where a hop lies along a packet's travel (0: where it started), and the other way round:
 * travelling down the path (increasing) a hop's position is its index, travelling up it is
 * counted from the last hop. A plain function of numbers, not a closure made per journey.
 */
function travel(increasing: boolean, last: number, hopOrPosition: number): number {
  return increasing ? hopOrPosition : last - hopOrPosition;
}

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
  transit: TransitTimes,
): JourneyOutcome {
  const last = path.size - 1;
  const increasing = (direction === 'request') === flow.outbound;
  const ordered = inTravelOrder(sightings, increasing, last);
  const first = ordered[0];
  const final = ordered[ordered.length - 1];
  const stats = direction === 'request' ? flow.request : flow.reply;

  // An error or a reset made on the path is not expected at the hops before the one it first appeared at.
  const origin = madeOnPath(flow, direction, first, last, increasing) ? travel(increasing, last, first.hop) : startPosition(path, first, increasing, last);
  const terminal = endPosition(path, final, increasing, last);
  // An echo request whose answer was seen coming from farther along crossed the hops between: they missed it in capture.
  // (-1 for a reply: it is never an echo request.)
  const answeredFrom = answeredPosition(flow, first.ip);
  const reached = Math.max(travel(increasing, last, final.hop), Math.min(answeredFrom, terminal));
  const arrived = reached >= terminal;
  stats.packets++;
  stats.farthest = Math.max(stats.farthest, reached);
  let result = NOTHING_TO_SAY;
  let short: SentEcho['short'];
  if (arrived) stats.arrived++;
  else {
    const hop = travel(increasing, last, reached);
    result = notArrived(flow, stats, hop, travel(increasing, last, reached + 1), final.t, first.ip, ending, transit);
    if (result.pending || result.vanishedBetween) short = { hop, end: terminal, ...(result.pending ? { pending: result.pending } : {}) };
  }
  const missedAt = markSeen(stats, ordered, origin, reached, increasing, last);
  if (missedAt) result = { ...result, missedAt };

  for (let i = 1; i < ordered.length; i++) compareStep(flow, direction, ordered[i - 1], ordered[i], transit);
  if (ordered.length === 1) noteInside(flow, first);
  if (direction === 'reply') noteComingBack(flow, first, arrived, flow.outbound ? first.hop : last - first.hop, last);
  else {
    noteRequest(flow, first.ip, final.t, arrived ? Infinity : reached, short);
    if (flow.outbound && !flow.noSnat) noteMissingSnat(path, flow, first, ordered);
  }
  flow.firstSeen = Math.min(flow.firstSeen, first.t);
  flow.lastSeen = Math.max(flow.lastSeen, final.t);
  flow.version++;
  return result;
}

/** A packet last seen (or, answered, known to have got) as far as `hop`, short of its travel's end: pending at the end of the trace, not captured at `next`, or vanished. */
function notArrived(
  flow: FlowState,
  stats: DirectionStats,
  hop: number,
  next: number,
  t: number,
  ip: IpPacket,
  ending: boolean,
  transit: TransitTimes,
): JourneyOutcome {
  if (ending) {
    const pending: PendingPacket = { hop, next, t, ip };
    stats.pending.push(pending);
    return { pending };
  }
  if (transit.ends.missed(hop, next, t)) {
    countNotCaptured(stats, next);
    return NOTHING_TO_SAY;
  }
  stats.vanishedAfter[hop]++;
  transit.ends.noteVanished(flow, stats, hop, next, t);
  return { vanishedBetween: [hop, next] };
}

/** The request-order position an answer to this echo request was first seen at (-1: none yet, or not an echo request). */
function answeredPosition(flow: FlowState, ip: IpPacket): number {
  const seq = echoRequestSeq(ip.l4);
  return seq === undefined ? -1 : (flow.echo.answeredFrom?.get(seq) ?? -1);
}

/**
 * An answer to echo request `seq` first seen at request-order `position`. If that request was
 * already counted short of there (its journey settled before the answer's), it was not lost
 * there: it crossed the hops up to `position` unseen, and got that far.
 */
function answerSeenFrom(flow: FlowState, seq: number, position: number, last: number): void {
  const from = (flow.echo.answeredFrom ??= new Map());
  from.set(seq, Math.max(from.get(seq) ?? -1, position));
  // (An answer from no farther than an earlier one finds the request already taken back that far.)
  const sent = flow.echo.sent.get(seq);
  if (!sent?.short || position <= sent.reached) return;
  const short = sent.short;
  const stats = flow.request;
  const to = Math.min(position, short.end);
  const hopAt = (pos: number) => (flow.outbound ? pos : last - pos);
  for (let pos = sent.reached + 1; pos <= to; pos++) stats.missed[hopAt(pos)]++;
  stats.farthest = Math.max(stats.farthest, to);
  if (short.pending) stats.pending.splice(stats.pending.indexOf(short.pending), 1);
  else stats.vanishedAfter[short.hop]--;
  if (to >= short.end) {
    stats.arrived++;
    sent.reached = Infinity;
    sent.short = undefined;
    return;
  }
  sent.reached = to;
  short.hop = hopAt(to);
  if (!short.pending) stats.vanishedAfter[short.hop]++;
  else {
    short.pending.hop = short.hop;
    short.pending.next = hopAt(to + 1);
    stats.pending.push(short.pending);
  }
}

/**
 * The sightings sorted by travel position: the journey's own array when they already are (most
 * journeys), else a copy, since the journey keeps its time order for the views. An insertion
 * sort: a journey has a few sightings (at distinct hops), and the built-in sort allocates more
 * than the copy.
 */
function inTravelOrder(sightings: Sighting[], increasing: boolean, last: number): Sighting[] {
  let ordered = sightings;
  for (let i = 1; i < ordered.length; i++) {
    const s = ordered[i];
    const p = travel(increasing, last, s.hop);
    let j = i - 1;
    if (travel(increasing, last, ordered[j].hop) < p) continue;
    if (ordered === sightings) ordered = sightings.slice();
    while (j >= 0 && travel(increasing, last, ordered[j].hop) > p) {
      ordered[j + 1] = ordered[j];
      j--;
    }
    ordered[j + 1] = s;
  }
  return ordered;
}

/** An ICMP error or a reset first seen at or after the farthest hop the requests reached, on their way back. */
function madeOnPath(flow: FlowState, direction: Direction, first: Sighting, last: number, increasing: boolean): boolean {
  if (direction !== 'reply' || !isErrorOrReset(first.ip)) return false;
  // A request-order position p is reply-order position last - p (no request seen, -1: past every hop).
  return travel(increasing, last, first.hop) >= last - flow.request.farthest;
}

function isErrorOrReset(ip: IpPacket): boolean {
  return isIcmpError(ip) || isReset(ip.l4);
}

function isReset(l4: L4): boolean {
  return l4.kind === 'tcp' && (l4.flags & TCP_RST) !== 0;
}

/** Where the packet should first have been seen: the path's start, or the hop that owns its source. */
function startPosition(path: PathModel, first: Sighting, increasing: boolean, last: number): number {
  return path.hopOwning(first.ip.src) === first.hop ? travel(increasing, last, first.hop) : 0;
}

/** Where the packet's travel ends: the path's far end, or the hop that owns its destination. */
function endPosition(path: PathModel, final: Sighting, increasing: boolean, last: number): number {
  const owner = path.hopOwning(final.ip.dst);
  return owner !== undefined ? travel(increasing, last, owner) : last;
}

/** Counts the hops from origin to reached as seen or missed; returns the missed ones, if any. */
function markSeen(
  stats: DirectionStats,
  ordered: Sighting[],
  origin: number,
  reached: number,
  increasing: boolean,
  last: number,
): number[] | undefined {
  let next = 0;
  let missedAt: number[] | undefined;
  for (let pos = Math.min(origin, travel(increasing, last, ordered[0].hop)); pos <= reached; pos++) {
    const hop = travel(increasing, last, pos);
    if (next < ordered.length && ordered[next].hop === hop) {
      stats.seen[hop]++;
      next++;
    } else {
      stats.missed[hop]++;
      (missedAt ??= []).push(hop);
    }
  }
  return missedAt;
}

function compareStep(flow: FlowState, direction: Direction, a: Sighting, b: Sighting, transit: TransitTimes): void {
  noteRewrites(flow, direction, a, b, rewrittenFields(a.ip, b.ip));
  // (Hot path: most packets cross no tunnel, and asking costs two walks per step.)
  if (a.encap.length > 0 || b.encap.length > 0) noteTunnelStep(flow, direction, a, b);
  const stepKey = hopPairKey(a.hop, b.hop);
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
  step.minNs = Math.min(step.minNs, latency);
  step.maxNs = Math.max(step.maxNs, latency);
  step.lastFromNs = Math.max(step.lastFromNs, a.t);
  transit.record(a.hop, b.hop, latency);
}

/** Each field rewrittenFields found changed, noted as a rewrite of this step. */
function noteRewrites(flow: FlowState, direction: Direction, a: Sighting, b: Sighting, rewritten: number): void {
  // Bit i is REWRITE_FIELDS[i]; the loop ends with the highest bit set (at once when nothing changed).
  for (let i = 0; rewritten >> i !== 0; i++) {
    if (((rewritten >> i) & 1) === 0) continue;
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
  const key = (hopPairKey(from, to) << 3) | fieldBit;
  const seen = flow.rewrites.get(key);
  if (seen?.some((r) => r.before === before && r.after === after)) return;
  const record = { from, to, direction, field, before, after };
  if (seen) seen.push(record);
  else flow.rewrites.set(key, [record]);
}

/** A packet coming back: an answer, or an ICMP error or reset (a rejection, or a close once answered). */
function noteComingBack(flow: FlowState, first: Sighting, arrived: boolean, requestPosition: number, last: number): void {
  const ip = first.ip;
  const l4 = ip.l4;
  flow.lastBack = Math.max(flow.lastBack, first.t);
  const echo = answeredEcho(ip);
  if (echo !== undefined) answerSeenFrom(flow, echo, requestPosition, last);
  if (isReset(l4) && flow.answers > 0) {
    flow.resetClose ??= { side: 'responder', from: ip.src };
    return;
  }
  if (isErrorOrReset(ip)) {
    flow.rejections++;
    // An error quoting an echo request answers that request.
    if (echo !== undefined) flow.echo.answered.add(echo);
    if (flow.rejection) return;
    flow.rejectionHop = first.hop;
    if (l4.kind === 'icmp') {
      flow.rejection = { kind: 'icmp-error', v6: l4.v6, type: l4.type, code: l4.code, from: ip.src, ...(l4.mtu === undefined ? {} : { mtu: l4.mtu }) };
    } else flow.rejection = { kind: 'tcp-reset', from: ip.src };
    return;
  }
  if (!arrived) return;
  flow.answers++;
  flow.turn = Math.max(flow.turn, requestPosition);
  // Not an error here, so `echo` is an echo reply's.
  if (echo !== undefined) {
    flow.echo.answered.add(echo);
    const sent = flow.echo.sent.get(echo);
    if (sent) flow.echo.longestRoundTripNs = Math.max(flow.echo.longestRoundTripNs, first.t - sent.t);
  }
}

/** The sequence number of the echo request this packet answers: an echo reply's, or that of the echo request an ICMP error quotes. */
function answeredEcho(ip: IpPacket): number | undefined {
  const quoted = quotedOf(ip);
  return quoted ? echoRequestSeq(quoted.l4) : echoReplySeq(ip.l4);
}

/** Echo requests are remembered by sequence number; a reset from the initiator after an answer is a close. */
function noteRequest(flow: FlowState, ip: IpPacket, lastT: number, reached: number, short?: SentEcho['short']): void {
  const seq = echoRequestSeq(ip.l4);
  if (seq !== undefined) flow.echo.sent.set(seq, short ? { t: lastT, reached, short } : { t: lastT, reached });
  else if (isReset(ip.l4) && flow.answers > 0) flow.resetClose ??= { side: 'initiator', from: ip.src };
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
