// A big replay's reading, on a thread of its own. The replay worker (pipeline/replay-thread.ts)
// decodes, matches and accounts; the thread that started it, idle otherwise, reads the hop
// files, merges them in time order and copies the merged frames into a ring of slots in
// shared memory, which the worker takes in the same order. With two cores the two run side by
// side, and the worker no longer reads, merges or fingerprints payloads itself.
//
// The reading side also decodes each frame, only to work out its payload fingerprint (the
// most expensive part of decoding) and its packet's match key with the same code; the frame
// carries both. The worker's payloadHash takes the fingerprint for that frame's very byte
// range (decode/bytes.ts knownHash), its matchKey the key for that frame's packet
// (correlate/keys.ts keyAhead).
//
// What reading meets on its way travels in the slots between the frames: a file's warnings
// and its read error reach the worker at the same point in the stream as without the pipe.
import { hashNote, knownHash } from '../../decode/bytes.js';
import { decodePacketAt } from '../../decode/index.js';
import { keyAhead, matchKey } from '../../correlate/keys.js';
import { errorFromValue, errorValue, type ErrorValue } from '../../errors.js';
import type { Encap, SourceWarning } from '../../model.js';
import { bytesRead, HopSource, type HopMap } from './hop-source.js';
import { CursorMerge, type FrameCursor } from './merge.js';
import type { OpenOptions } from './open.js';
import { MAX_SNAPLEN_HONOURED } from './pcap-layout.js';

/** The ring's shape. A slot is filled to about `softBytes` (or `frames` records), then handed over. */
export const PIPE = { slots: 4, frames: 8192, softBytes: 1 << 20 } as const;

/**
 * The longest frame a reader hands over: pcap records are refused past the snaplen the file
 * may honour, pcapng blocks past 16 MiB. A slot has room for one after its soft limit.
 */
const LONGEST_FRAME = MAX_SNAPLEN_HONOURED;
const SLOT_BYTES = PIPE.softBytes + LONGEST_FRAME;

/**
 * Per record, 32-bit fields: hop (or a record kind below), tsNsec, bytes [start, end), the
 * fingerprint's range (relative to start; -1: none) and value, whether the frame holds a packet
 * (1) and its match key.
 */
const I = { hop: 0, nsec: 1, start: 2, end: 3, hashStart: 4, hashEnd: 5, hash: 6, keyed: 7, key: 8, size: 9 } as const;
/** Per record, fields that may pass 2^31: tsSec, origLen, linkType. */
const F = { sec: 0, origLen: 1, linkType: 2, size: 3 } as const;
/** Records that are not frames: their bytes hold the JSON of a warning or of the read error. */
const WARNING = -1;
const ERROR = -2;

/**
 * Control words: slots published and released so far, whether the worker gave up, and the
 * length + 1 of the reading side's fault text (0: none); then per slot its record count and
 * whether the stream ends with it.
 */
const C = { published: 0, released: 1, cancelled: 2, failed: 3, slot: 4 } as const;
const CONTROL_WORDS = C.slot + 2 * PIPE.slots;
/** Room for the message of a fault of the reading side's own code. */
const FAULT_BYTES = 4096;
const HEAD_BYTES = 16 + align8(4 * CONTROL_WORDS) + FAULT_BYTES;

/** A reading side that has not published for this long is taken as stuck. */
const SILENCE_LIMIT_MS = 60_000;

/** What the replay worker hands to the reading side (structured-cloned; the buffer is shared). */
export interface PipeRequest {
  files: { file: string; map: HopMap }[];
  options: OpenOptions;
  buffer: SharedArrayBuffer;
}

/** The views both sides take of the one shared buffer. */
class PipeLayout {
  readonly progress: Float64Array;
  readonly control: Int32Array;
  readonly fault: Uint8Array;
  readonly ints: Int32Array[] = [];
  readonly floats: Float64Array[] = [];
  readonly bytes: Uint8Array[] = [];

  static size(): number {
    return HEAD_BYTES + PIPE.slots * (8 * F.size * PIPE.frames + 4 * I.size * PIPE.frames + SLOT_BYTES);
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    this.progress = new Float64Array(buffer, 0, 2);
    this.control = new Int32Array(buffer, 16, CONTROL_WORDS);
    this.fault = new Uint8Array(buffer, 16 + align8(4 * CONTROL_WORDS), FAULT_BYTES);
    let at = HEAD_BYTES;
    for (let s = 0; s < PIPE.slots; s++) {
      this.floats.push(new Float64Array(buffer, at, F.size * PIPE.frames));
      at += 8 * F.size * PIPE.frames;
      this.ints.push(new Int32Array(buffer, at, I.size * PIPE.frames));
      at += 4 * I.size * PIPE.frames;
      this.bytes.push(new Uint8Array(buffer, at, SLOT_BYTES));
      at += SLOT_BYTES;
    }
  }

  /** Tells the worker the reading side's own code failed, and why. */
  fail(error: unknown): void {
    const text = Buffer.from(error instanceof Error ? error.message : String(error)).subarray(0, FAULT_BYTES);
    this.fault.set(text);
    Atomics.store(this.control, C.failed, text.length + 1);
    Atomics.notify(this.control, C.published);
  }

  /** The reading side's fault, if it had one. */
  failure(): string | undefined {
    const failed = Atomics.load(this.control, C.failed);
    return failed === 0 ? undefined : Buffer.from(this.fault.subarray(0, failed - 1)).toString();
  }

  count(slot: number): number {
    return Atomics.load(this.control, C.slot + 2 * slot);
  }

  ends(slot: number): boolean {
    return Atomics.load(this.control, C.slot + 2 * slot + 1) === 1;
  }
}

/** The size of a pipe's shared buffer. */
export function pipeBytes(): number {
  return PipeLayout.size();
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

type WaitAsync = (array: Int32Array, index: number, value: number, timeout?: number) => { async: false; value: string } | { async: true; value: Promise<string> };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/**
 * The reading side: reads, merges and hands over every frame of the files, without blocking
 * its thread's event loop while the ring is full. Returns once the last slot is published, or
 * when the worker gave up (or `abandoned()` says it is gone).
 */
export async function produceFrames(request: PipeRequest, abandoned: () => boolean = () => false): Promise<void> {
  const pipe = new PipeLayout(request.buffer);
  let writer: SlotWriter | undefined;
  // A pending Atomics.waitAsync does not keep a thread's event loop alive on its own.
  const alive = setInterval(() => {}, 1 << 30);
  try {
    writer = new SlotWriter(request.files, request.options);
    for (let seq = 0; ; seq++) {
      if (!(await slotFree(pipe, seq, abandoned))) return;
      const slot = seq % PIPE.slots;
      const ends = writer.fill(pipe, slot);
      const progress = bytesRead(writer.sources);
      pipe.progress[0] = progress.done;
      pipe.progress[1] = progress.total;
      Atomics.store(pipe.control, C.slot + 2 * slot, writer.count);
      Atomics.store(pipe.control, C.slot + 2 * slot + 1, ends ? 1 : 0);
      Atomics.store(pipe.control, C.published, seq + 1);
      Atomics.notify(pipe.control, C.published);
      if (ends) return;
    }
  } catch (error) {
    // A fault of this code, not of a file (those travel as records): the worker says so.
    pipe.fail(error);
  } finally {
    clearInterval(alive);
    writer?.close();
  }
}

async function slotFree(pipe: PipeLayout, seq: number, abandoned: () => boolean): Promise<boolean> {
  for (;;) {
    if (Atomics.load(pipe.control, C.cancelled) !== 0 || abandoned()) return false;
    const released = Atomics.load(pipe.control, C.released);
    if (seq - released < PIPE.slots) return true;
    const wait = waitAsync(pipe.control, C.released, released, 250);
    if (wait.async) await wait.value;
  }
}

/** Fills slots from the merge: pending warnings first, then frames, then the end or the error. */
class SlotWriter {
  count = 0;
  private used = 0;
  readonly sources: HopSource[];
  private readonly pending: SourceWarning[] = [];
  private merge: CursorMerge | null = null;
  /** A frame the merge stepped onto that has not been written yet. */
  private carried: FrameCursor | null = null;
  private exhausted = false;
  private failure: unknown;
  private readonly encap: Encap[] = [];

  constructor(files: PipeRequest['files'], options: OpenOptions) {
    this.sources = files.map(({ file, map }) => new HopSource(file, map, options, (w) => this.pending.push(w)));
    try {
      for (const source of this.sources) source.open(true);
      this.merge = new CursorMerge(this.sources);
    } catch (error) {
      this.failure = error;
    }
  }

  /** Fills the slot; true when the stream ends with it. */
  fill(pipe: PipeLayout, slot: number): boolean {
    const ints = pipe.ints[slot];
    const floats = pipe.floats[slot];
    const bytes = pipe.bytes[slot];
    this.count = 0;
    this.used = 0;
    for (;;) {
      while (this.pending.length > 0) {
        if (!this.note(ints, bytes, WARNING, this.pending[0])) return false;
        this.pending.shift();
      }
      if (this.carried === null && !this.exhausted && this.failure === undefined) {
        try {
          this.carried = this.merge!.next();
          if (this.carried === null) this.exhausted = true;
        } catch (error) {
          this.failure = error;
        }
        continue; // stepping may have met warnings: they go before this frame
      }
      const frame = this.carried;
      if (frame !== null) {
        if (!this.frame(ints, floats, bytes, frame)) return false;
        this.carried = null;
        continue;
      }
      if (this.failure !== undefined && !this.note(ints, bytes, ERROR, errorValue(this.failure))) return false;
      return true;
    }
  }

  private room(length: number): boolean {
    return this.count < PIPE.frames && (this.count === 0 || this.used < PIPE.softBytes) && length <= SLOT_BYTES - this.used;
  }

  private frame(ints: Int32Array, floats: Float64Array, bytes: Uint8Array, frame: FrameCursor): boolean {
    const length = frame.end - frame.start;
    if (length > LONGEST_FRAME) {
      this.failure = new Error(`a frame of ${length} bytes is longer than the ${LONGEST_FRAME} any capture reader hands over`);
      this.carried = null;
      this.exhausted = true;
      return true;
    }
    if (!this.room(length)) return false;
    const at = this.count * I.size;
    const fat = this.count * F.size;
    bytes.set(frame.buf.subarray(frame.start, frame.end), this.used);
    ints[at + I.hop] = frame.hop;
    ints[at + I.nsec] = frame.tsNsec;
    ints[at + I.start] = this.used;
    ints[at + I.end] = this.used + length;
    floats[fat + F.sec] = frame.tsSec;
    floats[fat + F.origLen] = frame.origLen;
    floats[fat + F.linkType] = frame.linkType;
    // The decoder's first fingerprint of this frame, over the copied bytes' own range.
    const note = hashNote;
    note.armed = true;
    const ip = decodePacketAt(frame.linkType, frame.buf, frame.start, frame.end, frame.origLen, this.encap);
    if (this.encap.length !== 0) this.encap.length = 0;
    if (typeof ip === 'string') ints[at + I.keyed] = 0;
    else {
      ints[at + I.keyed] = 1;
      ints[at + I.key] = matchKey(ip);
    }
    if (!note.armed && note.start >= frame.start && note.end <= frame.end) {
      ints[at + I.hashStart] = note.start - frame.start;
      ints[at + I.hashEnd] = note.end - frame.start;
      ints[at + I.hash] = note.value;
    } else {
      ints[at + I.hashStart] = -1;
    }
    note.armed = false;
    this.used += length;
    this.count++;
    return true;
  }

  /** A warning or the error as JSON in the slot's bytes. */
  private note(ints: Int32Array, bytes: Uint8Array, kind: number, value: unknown): boolean {
    const text = Buffer.from(JSON.stringify(value));
    if (!this.room(text.length)) return false;
    const at = this.count * I.size;
    bytes.set(text, this.used);
    ints[at + I.hop] = kind;
    ints[at + I.start] = this.used;
    ints[at + I.end] = this.used + text.length;
    this.used += text.length;
    this.count++;
    return true;
  }

  close(): void {
    for (const source of this.sources) source.close();
  }
}

type BytesSink = { pushAt(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void };

/**
 * The worker's side: asks `startReading` to produce the files' frames into a new pipe, and
 * pushes them into the sink as they come, blocking this thread while the ring is empty.
 * `watch` is given the reading side's byte count (for a progress line).
 */
export function pushPiped(
  files: PipeRequest['files'],
  options: OpenOptions,
  startReading: (request: PipeRequest) => void,
  warn: (warning: SourceWarning) => void,
  sink: BytesSink,
  progress?: () => void,
  watch?: (bytes: () => { done: number; total: number }) => void,
): void {
  const pipe = new PipeLayout(new SharedArrayBuffer(pipeBytes()));
  watch?.(() => ({ done: pipe.progress[0], total: pipe.progress[1] }));
  startReading({ files, options, buffer: pipe.buffer });
  const known = knownHash;
  const key = keyAhead;
  let n = 0;
  try {
    for (let seq = 0; ; seq++) {
      awaitPublished(pipe, seq);
      const slot = seq % PIPE.slots;
      const ints = pipe.ints[slot];
      const floats = pipe.floats[slot];
      const bytes = pipe.bytes[slot];
      const count = pipe.count(slot);
      for (let i = 0; i < count; i++) {
        const at = i * I.size;
        const hop = ints[at + I.hop];
        const start = ints[at + I.start];
        if (hop < 0) {
          const record: unknown = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start, ints[at + I.end] - start).toString());
          if (hop === WARNING) warn(record as SourceWarning);
          else throw errorFromValue(record as ErrorValue);
          continue;
        }
        const hashStart = ints[at + I.hashStart];
        if (hashStart >= 0) {
          known.buf = bytes;
          known.start = start + hashStart;
          known.end = start + ints[at + I.hashEnd];
          known.value = ints[at + I.hash];
        } else {
          known.start = -1;
        }
        key.ip = null;
        key.armed = ints[at + I.keyed] === 1;
        key.value = ints[at + I.key];
        const fat = i * F.size;
        sink.pushAt(hop, floats[fat + F.linkType], floats[fat + F.sec], ints[at + I.nsec], bytes, start, ints[at + I.end], floats[fat + F.origLen]);
        if (progress && (++n & 0xffff) === 0) progress();
      }
      // The slot's bytes change once released: no fingerprint may point into them.
      known.start = -1;
      known.buf = null;
      key.armed = false;
      key.ip = null;
      if (pipe.ends(slot)) return;
      Atomics.store(pipe.control, C.released, seq + 1);
      Atomics.notify(pipe.control, C.released);
    }
  } finally {
    known.start = -1;
    known.buf = null;
    key.armed = false;
    key.ip = null;
    Atomics.store(pipe.control, C.cancelled, 1);
    Atomics.notify(pipe.control, C.released);
  }
}

/** Blocks until slot `seq` is published (or the reading side failed or went silent). */
function awaitPublished(pipe: PipeLayout, seq: number): void {
  let since = Date.now();
  let seen = Atomics.load(pipe.control, C.published);
  while (seen <= seq) {
    const failure = pipe.failure();
    if (failure !== undefined) throw new Error(`reading the hop files failed on the thread that reads them: ${failure}`);
    if (Atomics.wait(pipe.control, C.published, seen, 100) === 'timed-out' && Date.now() - since > SILENCE_LIMIT_MS) {
      throw new Error(`the thread reading the hop files stopped answering for ${SILENCE_LIMIT_MS / 1000} s`);
    }
    const now = Atomics.load(pipe.control, C.published);
    if (now !== seen) since = Date.now();
    seen = now;
  }
}
