// The hop files of a trace merged into one stream in time order. A trace has a handful of
// hops, so a linear scan over the heads beats a heap; ties go to the earlier hop in the list.
import type { Frame } from '../../model.js';
import type { FrameSink } from '../../source.js';
import type { HopSource } from './hop-source.js';

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
export function pushMerged(sources: HopSource[], sink: Required<Pick<FrameSink, 'pushAt'>>, progress?: () => void): void {
  try {
    for (const source of sources) source.open(true);
    const heads = sources.filter((source) => source.advance());
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
  } finally {
    for (const source of sources) source.close();
  }
}
