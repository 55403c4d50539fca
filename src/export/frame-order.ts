// Frames leave in the order they came in (time order), each with the note of its journey once
// that journey has settled. A frame is held only until the tracer says every journey it could
// belong to has settled (`settledBefore`); the matching window bounds that wait, so what is
// held is about a window's worth of frames, whatever the length of the trace.
//
// A window at tens of thousands of frames a second is tens of thousands of frames: held as
// objects, every young-generation collection copied them and then promoted them, and that
// was most of --pcapng's cost. So a held frame is a row of typed-array columns, and its bytes
// are copied into reused 1 MiB arenas: nothing per frame for the garbage collector to trace.
import type { Journey } from '../model.js';
import type { Frame } from '../model.js';
import type { FramePlace } from '../session.js';
import { type JourneyNote, noteEnding, noteJourney } from './journey-note.js';

/** One frame as it is written: a cursor reused for every frame, valid only during the call. */
export interface AnnotatedFrame {
  hop: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  origLen: number;
  /** The captured bytes are bytes[start, start + length). */
  bytes: Buffer;
  start: number;
  length: number;
  /** Index of the frame among its hop's frames. */
  frameSeq: number;
  /** The journey the frame was a sighting of, when it belongs to a reported flow. */
  note: JourneyNote | undefined;
  /** Which step of note.steps this frame is (-1 without a note). */
  step: number;
}

const ARENA_BYTES = 1 << 20;

/** Each hop's held frames are consecutive frameSeqs: a ring of their ordinals, found by index. */
class OrdinalRing {
  private buf = new Float64Array(1024);
  private head = 0;
  private count = 0;
  /** frameSeq of the oldest held frame of this hop. */
  private base = 0;

  push(ordinal: number): void {
    if (this.count === this.buf.length) this.grow();
    this.buf[(this.head + this.count++) & (this.buf.length - 1)] = ordinal;
  }

  shift(): void {
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.count--;
    this.base++;
  }

  /** The ordinal of the hop's frame frameSeq while it is held, else -1. */
  get(frameSeq: number): number {
    const i = frameSeq - this.base;
    return i >= 0 && i < this.count ? this.buf[(this.head + i) & (this.buf.length - 1)] : -1;
  }

  private grow(): void {
    const next = new Float64Array(this.buf.length * 2);
    for (let i = 0; i < this.count; i++) next[i] = this.buf[(this.head + i) & (this.buf.length - 1)];
    this.buf = next;
    this.head = 0;
  }
}

/** Columns of the held frames, a ring indexed by ordinal (push order) & mask. */
class Columns {
  hop = new Int32Array(0);
  linkType = new Int32Array(0);
  tsSec = new Float64Array(0);
  tsNsec = new Int32Array(0);
  origLen = new Float64Array(0);
  frameSeq = new Float64Array(0);
  /** Which arena (counted since the start) holds the bytes, where, and how many. */
  arena = new Float64Array(0);
  at = new Int32Array(0);
  length = new Int32Array(0);
  step = new Int32Array(0);
  note: (JourneyNote | undefined)[] = [];

  constructor(public capacity: number) {
    this.allocate(capacity);
  }

  private allocate(n: number): void {
    this.hop = new Int32Array(n);
    this.linkType = new Int32Array(n);
    this.tsSec = new Float64Array(n);
    this.tsNsec = new Int32Array(n);
    this.origLen = new Float64Array(n);
    this.frameSeq = new Float64Array(n);
    this.arena = new Float64Array(n);
    this.at = new Int32Array(n);
    this.length = new Int32Array(n);
    this.step = new Int32Array(n);
    this.note = new Array<JourneyNote | undefined>(n).fill(undefined);
  }

  /** Twice the room, rows from ordinal `from` to `to` moved to their new places. */
  grow(from: number, to: number): void {
    const old = { ...this };
    const oldMask = this.capacity - 1;
    this.capacity *= 2;
    this.allocate(this.capacity);
    const mask = this.capacity - 1;
    for (let o = from; o < to; o++) {
      const a = o & oldMask;
      const b = o & mask;
      this.hop[b] = old.hop[a];
      this.linkType[b] = old.linkType[a];
      this.tsSec[b] = old.tsSec[a];
      this.tsNsec[b] = old.tsNsec[a];
      this.origLen[b] = old.origLen[a];
      this.frameSeq[b] = old.frameSeq[a];
      this.arena[b] = old.arena[a];
      this.at[b] = old.at[a];
      this.length[b] = old.length[a];
      this.step[b] = old.step[a];
      this.note[b] = old.note[a];
    }
  }
}

/** The held frames' bytes, appended to 1 MiB arenas and freed in the order they were filled. */
class Arenas {
  /** Arenas in use, the first being number `first`. */
  private live: Buffer[] = [];
  private first = 0;
  private used = 0;
  private readonly spare: Buffer[] = [];

  /** Copies the bytes in; returns the arena's number, the offset is in `this.lastAt`. */
  lastAt = 0;

  put(data: Uint8Array): number {
    let current = this.live[this.live.length - 1];
    if (!current || this.used + data.length > current.length) {
      current = data.length <= ARENA_BYTES ? (this.spare.pop() ?? Buffer.allocUnsafe(ARENA_BYTES)) : Buffer.allocUnsafe(data.length);
      this.live.push(current);
      this.used = 0;
    }
    current.set(data, this.used);
    this.lastAt = this.used;
    this.used += data.length;
    return this.first + this.live.length - 1;
  }

  get(arena: number): Buffer {
    return this.live[arena - this.first];
  }

  /** Arenas before number `arena` hold nothing still to be written. */
  release(arena: number): void {
    while (this.first < arena && this.live.length > 1) {
      const done = this.live.shift()!;
      this.first++;
      if (done.length === ARENA_BYTES && this.spare.length < 4) this.spare.push(done);
    }
  }
}

export class FrameAnnotator {
  private rows = new Columns(4096);
  private readonly arenas = new Arenas();
  private readonly byHop: OrdinalRing[] = [];
  private readonly frameSeqs: number[] = [];
  private readonly journeyIds = new Map<number, number>();
  /** Ordinal of the oldest frame held, and of the next frame to come. */
  private head = 0;
  private tail = 0;
  private readonly cursor: AnnotatedFrame = {
    hop: 0, linkType: 0, tsSec: 0, tsNsec: 0, origLen: 0, bytes: Buffer.alloc(0), start: 0, length: 0, frameSeq: 0, note: undefined, step: -1,
  };
  /** Journeys that named a frame no longer held (it was written before its journey settled): 0 unless the caller breaks the contract. */
  lateClaims = 0;
  /** Most frames held at once, for the benchmark. */
  peakHeld = 0;

  constructor(private readonly write: (frame: AnnotatedFrame) => void) {}

  /** Every frame, in the order the tracer is given them, before it is given it. */
  frame(frame: Frame): void {
    const frameSeq = this.frameSeqs[frame.hop] ?? 0;
    this.frameSeqs[frame.hop] = frameSeq + 1;
    if (this.tail - this.head === this.rows.capacity) this.rows.grow(this.head, this.tail);
    const r = this.rows;
    const i = this.tail & (r.capacity - 1);
    r.hop[i] = frame.hop;
    r.linkType[i] = frame.linkType;
    r.tsSec[i] = frame.tsSec;
    r.tsNsec[i] = frame.tsNsec;
    r.origLen[i] = frame.origLen;
    r.frameSeq[i] = frameSeq;
    r.arena[i] = this.arenas.put(frame.data);
    r.at[i] = this.arenas.lastAt;
    r.length[i] = frame.data.length;
    r.step[i] = -1;
    r.note[i] = undefined;
    (this.byHop[frame.hop] ??= new OrdinalRing()).push(this.tail);
    this.tail++;
    if (this.tail - this.head > this.peakHeld) this.peakHeld = this.tail - this.head;
  }

  /** A settled journey of a reported flow: its frames get its note. */
  journey(journey: Journey): JourneyNote {
    const id = (this.journeyIds.get(journey.flowId) ?? 0) + 1;
    this.journeyIds.set(journey.flowId, id);
    const note = noteJourney(journey, id);
    const mask = this.rows.capacity - 1;
    note.steps.forEach((step, s) => {
      const ordinal = this.byHop[step.hop]?.get(step.frameSeq) ?? -1;
      if (ordinal < 0) {
        this.lateClaims++;
        return;
      }
      this.rows.note[ordinal & mask] = note;
      this.rows.step[ordinal & mask] = s;
    });
    return note;
  }

  /**
   * Every frame pushed before this one (a hop and frameSeq, as the tracer names it) has settled,
   * or all have. A place no longer held cannot be ordered: nothing is released on its word.
   */
  settledBefore(oldestOpen: FramePlace | undefined): void {
    if (oldestOpen === undefined) {
      this.settled(this.tail);
      return;
    }
    const ordinal = this.byHop[oldestOpen.hop]?.get(oldestOpen.frameSeq) ?? -1;
    if (ordinal >= 0) this.settled(ordinal);
  }

  /** The frames before ordinal `until` have settled: they are written. */
  settled(until: number): void {
    const r = this.rows;
    const mask = r.capacity - 1;
    const c = this.cursor;
    while (this.head < until && this.head < this.tail) {
      const i = this.head & mask;
      c.hop = r.hop[i];
      c.linkType = r.linkType[i];
      c.tsSec = r.tsSec[i];
      c.tsNsec = r.tsNsec[i];
      c.origLen = r.origLen[i];
      c.frameSeq = r.frameSeq[i];
      c.bytes = this.arenas.get(r.arena[i]);
      c.start = r.at[i];
      c.length = r.length[i];
      c.note = r.note[i];
      c.step = r.step[i];
      // Frames of a journey open at the end are written after the trace judged it.
      if (c.note?.ending) noteEnding(c.note);
      r.note[i] = undefined;
      this.byHop[c.hop].shift();
      this.head++;
      this.arenas.release(r.arena[i]);
      this.write(c);
    }
  }

  /** End of the trace: everything left is written. */
  end(): void {
    this.settled(this.tail);
  }
}
