// The values that flow through the pipeline:
//   capture sources -> Frame -> decode -> Packet -> correlate -> Journey -> explain -> Report -> render
// Every stage after the sources is pure: it takes these values and returns these values.

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

/** A hop of the path: one interface on which packets were captured. */
export type HopRole = 'container' | 'veth' | 'bridge' | 'uplink' | 'host' | 'tunnel' | 'other';

export interface Hop {
  name: string;
  role: HopRole;
  netns?: string;
  iface?: string;
  addrs: string[];
  /** Capture file this hop was read from (replay) or written to (--record). */
  file?: string;
  mtu?: number;
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
  | { kind: 'icmp'; v6: boolean; type: number; code: number; id?: number; seq?: number; quoted?: IpPacket }
  | { kind: 'other'; proto: number };

/** The network and transport layer of a packet; `quoted` packets inside ICMP errors use it too. */
export interface IpPacket {
  version: 4 | 6;
  src: string;
  dst: string;
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
  /** A hash of the first bytes of the transport payload: NAT does not change it. */
  payloadHash: number;
  /** Set when the bytes ended before a layer did; the fields decoded so far are kept. */
  truncated?: string;
}

/** A decoded frame: what the correlator sees of each captured packet. */
export interface Packet {
  hop: number;
  /** Nanoseconds since the trace's first frame (fits a double for ~104 days). */
  t: number;
  ip: IpPacket;
  /** VLAN ids and tunnels the packet was found inside, outermost first, e.g. ["vlan 100", "vxlan 42"]. */
  encap: string[];
}

/** Why a frame produced no Packet (ARP, LLDP, an unknown link type...): counted, not reported. */
export interface Skipped {
  hop: number;
  reason: string;
}

export type Direction = 'request' | 'reply';
export type RewriteField = 'src' | 'dst' | 'sport' | 'dport' | 'icmp-id';

export interface Rewrite {
  between: [string, string];
  direction: Direction;
  field: RewriteField;
  from: string;
  to: string;
}

export type Verdict = 'ok' | 'no-reply' | 'dropped' | 'rejected' | 'reply-dropped';

export interface Finding {
  code: string;
  message: string;
}

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
}

export interface FlowReport {
  id: number;
  proto: 'tcp' | 'udp' | 'icmp' | 'icmpv6' | string;
  initiator: string;
  responder: string;
  verdict: Verdict;
  /** Farthest hop the initiator's packets were seen at. */
  reached: string;
  dropBetween: [string, string] | null;
  rewrites: Rewrite[];
  ttl: TtlStep[];
  latency: LatencyStep[];
  findings: Finding[];
  packets: { request: number; reply: number };
  /** Seconds since the trace's first frame. */
  firstSeen: number;
  lastSeen: number;
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
}

/** One packet seen at one hop. */
export interface Sighting {
  hop: number;
  /** 0-based index of its frame among all frames of its hop (skipped ones counted): ties it to an exported frame. */
  frameSeq: number;
  /** Nanoseconds since the trace's first frame. */
  t: number;
  ip: IpPacket;
}

/**
 * The same packet followed along the path: its sightings in the order it crossed the hops.
 * Settled once no further hop can see it (the matching window has passed).
 */
export interface Journey {
  flowId: number;
  direction: Direction;
  /** It travelled towards higher hop indexes (the flow's request direction decides, not timestamps). */
  ascending?: boolean;
  sightings: Sighting[];
  /** Hop indexes (travel order) between which it vanished, if it did. */
  vanishedBetween?: [number, number];
  /** Hops before its first sighting that should have seen it but did not (capture loss). */
  missedAt?: number[];
}

/** What a running trace tells its listeners (TUI, text streaming). */
export type TraceEvent =
  | { kind: 'journey'; journey: Journey }
  | { kind: 'flow'; flow: FlowReport };
