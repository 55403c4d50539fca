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
  const heads = cursors.filter((cursor) => cursor.advance());
  let n = 0;
  while (heads.length > 0) {
    let at = 0;
    let best = heads[0];
    for (let i = 1; i < heads.length; i++) {
      const head = heads[i];
      if (head.tsSec < best.tsSec || (head.tsSec === best.tsSec && head.tsNsec < best.tsNsec)) {
        best = head;
        at = i;
      }
    }
    sink.pushAt(best.hop, best.linkType, best.tsSec, best.tsNsec, best.buf, best.start, best.end, best.origLen);
    if (!best.advance()) heads.splice(at, 1);
    if (progress && (++n & 0xffff) === 0) progress();
  }
}
