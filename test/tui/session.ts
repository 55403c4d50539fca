// A TraceSession around the real tracer, fed by the test instead of a capture: the test decides
// when frames arrive and when the trace ends, as a replay or a live capture would.
import { createTracer } from '../../src/pipeline/tracer.js';
import type { Frame, Hop } from '../../src/model.js';
import type { HopStatus, TraceSession } from '../../src/session.js';

export interface FedSession extends TraceSession {
  feed(frames: Frame[]): void;
  /** Moves the tracer's clock on so journeys whose window has passed settle (live mode's tick). */
  settle(): void;
  end(): void;
  stopped: boolean;
  problems: Array<string | undefined>;
}

export function fedSession(hops: Hop[], notes: string[] = []): FedSession {
  const tracer = createTracer(hops);
  const counts = hops.map(() => 0);
  let last: Frame | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const session: FedSession = {
    hops,
    subscribe: (listener) => tracer.subscribe(listener),
    snapshot: () => tracer.snapshot(),
    // The test owns this trace: it ends when the test says so (end) or the view asks (stop).
    report: done.then(() => tracer.finish()),
    notes,
    stopped: false,
    problems: hops.map(() => undefined),
    stop() {
      session.stopped = true;
      resolveDone();
    },
    hopStatus: (): HopStatus[] =>
      counts.map((packets, i) => (session.problems[i] ? { packets, problem: session.problems[i] } : { packets })),
    feed(frames) {
      for (const frame of frames) {
        counts[frame.hop]! += 1;
        tracer.push(frame);
        last = frame;
      }
    },
    settle() {
      if (last) tracer.tick(last.tsSec + 5, last.tsNsec);
    },
    end: () => resolveDone(),
  };
  return session;
}
