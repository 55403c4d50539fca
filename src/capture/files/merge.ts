// The hop files of a trace merged into one stream in time order. A trace has a handful of
// hops, so a linear scan over the heads beats a heap; ties go to the earlier hop in the list.
import type { Frame } from '../../model.js';
import type { FrameSink } from '../../source.js';
import type { SourceWarning } from '../../model.js';
import type { HopSource, HopMap } from './hop-source.js';
import type { OpenOptions } from './open.js';
import { startReadThreads } from './read-thread.js';

/** A file's frames one at a time, each held at buf[start, end) until the next advance(). */
export interface FrameCursor {
  hop: number;
  linkType: number;
  tsSec: number;
  tsNsec: number;
  buf: Uint8Array;
  start: number;
  end: number;
  origLen: number;
  advance(): boolean;
}

type BytesSink = Required<Pick<FrameSink, 'pushAt'>>;

/** The merged frames as objects, each with its own view of its bytes (frames may be held). */
export function* mergeByTime(sources: HopSource[]): Generator<Frame> {
  try {
    for (const source of sources) source.open();
    if (sources.length === 1) {
      const only = sources[0];
      for (let frame = only.nextFrame(); frame !== null; frame = only.nextFrame()) yield frame;
      return;
    }
    const heads = sources.map((source) => source.nextFrame());
    for (;;) {
      let best = -1;
      let sec = 0;
      let nsec = 0;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (head === null) continue;
        if (best < 0 || head.tsSec < sec || (head.tsSec === sec && head.tsNsec < nsec)) {
          best = i;
          sec = head.tsSec;
          nsec = head.tsNsec;
        }
      }
      if (best < 0) return;
      const frame = heads[best] as Frame;
      heads[best] = sources[best].nextFrame();
      yield frame;
    }
  } finally {
    for (const source of sources) source.close();
  }
}

/**
 * The same merge, pushed straight into a sink that takes a frame as bytes in a buffer
 * (FrameSink.pushAt): no object per frame, and each file read into one recycled buffer,
 * since a source steps on only after the sink is done with its frame. Frames come in the
 * same order as from mergeByTime, and each file's warnings are met at the same point.
 */
export function pushMerged(sources: HopSource[], sink: BytesSink, progress?: () => void): void {
  try {
    for (const source of sources) source.open(true);
    pushCursors(sources, sink, progress);
  } finally {
    for (const source of sources) source.close();
  }
}

/** pushMerged with the files read in `threads` worker threads (read-thread.ts); the same frames, warnings and errors. */
export function pushMergedThreaded(
  files: { file: string; map: HopMap }[],
  options: OpenOptions,
  threads: number,
  warn: (warning: SourceWarning) => void,
  sink: BytesSink,
  progress?: () => void,
): void {
  const { cursors, stop } = startReadThreads(files, options, threads, warn);
  try {
    pushCursors(cursors, sink, progress);
  } finally {
    stop();
  }
}

function pushCursors(cursors: FrameCursor[], sink: BytesSink, progress?: () => void): void {
  const merge = new CursorMerge(cursors);
  let n = 0;
  for (let best = merge.next(); best !== null; best = merge.next()) {
    sink.pushAt(best.hop, best.linkType, best.tsSec, best.tsNsec, best.buf, best.start, best.end, best.origLen);
    if (progress && (++n & 0xffff) === 0) progress();
  }
}

/**
 * The k-way merge of file cursors by time, one frame at a time: next() steps the cursor it
 * last returned past its frame, then returns the cursor holding the earliest frame (ties: the
 * earlier cursor in the list), or null once every file has ended. Each step of a cursor may
 * meet its file's warnings (at its end) or throw its read error, at the same point in the
 * stream wherever the merge runs (here, or in frame-pipe.ts's reading thread).
 */
export class CursorMerge {
  private readonly heads: FrameCursor[];
  private last: FrameCursor | null = null;
  private lastAt = -1;

  /** Steps every cursor onto its first frame. */
  constructor(cursors: FrameCursor[]) {
    this.heads = cursors.filter((cursor) => cursor.advance());
  }

  next(): FrameCursor | null {
    const heads = this.heads;
    const last = this.last;
    if (last !== null) {
      this.last = null;
      if (!last.advance()) heads.splice(this.lastAt, 1);
    }
    if (heads.length === 0) return null;
    let at = 0;
    let best = heads[0];
    for (let i = 1; i < heads.length; i++) {
      const head = heads[i];
      if (head.tsSec < best.tsSec || (head.tsSec === best.tsSec && head.tsNsec < best.tsNsec)) {
        best = head;
        at = i;
      }
    }
    this.last = best;
    this.lastAt = at;
    return best;
  }
}
