import type { Hop, Report, TraceEvent } from './model.js';
import type { HopStatus } from './pipeline/source.js';

export type { HopStatus } from './pipeline/source.js';

export type TraceListener = (event: TraceEvent) => void;

/**
 * A trace in progress, live or replayed, as the views (TUI, streamed text, final report, an
 * exporter) see it: they subscribe and read snapshots; they never drive the core. Whoever
 * started the trace (runTrace's caller) ends it; `report` resolves then.
 */
export interface TraceSession {
  readonly hops: Hop[];
  /** Plain facts the reader needs: where timestamps are taken, the capture filter... */
  readonly notes: string[];
  hopStatus(): HopStatus[];
  subscribe(listener: TraceListener): () => void;
  /** The report as it stands now; cheap enough to call ten times a second. */
  snapshot(): Report;
  /** The final report, once the source has no more frames and the trace is ended. */
  readonly report: Promise<Report>;
  /** Asks the source to stop (Ctrl-C, the q key); `report` resolves once it has. */
  stop(): void;
}
