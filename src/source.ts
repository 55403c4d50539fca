import type { Frame, Hop, IpPacket, KernelCounts } from './model.js';

/** Per-hop capture state for the views: packet count and, if any, what went wrong there. */
export interface HopStatus {
  packets: number;
  problem?: string;
  /** Live only: what the kernel counted for this hop's capture (libpcap's pcap_stats, the interface's rx drops). */
  kernel?: KernelCounts;
}


/** Where a source puts its frames: the pipeline's core. */
export interface FrameSink {
  push(frame: Frame): void;
  /**
   * The same as push, for a frame held at buf[start, end) of a buffer the source reuses: the
   * bytes are valid only during the call. A source that reads into one buffer (replay) calls
   * it when the sink has it, so that no object is made per frame.
   */
  pushAt?(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void;
  /** The clock moved on with no frame (a live capture is quiet): journeys whose window passed settle. */
  tick(tsSec: number, tsNsec: number): void;
  /**
   * The capture at `hop` stopped early at this time (its host was lost, its helper ended): a
   * packet that could reach the hop only later went uncaptured there, which is not a drop.
   */
  hopEnded?(hop: number, tsSec: number, tsNsec: number): void;
  /** A hop's capture is open with this link type, before its first frame (live sources know it; files need not say). */
  linkType?(hop: number, linkType: number): void;
  /**
   * The packet the last push or pushAt decoded, or undefined when its frame held none: a
   * wrapper that watches the frames too (relay-source.ts) reads it instead of decoding again.
   */
  lastPacket?(): IpPacket | undefined;
}

/**
 * Frames from somewhere (capture files, live captures in several namespaces): a source only
 * yields frames in time order and says when it has no more. It never decodes or reports.
 */
export interface FrameSource {
  readonly hops: Hop[];
  /** Plain facts the reader needs: where timestamps are taken, the capture filter... */
  readonly notes: string[];
  /** Where the timestamps come from, said in the report; the replay wording when not set. */
  readonly timestamps?: string;
  /** Starts putting frames into the sink; rejects when the source cannot start. */
  start(sink: FrameSink): Promise<void>;
  /** Resolves when no more frames will come (end of the recording, capture stopped). */
  readonly ended: Promise<void>;
  /** Asks the source to stop (Ctrl-C, the q key); `ended` resolves once it has. */
  stop(): void;
  hopStatus(): HopStatus[];
  /** Problems met on the way (a file cut short, a hop whose capture ended), for the report. */
  warnings(): string[];
}
