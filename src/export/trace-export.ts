// The narrow interface between a running trace and the files written beside its report
// (annotated pcapng, HTML ladders), and the one function that connects them to a Tracer.
import type { Tracer } from '../correlate/tracer.js';
import type { Frame, Journey, Report } from '../model.js';

/** When the captures stopped, as the last tick before finish() says it. */
export interface StopTime {
  sec: number;
  nsec: number;
}

/**
 * What an export is told, in this order per frame: frame() before the tracer sees it,
 * journey() for each journey of a reported flow as it settles, settled() after each push or
 * tick; close() once after the final report.
 */
export interface TraceExport {
  frame(frame: Frame): void;
  journey(journey: Journey): void;
  /** The first `frames` frames pushed have settled (Tracer.settledFrames()). */
  settled(frames: number): void;
  close(report: Report, stoppedAt?: StopTime): void;
  /** A live capture knows a hop's link type once it opens, before its first frame. */
  hopLinkType?(hop: number, linkType: number): void;
}

/**
 * A Tracer that also feeds exports: every frame, every journey, and how far settling got.
 * Whoever calls finish() closes the exports with the final report.
 */
export function exportingTracer(tracer: Tracer, exports: TraceExport[]): Tracer {
  if (exports.length === 0) return tracer;
  let stoppedAt: StopTime | undefined;
  let closed = false;
  tracer.subscribe((event) => {
    if (event.kind === 'journey') for (const e of exports) e.journey(event.journey);
  });
  const settled = () => {
    const n = tracer.settledFrames();
    for (const e of exports) e.settled(n);
  };
  return {
    hops: tracer.hops,
    push(frame) {
      for (const e of exports) e.frame(frame);
      tracer.push(frame);
      settled();
    },
    tick(tsSec, tsNsec) {
      stoppedAt = { sec: tsSec, nsec: tsNsec };
      tracer.tick(tsSec, tsNsec);
      settled();
    },
    subscribe: (listener) => tracer.subscribe(listener),
    snapshot: () => tracer.snapshot(),
    settledFrames: () => tracer.settledFrames(),
    finish() {
      const report = tracer.finish();
      settled();
      if (!closed) {
        closed = true;
        for (const e of exports) e.close(report, stoppedAt);
      }
      return report;
    },
  };
}
