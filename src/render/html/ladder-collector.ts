// Keeps what the HTML ladders draw, as journeys settle: per flow, the first and the last
// journeys and a count of those in between, so a flow of a million packets costs the same
// memory as one of forty.
import type { Journey } from '../../model.js';
import { type JourneyNote, noteJourney } from '../../export/journey-note.js';
import type { TraceListener } from '../../session.js';

export interface FlowLadder {
  flowId: number;
  /** Journeys drawn before the gap, in time order. */
  first: JourneyNote[];
  /** Journeys drawn after the gap, in time order. */
  last: JourneyNote[];
  /** Journeys not drawn, by direction. */
  skipped: { request: number; reply: number };
}

/** A journey as it settled, with its number in the flow: turned into a note only if it is drawn. */
interface Numbered {
  journey: Journey;
  id: number;
}

interface Kept {
  count: number;
  first: Numbered[];
  /** A ring of the newest journeys once `first` is full. */
  last: Numbered[];
  lastAt: number;
  skipped: { request: number; reply: number };
}

const byTime = (a: JourneyNote, b: JourneyNote): number => Math.min(...a.steps.map((s) => s.t)) - Math.min(...b.steps.map((s) => s.t));

export class LadderCollector {
  private readonly flows = new Map<number, Kept>();

  /** `head` journeys are drawn from the start of each flow and `tail` from its end. */
  constructor(
    private readonly head = 12,
    private readonly tail = 8,
  ) {}

  /** Subscribed to the trace from its first frame. */
  readonly listener: TraceListener = (event) => {
    if (event.kind === 'journey') this.journey(event.journey);
  };

  journey(journey: Journey): void {
    let kept = this.flows.get(journey.flowId);
    if (!kept) {
      kept = { count: 0, first: [], last: [], lastAt: 0, skipped: { request: 0, reply: 0 } };
      this.flows.set(journey.flowId, kept);
    }
    kept.count++;
    const note: Numbered = { journey, id: kept.count };
    if (kept.first.length < this.head) {
      kept.first.push(note);
      return;
    }
    if (kept.last.length < this.tail) {
      kept.last.push(note);
      return;
    }
    // The oldest of the tail ring falls into the gap.
    const out = kept.last[kept.lastAt];
    kept.skipped[out.journey.direction]++;
    kept.last[kept.lastAt] = note;
    kept.lastAt = (kept.lastAt + 1) % this.tail;
  }

  ladder(flowId: number): FlowLadder | undefined {
    const kept = this.flows.get(flowId);
    if (!kept) return undefined;
    const notes = (kept: Numbered[]) => kept.map((k) => noteJourney(k.journey, k.id)).sort(byTime);
    const last = [...kept.last.slice(kept.lastAt), ...kept.last.slice(0, kept.lastAt)];
    return { flowId, first: notes(kept.first), last: notes(last), skipped: { ...kept.skipped } };
  }
}
