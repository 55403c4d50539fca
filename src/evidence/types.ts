// The host's state as evidence, and the causes attributed from it. Values only: the words
// are made in words.ts. Every type here is plain JSON, so a snapshot can be written to
// host.json by --record and read back by replay unchanged.

export type Family = 4 | 6;

/** Where a firewall rule lives: which program writes it and therefore which tool printed it. */
export type RuleSource = 'iptables-legacy' | 'iptables-nft' | 'nft';

export type Hook = 'prerouting' | 'input' | 'forward' | 'output' | 'postrouting';

/** One condition of a rule's match, as a value; `unknown` keeps the text it could not read. */
export type Condition =
  | { field: 'saddr' | 'daddr'; neg: boolean; prefix: string }
  | { field: 'iif' | 'oif'; neg: boolean; name: string }
  | { field: 'proto'; neg: boolean; proto: number }
  | { field: 'sport' | 'dport'; neg: boolean; from: number; to: number }
  | { field: 'ctstate'; neg: boolean; states: string[] }
  | { field: 'icmptype'; neg: boolean; type: number }
  | { field: 'unknown'; text: string };

export type Target =
  | { kind: 'accept' | 'drop' | 'return' | 'masquerade' }
  | { kind: 'reject'; with: string }
  | { kind: 'jump' | 'goto'; chain: string }
  | { kind: 'snat' | 'dnat'; to: string }
  | { kind: 'none' }
  | { kind: 'other'; name: string };

export interface Rule {
  source: RuleSource;
  family: Family;
  table: string;
  chain: string;
  /** iptables: 1-based position in its chain; nft: the rule's handle. */
  id: number;
  /** The nftables handle (nft rules, and iptables-nft rules, which live in nftables too): how `nft monitor trace` names a rule. */
  handle?: number;
  /** The rule as its tool prints it, e.g. "-A DOCKER-USER -j DROP". */
  text: string;
  packets: number;
  bytes: number;
  conditions: Condition[];
  target: Target;
}

export interface Chain {
  source: RuleSource;
  family: Family;
  table: string;
  name: string;
  /** Set for a base chain (a built-in iptables chain, an nft chain with a hook). */
  hook?: Hook;
  priority?: number;
  /** 'filter' | 'nat' | 'route' for nft base chains; the table name's kind for iptables. */
  type?: string;
  policy?: 'accept' | 'drop';
  /** Packets that met the policy, where the tool counts them (iptables-save -c of both backends does; nft does not). */
  policyPackets?: number;
}

export interface Ruleset {
  chains: Chain[];
  rules: Rule[];
  /** Backends that hold at least one rule, e.g. ["iptables-nft", "nft"]. */
  backends: RuleSource[];
}

/** A conntrack entry: the original and reply tuples prove a NAT mapping. */
export interface CtTuple {
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  /** ICMP echo id (conntrack's `id=`). */
  id?: number;
  type?: number;
  code?: number;
}
export interface CtEntry {
  family: Family;
  proto: number;
  original: CtTuple;
  reply: CtTuple;
  state?: string;
  unreplied: boolean;
  assured: boolean;
  /** The line as conntrack printed it. */
  text: string;
}

/** The answer of `ip route get DST [from SRC] [iif IF]`, one per probe the caller asked for. */
export interface RouteProbe {
  family: Family;
  dst: string;
  from?: string;
  iif?: string;
  /** The outgoing device, or undefined when the lookup failed. */
  dev?: string;
  via?: string;
  /** Route type when not unicast: blackhole, unreachable, prohibit, local... */
  type?: string;
  /** The kernel's error for a failed lookup, e.g. "Invalid cross-device link". */
  error?: string;
}

/** A listening TCP socket of the namespace and its process (`ss -tlnp`): who answers a published port from the host itself. */
export interface Listener {
  addr: string;
  port: number;
  process: string;
  pid: number;
}

/** One TCP connection of a relay, as its client opened it. */
export interface RelayEnd {
  src: string;
  sport: number;
  dst: string;
  dport: number;
}

export interface LinkState {
  name: string;
  mtu: number;
}

export interface Neighbour {
  dst: string;
  dev: string;
  state: string[];
}

/** A Docker network as Docker describes it: only what changes forwarding and NAT. */
export interface DockerNetwork {
  name: string;
  id: string;
  driver: string;
  bridge?: string;
  subnets: string[];
  internal: boolean;
  icc?: boolean;
  masquerade?: boolean;
  options: Record<string, string>;
}

export interface PublishedPort {
  container: string;
  hostIp: string;
  hostPort: number;
  containerPort: number;
  proto: string;
}

/** Everything read from one namespace at one moment. */
export interface HostSnapshot {
  /** Milliseconds since the epoch. */
  takenAt: number;
  /** The namespace's label, e.g. "ht-dockerhost" or "container:c1". */
  netns: string;
  ruleset: Ruleset;
  conntrack: CtEntry[];
  /** sysctl name (dotted) -> value as printed, e.g. "net.ipv4.ip_forward" -> "1". */
  sysctls: Record<string, string>;
  routes: RouteProbe[];
  neighbours: Neighbour[];
  /** Interfaces with their MTUs (absent in host.json files written before it was read). */
  links?: LinkState[];
  /** Listening TCP sockets with their processes (absent in host.json files written before it was read). */
  listeners?: Listener[];
  docker?: { networks: DockerNetwork[]; published: PublishedPort[] };
  /** What could not be read and why (a tool missing, a command failing): said, not hidden. */
  gaps: string[];
}

/** A packet as it was at a hop: the fields a rule can match on. */
export interface PacketAtHop {
  family: Family;
  src: string;
  dst: string;
  proto: number;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpId?: number;
}

/** Why the host's own stack answered instead of forwarding: the one list (the schema is held to it by a test). */
export const HOST_ICMP_REASONS = ['ttl-expired', 'no-route', 'frag-needed'] as const;
export type HostIcmpReason = (typeof HOST_ICMP_REASONS)[number];

/** The kinds of cause: the one list (schema/report.schema.json is held to it by test/why/schema-causes.test.ts). */
export const CAUSE_KINDS = ['rule', 'policy', 'sysctl', 'route', 'neighbour', 'remote', 'relay', 'unknown'] as const;
export type CauseKind = (typeof CAUSE_KINDS)[number];

/** Counters that moved during the trace (after - before). */
export interface RuleEvidence {
  rule: Rule;
  packetsDelta: number;
}

export type CauseDetail =
  /** `traced`: named by --trace-rules (the kernel's trace of these packets); packetsDelta then counts traced packets. */
  | { type: 'drop-rule'; rule: Rule; packetsDelta: number; traced?: boolean }
  | { type: 'reject-rule'; rule: Rule; packetsDelta: number; rejectWith: string; traced?: boolean }
  | { type: 'ambiguous'; candidates: RuleEvidence[] }
  | { type: 'chain-policy'; chain: Chain; policyDelta?: number; traced?: boolean }
  | { type: 'forwarding-off'; sysctl: string; value: string }
  | { type: 'rp-filter'; sysctl: string; value: string; iif: string; replyDev?: string }
  | { type: 'no-route'; probe: RouteProbe }
  | { type: 'neighbour-failed'; neighbour: Neighbour }
  | { type: 'left-host'; outIface: string }
  /** `reverse`: a reply rewritten by conntrack, undoing the mapping this rule made for the flow's first packet. */
  /** `conntrackAmbiguous`: several entries fit the flow and none is known to be its own (no `conntrack` then). */
  | { type: 'nat-rule'; rule: Rule; packetsDelta: number; conntrack?: CtEntry; conntrackAmbiguous?: boolean; reverse?: boolean }
  | { type: 'missing-snat'; outIface: string; src: string; nearMisses: NearMiss[]; network?: DockerNetwork }
  /**
   * The host's own stack answered with an ICMP error (no REJECT rule): `at` the interface the
   * packets arrived on; `mtu` the one the error names, `outIface`/`ifaceMtu` the way out and its
   * MTU; `probe` the route lookup for them, as the host answered after the trace.
   */
  | { type: 'host-icmp'; reason: HostIcmpReason; at: string; icmp: { v6: boolean; type: number; code: number }; mtu?: number; outIface?: string; ifaceMtu?: number; probe?: RouteProbe }
  /**
   * The flow continues another connection: a proxy (docker-proxy for a published port reached
   * from the host) accepted `front` and opened this one, `back`, carrying the same first
   * `bytes` `delayUs` later; `process`/`pid` when the host's listening sockets were read.
   */
  | { type: 'relay'; front: RelayEnd; back: RelayEnd; bytes: number; delayUs: number; process?: string; pid?: number }
  | { type: 'not-known'; reason: string };

/** Every CauseDetail type: the one list the schema is held to (a missing or extra name fails to compile). */
export const CAUSE_DETAIL_TYPES = [
  'drop-rule', 'reject-rule', 'ambiguous', 'chain-policy', 'forwarding-off', 'rp-filter', 'no-route', 'neighbour-failed',
  'left-host', 'nat-rule', 'missing-snat', 'host-icmp', 'relay', 'not-known',
] as const satisfies readonly CauseDetail['type'][];
type MissingDetailType = Exclude<CauseDetail['type'], (typeof CAUSE_DETAIL_TYPES)[number]>;
export const ALL_DETAIL_TYPES_LISTED: [MissingDetailType] extends [never] ? true : never = true;

/** A NAT rule that would have rewritten the packet but for the conditions listed. */
export interface NearMiss {
  rule: Rule;
  failed: Condition[];
}

export interface Cause {
  kind: CauseKind;
  detail: CauseDetail;
  evidence: { counters: RuleEvidence[]; conntrack: CtEntry[]; sysctls: Record<string, string> };
}

/** What the pipeline knows about a drop: the packets as last seen, where, and where they should have gone. */
export interface DropQuery {
  packet: PacketAtHop;
  /** The interface of the host the packets were last seen on (arriving), e.g. "docker0". */
  inIface: string;
  /** The interface they should have left by, when known (e.g. the uplink "eth0"). */
  outIface?: string;
  /** True when they were seen leaving this host (outIface) and vanished beyond it. */
  leftHost: boolean;
  /** How many packets of the flow went missing at this point. */
  count: number;
  /** Conntrack state the packets had: NEW for an unanswered request, ESTABLISHED for a reply. */
  ctState: 'NEW' | 'ESTABLISHED' | 'RELATED';
  /** Addressed to the host itself (INPUT) rather than forwarded through it. */
  local?: boolean;
}

/** A rewrite the pipeline saw: the packet before and after, and where. */
export interface RewriteQuery {
  before: PacketAtHop;
  after: PacketAtHop;
  inIface: string;
  outIface: string;
}

/** Where the causes of a report come from, said once in the report. */
export interface CauseSource {
  /** host: the host's state was read (live, or host.json); none: a replay of captures without it. */
  evidence: 'host' | 'none';
  /** --trace-rules was used: a temporary nftables table traced the flow during the capture. */
  traceRules: boolean;
  /** What could not be read of the host's state, and why. */
  gaps: string[];
}
