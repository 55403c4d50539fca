// What the exports (annotated pcapng, HTML ladder) need to know of one settled journey, as
// values: its sightings in the order the packet crossed the hops, which header fields each
// hop saw changed since the hop before, and where it vanished. Pure.
import type { Direction, IpPacket, Journey, RewriteField, Sighting } from '../model.js';
import { fieldsOf, fieldValue, rewrittenFields } from '../correlate/rewrites.js';
import { fieldText } from '../render/values.js';

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
  /** Last hop it was seen at and the next one, when it was still on its way as the capture ended. */
  inFlightBetween?: [number, number];
  /** Open when the capture ended: judged only once the trace has ended (see noteEnding). */
  ending?: Journey;
  /** Hops it crossed without being captured there. */
  missedAt: number[];
}

/** The fields NAT rewrote between two sightings of the same packet, by the core's one rule (correlate/rewrites.ts). */
export function fieldChanges(a: IpPacket, b: IpPacket): FieldChange[] {
  const mask = rewrittenFields(a, b);
  if (mask === 0) return NO_CHANGES;
  return fieldsOf(mask).map((field) => ({ field, from: fieldText(field, fieldValue(a, field)!), to: fieldText(field, fieldValue(b, field)!) }));
}

/** Shared by every step where nothing changed: never modified. */
const NO_CHANGES: FieldChange[] = [];

/** The sightings in travel order: usually they already are (the matcher orders them by time). */
function travelOrder(sightings: Sighting[], ascending: boolean): Sighting[] {
  for (let i = 1; i < sightings.length; i++) {
    if (ascending ? sightings[i].hop < sightings[i - 1].hop : sightings[i].hop > sightings[i - 1].hop) {
      return [...sightings].sort((a, b) => (ascending ? a.hop - b.hop : b.hop - a.hop));
    }
  }
  return sightings;
}

export function noteJourney(journey: Journey, journeyId: number): JourneyNote {
  const ascending = journey.ascending;
  const ordered = travelOrder(journey.sightings, ascending);
  const steps = ordered.map((s, i): JourneyStep => {
    const step: JourneyStep = { hop: s.hop, frameSeq: s.frameSeq, t: s.t, changes: NO_CHANGES };
    if (i > 0) {
      step.previousHop = ordered[i - 1].hop;
      step.changes = fieldChanges(ordered[i - 1].ip, s.ip);
    }
    return step;
  });
  const note: JourneyNote = { flowId: journey.flowId, journeyId, direction: journey.direction, ascending, steps, missedAt: journey.missedAt ?? [] };
  if (journey.vanishedBetween) note.vanishedBetween = journey.vanishedBetween;
  if (journey.openAtEnd) note.ending = journey;
  noteEnding(note);
  return note;
}

/** A journey open when the capture ended, once the trace has judged it: in flight, or lost (before, its note says neither). */
export function noteEnding(note: JourneyNote): void {
  const end = note.ending?.atEnd;
  if (!end) return;
  note.ending = undefined;
  if (end.inFlight) note.inFlightBetween = end.between;
  else note.vanishedBetween ??= end.between;
}
