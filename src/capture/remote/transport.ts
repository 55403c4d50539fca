// Capture on another machine: "start a helper with these taps on that node and stream its
// frames". The Docker Engine API implements it (docker-node.ts); a later `kubectl debug`/exec
// transport would implement the same interface, so the rest of hoptrace never knows which.
import type { WireRecord } from '../live/wire.js';

/** One interface to capture on the node, as the local helpers take it, plus where it lives. */
export interface RemoteTap {
  hop: number;
  iface: string;
  filter: string;
  /**
   * The network namespace file on the node (/proc/<pid>/ns/net of a container, or
   * <exec-root>/netns/1-<id> of an overlay); absent: the node's own (host) namespace.
   */
  netns?: string;
}

export interface HelperOptions {
  taps: RemoteTap[];
  /** Slots of libpcap's ring per tap (default RING_PACKETS of live/netns-capture.ts). */
  ringPackets?: number;
  /** The client writes to the helper's stdin this often; absent: no heartbeat is watched. */
  heartbeatMs?: number;
  /** With heartbeats: the helper stops its captures after this long without one (the client is cut off). */
  silenceMs?: number;
}

/** How a helper's stream ended. */
export interface HelperEnd {
  /** The helper's exit code, or undefined when the connection was lost before it exited. */
  exitCode?: number;
  /** Connection lost, helper killed, stream corrupt...: one line, for a warning naming the node. */
  problem?: string;
}

/** A running helper: its frames, and how to end it. Records arrive in the order the node sent them. */
export interface RemoteHelper {
  readonly node: string;
  /** Every record of the helper's stream (ready, packet, stats, problem, corrupt), as wire.ts parses it. */
  onRecord(listener: (record: WireRecord) => void): void;
  /** Resolves once, when the stream has ended for any reason (after stop(), a crash, a lost link). */
  readonly ended: Promise<HelperEnd>;
  /** Ask the helper to flush and exit, then make sure its container is gone. Idempotent. */
  stop(): Promise<HelperEnd>;
}

/** The offset of the node's clock from ours: node time = our time + offsetNs, within +- uncertaintyNs. */
export interface ClockOffset {
  offsetNs: bigint;
  uncertaintyNs: bigint;
  /** Round trips measured; the tightest one gave the figures above. */
  samples: number;
}

export interface CaptureNode {
  /** The name the user gave the node (`--host name=...`), used in every message about it. */
  readonly name: string;
  /** Check the node answers and prepare what a helper needs (the helper image); throws naming the node. */
  prepare(): Promise<void>;
  startHelper(options: HelperOptions): Promise<RemoteHelper>;
  measureClock(roundTrips?: number): Promise<ClockOffset>;
  /** Remove helpers a crashed earlier run left on this node; returns how many were removed. */
  removeLeftovers(): Promise<number>;
}
