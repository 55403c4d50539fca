import type { Frame, Hop, Report, TraceEvent } from '../model.js';

export interface TracerOptions {
  /** How long a packet may take from one hop to the next before it counts as vanished. */
  windowMs?: number;
}

/**
 * The pure core shared by replay and live tracing: frames go in (in time order, from any
 * hop), reports and events come out. It does no I/O.
 */
export interface Tracer {
  readonly hops: Hop[];
  push(frame: Frame): void;
  /** Live mode: the clock moved on, so journeys whose window has passed are settled. */
  tick(tsSec: number, tsNsec: number): void;
  subscribe(listener: (event: TraceEvent) => void): () => void;
  /** The report as it stands now; cheap enough to call ten times a second. */
  snapshot(): Report;
  /** Settles everything still open and returns the final report. */
  finish(): Report;
}

export function createTracer(_hops: Hop[], _options: TracerOptions = {}): Tracer {
  throw new Error('createTracer: not implemented yet');
}
