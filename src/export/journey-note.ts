// What the exports (annotated pcapng, HTML ladder) need to know of one settled journey, as
// values: its sightings in the order the packet crossed the hops, which header fields each
// hop saw changed since the hop before, and where it vanished. Pure.
import type { Direction, IpPacket, Journey, RewriteField } from '../model.js';

/** A header field that differs from the previous sighting of the same packet. */
export interface FieldChange {
  field: RewriteField;
  from: string;
  to: string;
}

export interface JourneyStep {
  hop: number;
  frameSeq: number;
  /** Nanoseconds since the trace's first frame. */
  t: number;
  /** The hop the packet was seen at just before this one, if any. */
  previousHop?: number;
  changes: FieldChange[];
}

export interface JourneyNote {
  flowId: number;
  /** Per flow, 1-based, in the order journeys settled. */
  journeyId: number;
  direction: Direction;
  /** It travelled towards higher hop indexes. */
  ascending: boolean;
  /** Travel order. */
  steps: JourneyStep[];
  /** Last hop it was seen at and the next hop that should have seen it. */
  vanishedBetween?: [number, number];
  /** Hops it crossed without being captured there. */
  missedAt: number[];
}

/** The fields NAT rewrites, compared as account.ts compares them for the flow's rewrites. */
export function fieldChanges(a: IpPacket, b: IpPacket): FieldChange[] {
  const changes: FieldChange[] = [];
  if (a.src !== b.src) changes.push({ field: 'src', from: a.src, to: b.src });
  if (a.dst !== b.dst) changes.push({ field: 'dst', from: a.dst, to: b.dst });
  const la = a.l4;
  const lb = b.l4;
  if ((la.kind === 'tcp' || la.kind === 'udp') && (lb.kind === 'tcp' || lb.kind === 'udp')) {
    if (la.sport !== lb.sport) changes.push({ field: 'sport', from: String(la.sport), to: String(lb.sport) });
    if (la.dport !== lb.dport) changes.push({ field: 'dport', from: String(la.dport), to: String(lb.dport) });
  } else if (la.kind === 'icmp' && lb.kind === 'icmp' && la.id !== undefined && lb.id !== undefined && la.id !== lb.id) {
    changes.push({ field: 'icmp-id', from: String(la.id), to: String(lb.id) });
  }
  return changes;
}

/**
 * Whether the packet travelled towards higher hop indexes, when the tracer did not say. A packet crosses the hops in
 * path order one way or the other; the two ends of its journey are the sightings farthest
 * apart in time, so their order is the one least disturbed by user-space timestamps.
 */
export function travelsUp(journey: Journey): boolean {
  if (journey.vanishedBetween) return journey.vanishedBetween[1] > journey.vanishedBetween[0];
  let low = journey.sightings[0];
  let high = low;
  for (const s of journey.sightings) {
    if (s.hop < low.hop) low = s;
    if (s.hop > high.hop) high = s;
  }
  return low.t <= high.t;
}

export function noteJourney(journey: Journey, journeyId: number, ascending = journey.ascending ?? travelsUp(journey)): JourneyNote {
  const ordered = [...journey.sightings].sort((a, b) => (ascending ? a.hop - b.hop : b.hop - a.hop));
  const steps = ordered.map((s, i): JourneyStep => {
    const step: JourneyStep = { hop: s.hop, frameSeq: s.frameSeq, t: s.t, changes: [] };
    if (i > 0) {
      step.previousHop = ordered[i - 1].hop;
      step.changes = fieldChanges(ordered[i - 1].ip, s.ip);
    }
    return step;
  });
  const note: JourneyNote = { flowId: journey.flowId, journeyId, direction: journey.direction, ascending, steps, missedAt: journey.missedAt ?? [] };
  if (journey.vanishedBetween) note.vanishedBetween = journey.vanishedBetween;
  return note;
}
