import type { Frame, Hop, Report, TraceEvent } from './model.js';
import type { HopStatus } from './source.js';

export type { HopStatus } from './source.js';

export type TraceListener = (event: TraceEvent) => void;

/** Where a frame is in its hop's stream: a sighting's hop and frameSeq. */
export interface FramePlace {
  hop: number;
  frameSeq: number;
}

/**
 * Sees the frames themselves, for an exporter that writes every frame with what the core found
 * (--pcapng): each frame before the core gets it, how far settling got after each push or tick,
 * and the final report.
 */
export interface FrameTap {
  frame(frame: Frame): void;
  /** Every frame pushed before this one has had its journey settled and told to listeners; undefined: every frame pushed has. */
  settledBefore(oldestOpen: FramePlace | undefined): void;
  /** A hop's capture is open with this link type, before its first frame (live captures). */
  linkType?(hop: number, linkType: number): void;
  /** The source's clock moved on with no frame; its last tick is when the captures stopped. */
  tick(tsSec: number, tsNsec: number): void;
  /** The trace ended with this report (filtered as the views get it); nothing follows. */
  end(report: Report): void;
}

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
