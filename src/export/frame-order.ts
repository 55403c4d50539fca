// Frames leave in the order they came in (time order), each with the note of its journey once
// that journey has settled. A frame is held only until the tracer says every journey it could
// belong to has settled (`settled(n)`: the first n frames pushed are done); the matching
// window bounds that wait, so what is held is about a window's worth of frames, whatever the
// length of the trace.
import type { Frame, Journey } from '../model.js';
import type { FramePlace } from '../session.js';
import { type JourneyNote, noteJourney } from './journey-note.js';

export interface AnnotatedFrame {
  frame: Frame;
  /** Index of the frame among its hop's frames. */
  frameSeq: number;
  /** Index of the frame among all frames, in the order they were pushed. */
  ordinal: number;
  /** The journey the frame was a sighting of, when it belongs to a reported flow. */
  note?: JourneyNote;
  /** Which step of note.steps this frame is. */
  step?: number;
}

type Held = AnnotatedFrame;

/**
 * One hop's frames not yet written, in frameSeq order: frames leave in the order they came,
 * so a hop's held frames are always a run of consecutive frameSeqs and are found by index.
 */
class HopRun {
  items: Held[] = [];
  head = 0;
  /** frameSeq of items[head]. */
  base = 0;

  get(frameSeq: number): Held | undefined {
    const i = frameSeq - this.base + this.head;
    return i >= this.head && i < this.items.length ? this.items[i] : undefined;
  }

  shift(): void {
    this.head++;
    this.base++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

export class FrameAnnotator {
  private queue: Held[] = [];
  private head = 0;
  /** Push ordinal of queue[head]. */
  private released = 0;
  private readonly held: HopRun[] = [];
  private readonly frameSeqs: number[] = [];
  private readonly journeyIds = new Map<number, number>();
  private pushed = 0;
  /** Journeys that named a frame no longer held (it was written before its journey settled): 0 unless the caller breaks the contract. */
  lateClaims = 0;
  /** Most frames held at once, for the benchmark. */
  peakHeld = 0;

  constructor(private readonly write: (frame: AnnotatedFrame) => void) {}

  /** Every frame, in the order the tracer is given them, before it is given it. */
  frame(frame: Frame): void {
    const frameSeq = this.frameSeqs[frame.hop] ?? 0;
    this.frameSeqs[frame.hop] = frameSeq + 1;
    const entry: Held = { frame, frameSeq, ordinal: this.pushed++ };
    this.queue.push(entry);
    (this.held[frame.hop] ??= new HopRun()).items.push(entry);
    const holding = this.queue.length - this.head;
    if (holding > this.peakHeld) this.peakHeld = holding;
  }

  /** A settled journey of a reported flow: its frames get its note. */
  journey(journey: Journey): JourneyNote {
    const id = (this.journeyIds.get(journey.flowId) ?? 0) + 1;
    this.journeyIds.set(journey.flowId, id);
    const note = noteJourney(journey, id);
    note.steps.forEach((step, i) => {
      const entry = this.held[step.hop]?.get(step.frameSeq);
      if (!entry) {
        this.lateClaims++;
        return;
      }
      entry.note = note;
      entry.step = i;
    });
    return note;
  }

  /**
   * Every frame pushed before this one (a hop and frameSeq, as the tracer names it) has settled,
   * or all have. A place no longer held cannot be ordered: nothing is released on its word.
   */
  settledBefore(oldestOpen: FramePlace | undefined): void {
    if (oldestOpen === undefined) {
      this.settled(this.pushed);
      return;
    }
    const entry = this.held[oldestOpen.hop]?.get(oldestOpen.frameSeq);
    if (entry) this.settled(entry.ordinal);
  }

  /** The first `frames` frames pushed have settled: they can be written. */
  settled(frames: number): void {
    while (this.released < frames && this.head < this.queue.length) {
      const entry = this.queue[this.head++];
      this.released++;
      this.held[entry.frame.hop]?.shift();
      this.write(entry);
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** End of the trace: everything left is written. */
  end(): void {
    this.settled(Number.POSITIVE_INFINITY);
  }
}
