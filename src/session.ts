import type { Hop } from './model.js';
import type { Tracer } from './correlate/tracer.js';

/** Per-hop capture state for the views: packet count and, if any, what went wrong there. */
export interface HopStatus {
  packets: number;
  problem?: string;
  /** Live only: what the kernel counted for this hop's capture (libpcap's pcap_stats, the interface's rx drops). */
  kernel?: { received: number; dropped: number; ifDropped: number };
}

/**
 * A trace in progress, live or replayed: the views (TUI, streamed text, final report) only
 * ever see this, so live and replay render the same way.
 */
export interface TraceSession {
  readonly hops: Hop[];
  readonly tracer: Tracer;
  /** Resolves when the source has no more frames (end of the recording, or capture stopped). */
  readonly done: Promise<void>;
  /** Asks the source to stop (Ctrl-C, the q key); `done` resolves once it has. */
  stop(): void;
  /** Plain facts the reader needs: where timestamps are taken, the capture filter... */
  readonly notes: string[];
  hopStatus(): HopStatus[];
}
