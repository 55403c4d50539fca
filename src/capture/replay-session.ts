import type { Frame, SourceWarning } from '../model.js';
import type { FrameSink, FrameSource, HopStatus } from '../source.js';
import type { ReplayTrace } from './trace.js';

export interface ReplayPace {
  /** 0: as fast as possible; 1: real time; 2: twice as fast... */
  speed: number;
  /** Play in batches on the event loop, so that a view can draw while it runs (the TUI). */
  interactive?: boolean;
  /** Called every 65,536 frames of a non-interactive replay (a progress line). */
  progress?: () => void;
}

const BATCH = 2048;

/** A read warning as one line: the file, where in it, what. */
export function warningText(w: SourceWarning): string {
  return `${w.file}: offset ${w.offset}: ${w.message}`;
}

/**
 * A recorded trace as a frame source. Without a view it reads everything at once inside
 * start(); for a view it plays in batches without blocking the event loop, and with a speed
 * holds frames back to their recorded spacing. With the time the captures stopped known,
 * packets that vanished before it were lost, not in flight: the clock is moved on to it.
 */
export function replaySource(trace: ReplayTrace, pace: ReplayPace = { speed: 0 }): FrameSource {
  const counts = trace.hops.map(() => 0);
  let stopped = false;
  let endedOk!: () => void;
  let endedFail!: (error: unknown) => void;
  const ended = new Promise<void>((resolve, reject) => {
    endedOk = resolve;
    endedFail = reject;
  });
  const finish = (sink: FrameSink): void => {
    trace.close();
    if (trace.stoppedAt) sink.tick(trace.stoppedAt.sec, trace.stoppedAt.nsec);
    endedOk();
  };
  return {
    hops: trace.hops,
    // Read warnings (a file cut short) turn up as the replay reaches them.
    get notes() {
      return [`replay of ${trace.description ?? 'a recorded trace'}`, ...trace.warnings.map(warningText)];
    },
    ended,
    start(sink) {
      if (pace.interactive) {
        setImmediate(() => playPaced(trace, sink, pace, counts, () => stopped, finish, endedFail));
        return Promise.resolve();
      }
      try {
        playAll(trace, sink, pace.progress);
      } catch (error) {
        trace.close();
        throw error;
      }
      finish(sink);
      return Promise.resolve();
    },
    stop: () => {
      stopped = true;
    },
    hopStatus: (): HopStatus[] => counts.map((packets) => ({ packets })),
    warnings: () => trace.warnings.map(warningText),
  };
}

function playAll(trace: ReplayTrace, sink: FrameSink, progress?: () => void): void {
  if (sink.pushAt && trace.pushAll) {
    trace.pushAll(sink as Required<Pick<FrameSink, 'pushAt'>>, progress);
    return;
  }
  let n = 0;
  for (const frame of trace.frames()) {
    sink.push(frame);
    if (progress && (++n & 0xffff) === 0) progress();
  }
}

function playPaced(
  trace: ReplayTrace,
  sink: FrameSink,
  pace: ReplayPace,
  counts: number[],
  stopRequested: () => boolean,
  finish: (sink: FrameSink) => void,
  fail: (error: unknown) => void,
): void {
  const frames = trace.frames();
  const delay = pacer(pace.speed);
  let pending: Frame | undefined;
  let exhausted = false;
  const pump = (): void => {
    try {
      for (let i = 0; i < BATCH && !exhausted && !stopRequested(); i++) {
        const resumed = pending;
        pending = undefined;
        const next = resumed ? undefined : frames.next();
        if (next?.done) exhausted = true;
        const frame = resumed ?? (next?.done ? undefined : next?.value);
        if (!frame) break;
        const wait = resumed ? 0 : delay(frame);
        if (wait > 0) {
          pending = frame;
          setTimeout(pump, wait);
          return;
        }
        counts[frame.hop]++;
        sink.push(frame);
      }
      if (exhausted || stopRequested()) finish(sink);
      else setImmediate(pump);
    } catch (error) {
      trace.close();
      fail(error);
    }
  };
  pump();
}

/** How long to hold a frame back so frames keep their recorded spacing at this speed. */
function pacer(speed: number): (frame: Frame) => number {
  let startedAt: number | undefined;
  let firstTs: number | undefined;
  return (frame) => {
    if (speed <= 0) return 0;
    const ts = frame.tsSec * 1000 + frame.tsNsec / 1e6;
    const now = performance.now();
    if (firstTs === undefined || startedAt === undefined) {
      firstTs = ts;
      startedAt = now;
      return 0;
    }
    return Math.max(0, (ts - firstTs) / speed - (now - startedAt));
  };
}
