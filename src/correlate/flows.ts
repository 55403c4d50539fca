import type { IpAddress } from '../addresses.js';
import type { Direction, Encap, Endpoint, FieldValue, IpPacket, Journey, L4, Rejection, RewriteField, Sighting } from '../model.js';
import { conversationKey, endpointsOf, isEchoReply, isEchoRequest, isIcmpError, protoName, quotedOf, sameSide, TCP_ACK, TCP_SYN, type Endpoints, type Side } from './keys.js';
import type { PathModel } from './path.js';
import { SentEchoes } from './echo-ledger.js';

/** What happened to one direction of a flow, summed over its packets. */
export interface DirectionStats {
  packets: number;
  /** Packets that reached the end of their travel (the far end of the path, or their destination hop). */
  arrived: number;
  /** Packets still on their way when the capture ended. */
  inFlight: number;
  /** Per hop: packets last seen there that did not arrive. */
  vanishedAfter: number[];
  /** Per hop whose capture had ended early: packets that could only have reached it after its end (not captured, not known lost). */
  notCaptured?: number[];
  /** Echo requests last seen before a hop whose capture had ended, and never answered (requests only). */
  unansweredNotCaptured?: number;
  /** Per hop: packets seen there, and packets that crossed it without being seen. */
  seen: number[];
  missed: number[];
  /** Farthest position along the travel order reached by any packet (-1: none). */
  farthest: number;
  /**
   * Packets that had not arrived when the trace ended, still to be judged in flight or vanished
   * (correlate/inflight.ts) once everything else is known.
   */
  pending: PendingPacket[];
  /** Echo requests that reached the end of their travel and were never answered. */
  unanswered: number;
  /** Echo requests that reached the end of their travel so shortly before the capture ended that their answer may have been on its way. */
  awaiting: number;
}

/** A packet last seen at `hop` at time `t`, not (yet) seen at `next` when the trace ended. */
export interface PendingPacket {
  hop: number;
  next: number;
  t: number;
  ip: IpPacket;
  /** The journey listeners were told of, to hear how it ended (Journey.atEnd). */
  journey?: Journey;
}

/** The answers to a flow's echo requests, by sequence number: an echo reply answers its request. */
export interface EchoLedger {
  /** Sequence number -> when the request was last seen and the request-order position it reached (Infinity: the end of its travel). */
  sent: SentEchoes<NonNullable<SentEcho['short']>>;
  /** Sequence numbers answered by an echo reply or by an ICMP error quoting the request. */
  answered: Set<number>;
  /**
   * Sequence number -> the farthest request-order position an answer to it (an echo reply, or an
   * ICMP error quoting it) was first seen at: its request crossed every hop up to there.
   */
  answeredFrom?: Map<number, number>;
  /** Longest time from a request's last sighting to its reply's first sighting. */
  longestRoundTripNs: number;
}

/** An echo request as the ledger keeps it. */
export interface SentEcho {
  t: number;
  reached: number;
  /**
   * Not arrived when its journey was accounted: counted vanished after `hop` (or, with `pending`,
   * left to be judged at the end), its travel ending at position `end`. An answer seen later
   * from farther along shows it crossed the hops between unseen (correlate/account.ts).
   */
  short?: { hop: number; end: number; pending?: PendingPacket };
}

export interface RewriteRecord {
  from: number;
  to: number;
  direction: Direction;
  field: RewriteField;
  before: FieldValue;
  after: FieldValue;
}

export interface StepStats {
  from: number;
  to: number;
  direction: Direction;
  /** TTL decrements seen on this step, with how often. */
  ttl: Map<number, number>;
  samples: number;
  minNs: number;
  maxNs: number;
  sumNs: number;
  /** The newest time a packet left `from` and was seen at `to`: a later packet crossed this pair. */
  lastFromNs: number;
}

export interface FlowState {
  /** Given once the flow turns out to be the traced container's. */
  publicId: number;
  proto: string;
  initiator: Endpoint;
  responder: Endpoint;
  /** Requests travel with increasing hop index (container side first) when true. */
  outbound: boolean;
  /** Request-oriented endpoints as each hop saw them. */
  endpointsAt: Map<number, Endpoints>;
  /** A packet of the flow as each hop saw it, and whether it was a request: compared field by field on the fast path. */
  sampleAt: Map<number, { ip: IpPacket; request: boolean }>;
  request: DirectionStats;
  reply: DirectionStats;
  /** Distinct rewrites, by hop pair (hopPairKey) and field. */
  rewrites: Map<number, RewriteRecord[]>;
  /** Latency and TTL per step, by hop pair (hopPairKey). */
  steps: Map<number, StepStats>;
  /** Where packets went into or out of a tunnel, by hop pair (hopPairKey; correlate/tunnels.ts). */
  tunnels: Map<number, TunnelRecord>;
  /** Bit i set: the flow's packets were seen inside a tunnel at hop i. */
  insideAt: number;
  /** The first ICMP error or TCP reset that came back, where it was first seen, and how many came. */
  rejection?: Rejection;
  rejectionHop?: number;
  rejections: number;
  /** Answers (replies that are not an ICMP error or a reset) that reached the end of their travel. */
  answers: number;
  /** Request-order position of the farthest hop at which an answer was first seen (-1: none): the flow turns there. */
  turn: number;
  /** Time of the newest first sighting of any packet coming back (answer, error or reset). */
  lastBack: number;
  /** A reset after the conversation was answered: a close, not a rejection. */
  resetClose?: { side: 'initiator' | 'responder'; from: IpAddress };
  echo: EchoLedger;
  noSnat?: { hop: number; src: IpAddress };
  firstSeen: number;
  lastSeen: number;
  version: number;
}

function directionStats(hops: number): DirectionStats {
  return {
    packets: 0,
    arrived: 0,
    inFlight: 0,
    vanishedAfter: new Array<number>(hops).fill(0),
    seen: new Array<number>(hops).fill(0),
    missed: new Array<number>(hops).fill(0),
    farthest: -1,
    pending: [],
    unanswered: 0,
    awaiting: 0,
  };
}

/** The packet whose endpoints place a sighting in a flow: an ICMP error speaks for the packet it quotes. */
function subjectOf(ip: IpPacket): IpPacket {
  return quotedOf(ip) ?? ip;
}

/** A side as the report names a flow's end: its address and port, without the echo id. */
function endpointOf(side: Side): Endpoint {
  return side.port === undefined ? { addr: side.addr } : { addr: side.addr, port: side.port };
}

/** The flow a journey belongs to, which way it went, and whether the flow is new. */
export interface Placement {
  flow: FlowState;
  direction: Direction;
  created: boolean;
}

/** Finds or creates the flow of a settled journey and tells which way the journey went. */
export class FlowTable {
  private readonly byConversation = new Map<string, FlowState>();
  /** Per hop, the flow the last journey seen there belonged to: packets of a flow come in runs. */
  private readonly recent: (FlowState | undefined)[] = [];
  /** First fragments by hop, addresses, protocol and IP id: their later fragments join their flow. */
  private readonly firstFragments = new Map<string, { flow: FlowState; direction: Direction }>();

  constructor(private readonly path: PathModel) {}

  place(sightings: Sighting[]): Placement {
    const tied = this.tieFragment(sightings);
    if (tied) return tied;
    const placed = this.placeLikeLast(sightings) ?? this.lookUp(sightings);
    this.recent[sightings[0].hop] = placed.flow;
    this.rememberFirstFragment(placed, sightings);
    return placed;
  }

  /**
   * A later fragment carries no transport header: it belongs to the flow of the first fragment
   * with the same addresses, protocol and IP id as the same hop saw them. One that came without
   * its first fragment stays a flow of its own (named by protocol number).
   */
  private tieFragment(sightings: Sighting[]): Placement | undefined {
    const fragment = sightings[0].ip.fragment;
    if (!fragment || fragment.offset === 0) return undefined;
    for (const s of sightings) {
      const first = this.firstFragments.get(fragmentKey(s.hop, s.ip));
      if (first) return { flow: first.flow, direction: first.direction, created: false };
    }
    return undefined;
  }

  private rememberFirstFragment(placed: Placement, sightings: Sighting[]): void {
    const fragment = sightings[0].ip.fragment;
    if (!fragment || fragment.offset !== 0 || !fragment.more) return;
    // Fragments follow their first within milliseconds: an old entry is never needed, so the table stays small.
    if (this.firstFragments.size >= 4096) this.firstFragments.clear();
    for (const s of sightings) this.firstFragments.set(fragmentKey(s.hop, s.ip), { flow: placed.flow, direction: placed.direction });
  }

  /** The fast path: the same conversation as the last journey at this hop, told without building a key. */
  private placeLikeLast(sightings: Sighting[]): Placement | undefined {
    const s = sightings[0];
    const flow = this.recent[s.hop];
    if (!flow) return undefined;
    // A flow is recent at a hop once placed there, so registered there (register sets both).
    const sample = flow.sampleAt.get(s.hop)!;
    const subject = subjectOf(s.ip);
    const same = sameWay(sample.ip, subject);
    if (same === undefined) return undefined;
    const subjectIsRequest = same === sample.request;
    const direction: Direction = subjectIsRequest !== (subject !== s.ip) ? 'request' : 'reply';
    this.register(flow, sightings, direction);
    return { flow, direction, created: false };
  }

  private lookUp(sightings: Sighting[]): Placement {
    for (const s of sightings) {
      const subject = subjectOf(s.ip);
      const e = endpointsOf(subject);
      const flow = this.byConversation.get(conversationKey(s.hop, e));
      if (!flow) continue;
      // Found by how this hop names it, so registered at this hop (register sets both).
      const known = flow.endpointsAt.get(s.hop)!;
      const subjectIsRequest = sameSide(known.src, e.src);
      const quoted = subject !== s.ip;
      const direction: Direction = subjectIsRequest !== quoted ? 'request' : 'reply';
      this.register(flow, sightings, direction);
      return { flow, direction, created: false };
    }
    const flow = this.create(sightings);
    const first = sightings[0].ip;
    const direction: Direction = isIcmpError(first) || isAnswer(first) ? 'reply' : 'request';
    this.register(flow, sightings, direction);
    return { flow, direction, created: true };
  }

  private create(sightings: Sighting[]): FlowState {
    const first = sightings[0];
    // Sides are named by who spoke first; a capture that starts with an answer is turned round.
    const answer = isAnswer(first.ip);
    // An answer or an ICMP error travels against the requests.
    const reversed = answer || first.ip !== subjectOf(first.ip);
    const outbound = this.outboundByAddress(sightings, answer) ?? this.outboundByHops(sightings, reversed);
    // The initiator as its own end of the path sees it (before NAT on the way out, after it on the way in).
    const atInitiator = sightings.reduce((best, s) => ((outbound ? s.hop < best.hop : s.hop > best.hop) ? s : best));
    const subject = subjectOf(atInitiator.ip);
    const e = endpointsOf(subject);
    const hops = this.path.size;
    return {
      publicId: 0,
      proto: protoName(subject),
      initiator: endpointOf(answer ? e.dst : e.src),
      responder: endpointOf(answer ? e.src : e.dst),
      outbound,
      endpointsAt: new Map(),
      sampleAt: new Map(),
      request: directionStats(hops),
      reply: directionStats(hops),
      rewrites: new Map(),
      steps: new Map(),
      rejections: 0,
      answers: 0,
      turn: -1,
      lastBack: -Infinity,
      echo: { sent: new SentEchoes(), answered: new Set(), longestRoundTripNs: 0 },
      tunnels: new Map(),
      insideAt: 0,
      firstSeen: first.t,
      lastSeen: first.t,
      version: 0,
    };
  }

  /**
   * The traced container's own address says which way requests go. It is asked first: hops
   * captured on different clocks (other machines, or recordings an earlier hoptrace stamped in
   * user space) can be out of path order by milliseconds.
   */
  private outboundByAddress(sightings: Sighting[], answer: boolean): boolean | undefined {
    for (const s of sightings) {
      const subject = subjectOf(s.ip);
      const [src, dst] = answer ? [subject.dst, subject.src] : [subject.src, subject.dst];
      if (this.path.tracedAddrs.has(src)) return true;
      if (this.path.tracedAddrs.has(dst)) return false;
    }
    return undefined;
  }

  /** Without a known address: the order the hops saw the packet in, or a lone sighting's place. */
  private outboundByHops(sightings: Sighting[], reversed: boolean): boolean {
    const first = sightings[0];
    const last = sightings[sightings.length - 1];
    const increasing = sightings.length > 1 ? last.hop > first.hop : first.hop < this.path.size - 1 || this.path.size === 1;
    return increasing !== reversed;
  }

  /** Drops every way to find the flow: a later packet of its conversation starts a new one. */
  forget(flow: FlowState): void {
    for (const [hop, e] of flow.endpointsAt) {
      const key = conversationKey(hop, e);
      if (this.byConversation.get(key) === flow) this.byConversation.delete(key);
      if (this.recent[hop] === flow) this.recent[hop] = undefined;
    }
  }

  /** Remembers how each hop names the flow, so later packets there find it. */
  private register(flow: FlowState, sightings: Sighting[], direction: Direction): void {
    for (const s of sightings) {
      if (flow.endpointsAt.has(s.hop)) continue;
      const subject = subjectOf(s.ip);
      const e = endpointsOf(subject);
      const quoted = subject !== s.ip;
      const subjectIsRequest = (direction === 'request') !== quoted;
      const oriented = subjectIsRequest ? e : { proto: e.proto, src: e.dst, dst: e.src };
      flow.endpointsAt.set(s.hop, oriented);
      flow.sampleAt.set(s.hop, { ip: subject, request: subjectIsRequest });
      this.byConversation.set(conversationKey(s.hop, oriented), flow);
    }
  }
}

/**
 * Whether `b` belongs to the conversation of `a` and goes the same way (true) or the other way
 * (false); undefined: another conversation. The same fields that name a conversation in
 * `endpointsOf`, compared directly (an IPv4 and an IPv6 address never compare equal).
 */
function sameWay(a: IpPacket, b: IpPacket): boolean | undefined {
  if (a.proto !== b.proto) return undefined;
  const same = a.src === b.src && a.dst === b.dst;
  const reversed = a.src === b.dst && a.dst === b.src;
  if (!same && !reversed) return undefined;
  const la = a.l4;
  const lb = b.l4;
  if ((la.kind === 'tcp' || la.kind === 'udp') && la.kind === lb.kind) {
    if (same && la.sport === lb.sport && la.dport === lb.dport) return true;
    if (reversed && la.sport === lb.dport && la.dport === lb.sport) return false;
    return undefined;
  }
  if (la.kind !== lb.kind) return undefined;
  // ICMP, or a protocol not decoded. Without echo ids (ICMP errors, other ICMP, no header): by the addresses.
  const id = echoIdOf(la);
  if (id !== echoIdOf(lb)) return undefined;
  if (id === undefined) return same;
  // An echo id names one pinger's conversation: a request and its reply go opposite ways.
  const sameKind = isEchoRequest(la) === isEchoRequest(lb);
  if (same && sameKind) return true;
  if (reversed && !sameKind) return false;
  return undefined;
}

function echoIdOf(l4: L4): number | undefined {
  return l4.kind === 'icmp' ? l4.id : undefined;
}

/** A packet that can only be an answer: a SYN-ACK, an echo reply. */
function isAnswer(ip: IpPacket): boolean {
  const l4 = ip.l4;
  if (l4.kind === 'tcp') return (l4.flags & (TCP_SYN | TCP_ACK)) === (TCP_SYN | TCP_ACK);
  return isEchoReply(l4);
}

function fragmentKey(hop: number, ip: IpPacket): string {
  return `${hop}|${ip.src}|${ip.dst}|${ip.proto}|${ip.ipId}`;
}

/** A value seen through a read-only lens, all the way down. */
export type ReadonlyDeep<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends Map<infer K, infer V>
    ? ReadonlyMap<K, ReadonlyDeep<V>>
    : T extends Set<infer U>
      ? ReadonlySet<U>
      : T extends Array<infer U>
        ? ReadonlyArray<ReadonlyDeep<U>>
        : T extends object
          ? { readonly [P in keyof T]: ReadonlyDeep<T[P]> }
          : T;

/** What explain receives of a flow: correlate's sums, read-only (explain decides; it never counts). */
export type FlowSummary = ReadonlyDeep<FlowState>;
export type DirectionSummary = ReadonlyDeep<DirectionStats>;

/**
 * A step's hop pair as a map key (hops below 256): `steps`, `rewrites` and `tunnels` are kept by
 * it. The pair's order tells the direction: a flow's requests cross its hops one way, its replies
 * the other (a journey's sightings are compared in travel order).
 */
export function hopPairKey(from: number, to: number): number {
  return (from << 8) | to;
}

/** A tunnel step of a flow: the carrier as the hop inside the tunnel saw it. */
export interface TunnelRecord {
  from: number;
  to: number;
  direction: Direction;
  tunnel: Extract<Encap, { kind: 'vxlan' }>;
  /** Going from `from` to `to` the packet entered the tunnel (else it left it). */
  entered: boolean;
}
