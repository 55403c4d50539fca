// The values that flow through the pipeline (assembled by pipeline/run-trace.ts):
//   capture sources -> Frame -> decode -> IpPacket -> correlate -> Sighting, Journey -> explain -> FlowReport, Report -> render
// Every stage after the sources is pure: it takes these values and returns these values.
import type { Cause, CauseSource } from './evidence/types.js';

import type { IpAddress } from './addresses.js';

/** Link-layer header types, as numbered in pcap/pcapng (LINKTYPE_*). */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

/** One captured record as a capture file or a live capture hands it over. */
export interface Frame {
  /** Index of the hop this frame belongs to, in path order. */
  hop: number;
  linkType: number;
  /** Capture time, split so nanoseconds survive (a double holds only ~0.25 us at today's epoch). */
  tsSec: number;
  tsNsec: number;
  /** Captured bytes (may be shorter than origLen when the snaplen cut it). */
  data: Uint8Array;
  origLen: number;
}

/** The roles a hop can have: the one list (schema/report.schema.json is held to it by a test). */
export const HOP_ROLES = ['container', 'veth', 'bridge', 'uplink', 'host', 'tunnel', 'other'] as const;
/** A hop of the path: one interface on which packets were captured. */
export type HopRole = (typeof HOP_ROLES)[number];

export interface Hop {
  name: string;
  role: HopRole;
  netns?: string;
  iface?: string;
  addrs: string[];
  /** Capture file this hop was read from (replay) or written to (--record). */
  file?: string;
  mtu?: number;
  /** Live reports only: what the kernel counted for this hop's capture. */
  kernel?: KernelCounts;
  /** The machine the hop is on, in a trace across several hosts (`--host name=...`). */
  host?: string;
  /**
   * How far this hop's host clock may be from the trace's reference clock, in microseconds
   * (after the measured offset was applied); absent on a multi-host trace: never compared.
   */
  clockUncertaintyUs?: number;
}

/**
 * A live hop's capture as the kernel counted it (libpcap's pcap_stats, the interface's rx
 * drops). On Linux `received` (packets the capture filter passed) includes `dropped` (no room
 * in libpcap's ring); `ifDropped` is what the interface itself dropped on receive.
 */
export interface KernelCounts {
  received: number;
  dropped: number;
  ifDropped: number;
}

/** A non-fatal problem met while reading, shown to the user as a warning line. */
export interface SourceWarning {
  file: string;
  offset: number;
  message: string;
}

export type L4 =
  | { kind: 'tcp'; sport: number; dport: number; seq: number; ack: number; flags: number; window: number; payloadLen: number }
  | { kind: 'udp'; sport: number; dport: number; length: number; payloadLen: number }
  | { kind: 'icmp'; v6: boolean; type: number; code: number; id?: number; seq?: number; quoted?: IpPacket; mtu?: number }
  | { kind: 'other'; proto: number };

/**
 * A VLAN tag or a tunnel a packet was found in. For VXLAN, the carrier's (underlay's)
 * addresses and UDP ports, so a view can say "VXLAN VNI 4097, underlay A -> B, UDP 4789".
 */
export type Encap =
  | { kind: 'vlan'; id: number }
  | { kind: 'vxlan'; vni: number; src: IpAddress; dst: IpAddress; sport: number; dport: number };

/** The network and transport layer of a packet; `quoted` packets inside ICMP errors use it too. */
export interface IpPacket {
  version: 4 | 6;
  src: IpAddress;
  dst: IpAddress;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IPv4 identification, or the IPv6 fragment header id, or 0. */
  ipId: number;
  /** IPv4 total length / IPv6 payload length + 40, as the header says. */
  length: number;
  /** Transport protocol number after IPv6 extension headers. */
  proto: number;
  /** Non-first fragments carry no transport header. */
  fragment?: { offset: number; more: boolean };
  l4: L4;
  /** A hash of the first bytes of the transport payload (signed 32-bit): NAT does not change it. */
  payloadHash: number;
  /** Set when the bytes ended before a layer did; the fields decoded so far are kept. */
  truncated?: string;
}

export type Direction = 'request' | 'reply';
/** The fields NAT can rewrite: the one list (the schema is held to it by a test; correlate/rewrites.ts reads them). */
export const REWRITE_FIELDS = ['src', 'dst', 'sport', 'dport', 'icmp-id'] as const;
export type RewriteField = (typeof REWRITE_FIELDS)[number];

/** A rewritten field's value: an address for src/dst, a port or ICMP id (a number) otherwise. */
export type FieldValue = IpAddress;

export interface Rewrite {
  between: [string, string];
  direction: Direction;
  field: RewriteField;
  from: FieldValue;
  to: FieldValue;
  /** The rule that made it, from the host's state (src/evidence/causes.ts); absent without that state. */
  cause?: Cause;
}

/** One side of a flow: its address, and its port for TCP and UDP. */
export interface Endpoint {
  addr: IpAddress;
  port?: number;
}

/** What answered a request in the responder's place: an ICMP error about it, or a TCP reset. */
export type Rejection =
  | { kind: 'icmp-error'; v6: boolean; type: number; code: number; from: IpAddress; mtu?: number }
  | { kind: 'tcp-reset'; from: IpAddress };

/** The verdicts: the one list (the schema is held to it by a test). */
export const VERDICTS = ['ok', 'partial', 'no-reply', 'dropped', 'rejected', 'reply-dropped'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** Where something happened on the path: between two hops, at one, or beyond the last hop that saw the flow. */
export type Place = { between: [string, string] } | { at: string } | { beyond: string };

/**
 * What answered a request instead of the responder, and where it was made: `path` (a hop of the
 * captured path made it: a REJECT rule or the host's own stack; `between` the last hop the
 * request reached and the next), `destination` (the hop that owns the request's destination,
 * `at`), or `beyond` (it crossed the last hop the request reached, from further on).
 */
export type AnsweringSide = 'path' | 'destination' | 'beyond';

/** The finding codes: the one list (the schema is held to it by a test). */
export const FINDING_CODES = [
  'rejected',
  'reset-close',
  'no-snat',
  'capture-gap',
  'hop-not-seeing-flow',
  'partial-loss',
  'unanswered',
  'in-flight',
  'not-captured',
] as const;

/**
 * A finding as a value: what, how many, where. Sentences are made in render/ (render/findings.ts);
 * the JSON report carries both the fields and the sentence (`message`).
 */
export type Finding =
  | ({ code: 'rejected'; count: number; answer: Rejection; side: AnsweringSide; netns?: string } & Place)
  | { code: 'reset-close'; side: 'initiator' | 'responder'; from: IpAddress }
  | { code: 'no-snat'; at: string; src: IpAddress }
  | { code: 'capture-gap'; at: string; count: number }
  | { code: 'hop-not-seeing-flow'; at: string; count: number; bridge: boolean }
  | ({ code: 'partial-loss'; direction: Direction; count: number; of: number } & Place)
  | { code: 'unanswered'; count: number; of: number; beyond: string }
  /** On the path (no `beyond`), or requests that had left the path's end (`beyond`) so recently that their answer may have been on its way. */
  | { code: 'in-flight'; direction: Direction; count: number; beyond?: string }
  /** Packets that could reach `at` only after its capture had ended early (its host was lost): not captured there, not known lost. */
  | { code: 'not-captured'; direction: Direction; count: number; at: string; unanswered?: number };
export type FindingCode = Finding['code'];

export interface TtlStep {
  between: [string, string];
  direction: Direction;
  decrement: number;
}

export interface LatencyStep {
  between: [string, string];
  direction: Direction;
  samples: number;
  minUs: number;
  avgUs: number;
  maxUs: number;
  /** Set between hops on two hosts: the clocks agree only to +- this (the figures above are rounded to it). */
  uncertaintyUs?: number;
}

/**
 * Where the flow's packets went into or came out of a tunnel: `between` the hop that saw the
 * bare packet and the hop that saw it encapsulated (or the other way round).
 */
export interface TunnelStep {
  between: [string, string];
  direction: Direction;
  kind: 'vxlan';
  vni: number;
  /** The carrier's addresses and ports as the uplink saw them. */
  outer: { src: string; dst: string; dport: number };
  /** Encapsulated going from `between[0]` to `between[1]`, or decapsulated. */
  action: 'encapsulated' | 'decapsulated';
}

export interface FlowReport {
  id: number;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | string;
  initiator: Endpoint;
  responder: Endpoint;
  verdict: Verdict;
  /** Farthest hop the initiator's packets were seen at. */
  reached: string;
  dropBetween: [string, string] | null;
  rewrites: Rewrite[];
  ttl: TtlStep[];
  latency: LatencyStep[];
  findings: Finding[];
  /** Tunnels the packets crossed (absent when none); `insideAt`: hops that saw them encapsulated. */
  tunnels?: { steps: TunnelStep[]; insideAt: string[] };
  packets: { request: number; reply: number };
  /** Seconds since the trace's first frame. */
  firstSeen: number;
  lastSeen: number;
  /** Why a not-ok verdict happened, from the host's state (src/evidence/causes.ts). */
  cause?: Cause;
}

export interface Report {
  hops: Hop[];
  flows: FlowReport[];
  /** Packets per hop, frames skipped, other hosts' flows left out, warnings. */
  summary: {
    packetsPerHop: number[];
    skippedFrames: number;
    otherFlows: number;
    warnings: string[];
    timestamps: string;
  };
  /** Whether causes were looked for, and from what (set by attachCauses). */
  causes?: CauseSource;
}

/** One packet seen at one hop. */
export interface Sighting {
  hop: number;
  /** 0-based index of its frame in its hop's frame stream, counting every frame (decoded or not). */
  frameSeq: number;
  /** Nanoseconds since the trace's first frame. */
  t: number;
  ip: IpPacket;
  /** The VLANs and tunnels the packet was found in, outermost first (usually none). */
  encap: readonly Encap[];
}

/**
 * The same packet followed along the path: its sightings in the order it crossed the hops.
 * Settled once no further hop can see it (the matching window has passed).
 */
export interface Journey {
  flowId: number;
  direction: Direction;
  /** It travelled towards higher hop indexes (from the flow's request direction, not from timestamps). */
  ascending: boolean;
  sightings: Sighting[];
  /** Hop indexes (travel order) between which it vanished, if it did. */
  vanishedBetween?: [number, number];
  /** Hops before its first sighting that should have seen it but did not (capture loss). */
  missedAt?: number[];
  /** Still open when the capture ended and not arrived: `atEnd` will say how it was judged. */
  openAtEnd?: true;
  /**
   * Not arrived when the capture ended: set once the trace ends (after the journey was told), as
   * correlate/inflight.ts judges it: still on its way, or lost, between these hops (travel order).
   */
  atEnd?: { between: [number, number]; inFlight: boolean };
}

/** What a running trace tells its listeners (TUI, text streaming, exporters). */
export type TraceEvent =
  | { kind: 'journey'; journey: Journey }
  | { kind: 'flow'; flow: FlowReport }
  /** A frame that did not decode to an IP packet (ARP, LLDP, an unknown link type...). */
  | { kind: 'skipped'; hop: number; frameSeq: number; reason: string };
