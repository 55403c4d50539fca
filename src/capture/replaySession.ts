import type { Frame, Report, SourceWarning } from '../model.js';
import type { Tracer } from '../correlate/tracer.js';
import type { HopStatus, TraceSession } from '../session.js';
import type { ReplayTrace } from './trace.js';

export interface ReplayPace {
  /** 0: as fast as possible; 1: real time; 2: twice as fast... */
  speed: number;
}

const BATCH = 2048;

/** A read warning as one line: the file, where in it, what. */
export function warningText(w: SourceWarning): string {
  return `${w.file}: offset ${w.offset}: ${w.message}`;
}

/** Reads a whole recorded trace into a tracer at once and returns the final report. */
export function playTrace(trace: ReplayTrace, tracer: Tracer, progress?: () => void): Report {
  let n = 0;
  try {
    for (const frame of trace.frames()) {
      tracer.push(frame);
      if (progress && (++n & 0xffff) === 0) progress();
    }
  } finally {
    trace.close();
  }
  return finishAt(trace, tracer);
}

/** With the time the captures stopped known, packets that vanished before it were lost, not in flight. */
function finishAt(trace: ReplayTrace, tracer: Tracer): Report {
  if (trace.stoppedAt) tracer.tick(trace.stoppedAt.sec, trace.stoppedAt.nsec);
  return tracer.finish();
}

/**
 * Plays a recorded trace into a tracer without blocking the event loop, so that a view can
 * draw while it runs; with a speed, frames are held back to their recorded spacing.
 */
export function replaySession(trace: ReplayTrace, tracer: Tracer, pace: ReplayPace): TraceSession {
  const counts = trace.hops.map(() => 0);
  const frames = trace.frames();
  let stopped = false;
  let startedAt: number | undefined;
  let firstTs: number | undefined;
  let pending: Frame | undefined;
  const nextFrame = (): Frame | undefined => {
    const next = frames.next();
    if (next.done) stopped = true;
    return next.done ? undefined : next.value;
  };

  const pump = (resolve: () => void, reject: (error: unknown) => void) => {
    try {
      for (let i = 0; i < BATCH && !stopped; i++) {
        const resumed = pending;
        const frame = resumed ?? nextFrame();
        pending = undefined;
        if (!frame) break;
        const wait = resumed ? 0 : delayFor(frame);
        if (wait > 0) {
          pending = frame;
          setTimeout(() => pump(resolve, reject), wait);
          return;
        }
        counts[frame.hop]++;
        tracer.push(frame);
      }
      if (stopped) {
        trace.close();
        if (trace.stoppedAt) tracer.tick(trace.stoppedAt.sec, trace.stoppedAt.nsec);
        resolve();
      } else setImmediate(() => pump(resolve, reject));
    } catch (error) {
      trace.close();
      reject(error);
    }
  };

  const delayFor = (frame: Frame): number => {
    if (pace.speed <= 0) return 0;
    const ts = frame.tsSec * 1000 + frame.tsNsec / 1e6;
    const now = performance.now();
    if (firstTs === undefined || startedAt === undefined) {
      firstTs = ts;
      startedAt = now;
      return 0;
    }
    return Math.max(0, (ts - firstTs) / pace.speed - (now - startedAt));
  };

  const done = new Promise<void>((resolve, reject) => setImmediate(() => pump(resolve, reject)));
  return {
    hops: trace.hops,
    tracer,
    done,
    stop: () => {
      stopped = true;
    },
    // Read warnings (a file cut short) turn up as the replay reaches them.
    get notes() {
      return [`replay of ${trace.description ?? 'a recorded trace'}`, ...trace.warnings.map(warningText)];
    },
    hopStatus: (): HopStatus[] => counts.map((packets) => ({ packets })),
  };
}
