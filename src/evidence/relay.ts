// A relay is not NAT: a published port reached from the Docker host itself is answered by
// docker-proxy, which opens a second connection, from the bridge's address, to the container.
// The two are tied by what they carry: the same first payload bytes, sent on the relayed
// connection moments after the proxy received them on its listening port. From the frames
// alone (so a replay of plain captures ties them too); the proxy's pid comes from the host's
// state when it was read (listening sockets, collect.ts). Pure apart from the tap's own memory.
import type { Encap, Frame, Hop, IpPacket, Report } from '../model.js';
import type { FrameTap } from '../session.js';
import { decodeFrame, decodePacketAt } from '../decode/index.js';
import { formatAddress } from '../addresses.js';
import type { Cause, Listener, RelayEnd } from './types.js';
import { endpointOf } from './packets.js';

/** How long after the client's bytes reached the proxy its own connection may carry them. */
const RELAY_WINDOW_NS = 1_000_000_000;
/** Connections remembered at most: enough for a trace's proxied ones, never unbounded. */
const MAX_CONNECTIONS = 4096;

const SYN = 0x02;
const ACK = 0x10;

interface Connection {
  /** The client's side (it sent the SYN; or the first payload seen, when the SYN was not). */
  client: RelayEnd;
  /** The client's side as the connections are keyed (raw address values, never shown). */
  clientKey: string;
  hop: number;
  /** The client's first payload: when it was seen, its length and fingerprint. */
  first?: { t: bigint; len: number; hash: number; seq: number };
}

export interface RelayTie {
  /** The connection the proxy accepted (to its listening port). */
  front: RelayEnd;
  /** The connection it opened to the container, from the bridge's address. */
  back: RelayEnd;
  /** Bytes of the client's first payload, carried by both. */
  bytes: number;
  /** How long after the front connection's bytes the back connection carried them. */
  delayUs: number;
}

/** A connection's side as the map keys it: the raw address values (never shown), the family first. */
const connKey = (version: number, src: IpPacket['src'], sport: number, dst: IpPacket['dst'], dport: number): string => `${version}|${src}|${sport}|${dst}|${dport}`;
const reverse = (e: RelayEnd): RelayEnd => ({ src: e.dst, sport: e.dport, dst: e.src, dport: e.sport });

/** Watches every frame of a trace (a FrameTap) and ties the connections a relay joined. */
export class RelayWatch implements FrameTap {
  private readonly conns = new Map<string, Connection>();
  private readonly bridgeAddrs: Set<string>;
  private readonly encap: Encap[] = [];

  constructor(hops: Hop[]) {
    this.bridgeAddrs = new Set(hops.filter((h) => h.role === 'bridge').flatMap((h) => h.addrs.map((a) => a.split('/')[0]!)));
  }

  frame(f: Frame): void {
    const d = decodeFrame(f.linkType, f.data, f.origLen);
    if (d.kind === 'packet') this.packet(f.hop, f.tsSec, f.tsNsec, d.ip);
  }

  /** A frame held at buf[start, end) of a buffer the caller reuses (a relay-only hop's frames). */
  frameAt(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void {
    const ip = decodePacketAt(linkType, buf, start, end, origLen, this.encap);
    this.encap.length = 0;
    if (typeof ip !== 'string') this.packet(hop, tsSec, tsNsec, ip);
  }

  /**
   * A frame's packet, decoded already (the pipeline's own decode, FrameSink.lastPacket). Only
   * TCP matters; the connection is looked up by its raw values, and its ends are written out
   * as text only when it is first seen.
   */
  packet(hop: number, tsSec: number, tsNsec: number, ip: IpPacket): void {
    const l4 = ip.l4;
    if (l4.kind !== 'tcp') return;
    const seenKey = connKey(ip.version, ip.src, l4.sport, ip.dst, l4.dport);
    let conn = this.conns.get(seenKey);
    let backKey: string | undefined;
    if (!conn) {
      backKey = connKey(ip.version, ip.dst, l4.dport, ip.src, l4.sport);
      conn = this.conns.get(backKey);
    }
    if (!conn) {
      if (this.conns.size >= MAX_CONNECTIONS) return;
      const seen: RelayEnd = { src: formatAddress(ip.src), sport: l4.sport, dst: formatAddress(ip.dst), dport: l4.dport };
      // A SYN-ACK names the client as its destination; anything else is taken as from the client.
      const fromServer = (l4.flags & (SYN | ACK)) === (SYN | ACK);
      const clientKey = fromServer ? backKey! : seenKey;
      conn = { client: fromServer ? reverse(seen) : seen, clientKey, hop };
      this.conns.set(clientKey, conn);
    }
    const fromClient = seenKey === conn.clientKey;
    if (fromClient && !conn.first && l4.payloadLen > 0 && ip.payloadHash !== 0) {
      conn.first = { t: BigInt(tsSec) * 1_000_000_000n + BigInt(tsNsec), len: l4.payloadLen, hash: ip.payloadHash, seq: l4.seq };
    }
  }

  settledBefore(): void {}
  tick(): void {}
  end(): void {}

  /**
   * The ties: a connection from a bridge address carrying, within a second after, the same
   * first bytes as another connection (the one the proxy accepted), from its own sequence
   * numbers (not the same connection after NAT) and to another server. A front connection is
   * tied at most once, to the earliest such back connection.
   */
  ties(): RelayTie[] {
    const all = [...this.conns.values()].filter((c) => c.first);
    // Known bridges (a recording's path.json): the proxy connects from a bridge's address. Bare
    // captures name no bridge: any other connection to another server may be the relayed one.
    const known = this.bridgeAddrs.size > 0;
    const backs = known ? all.filter((c) => this.bridgeAddrs.has(c.client.src)) : all;
    const ties: RelayTie[] = [];
    const used = new Set<Connection>();
    for (const front of all) {
      if (known && backs.includes(front)) continue;
      const f = front.first!;
      // The same packet seen again after NAT keeps its TCP sequence number: a relay's own
      // connection starts from its own (and goes to another server).
      const elsewhere = (b: Connection): boolean => b !== front && b.first!.seq !== f.seq &&
        (b.client.dst !== front.client.dst || b.client.dport !== front.client.dport);
      const back = backs
        .filter((b) => !used.has(b) && elsewhere(b) && b.first!.hash === f.hash && b.first!.len === f.len && b.first!.t >= f.t && b.first!.t - f.t <= RELAY_WINDOW_NS)
        .sort((a, b) => (a.first!.t < b.first!.t ? -1 : 1))[0];
      if (!back) continue;
      used.add(back);
      ties.push({ front: front.client, back: back.client, bytes: f.len, delayUs: Number((back.first!.t - f.t) / 1000n) });
    }
    return ties;
  }
}

/** The cause of a relayed flow: which connection it continues, and the proxy (pid when the host's sockets were read). */
export function relayCause(tie: RelayTie, listener?: Listener): Cause {
  return {
    kind: 'relay',
    detail: { type: 'relay', front: tie.front, back: tie.back, bytes: tie.bytes, delayUs: tie.delayUs, ...(listener ? { process: listener.process, pid: listener.pid } : {}) },
    evidence: { counters: [], conntrack: [], sysctls: {} },
  };
}

/**
 * The report with each relayed flow (the back connection, the container's) given its relay as
 * cause. Only an ok flow: a not-ok one keeps its place for the cause of its verdict.
 */
export function attachRelays(report: Report, ties: RelayTie[]): Report {
  if (ties.length === 0) return report;
  const flows = report.flows.map((flow) => {
    if (flow.cause || flow.verdict !== 'ok' || flow.proto !== 'tcp') return flow;
    const a = endpointOf(flow.initiator);
    const b = endpointOf(flow.responder);
    const tie = ties.find((t) => t.back.src === a.addr && t.back.sport === a.port && t.back.dst === b.addr && t.back.dport === b.port);
    return tie ? { ...flow, cause: relayCause(tie) } : flow;
  });
  return { ...report, flows };
}

/** The process listening on the front connection's port, from the host's sockets (host.json or live). */
export function withProxy(cause: Cause, listeners: Listener[] | undefined): Cause {
  if (cause.detail.type !== 'relay' || !listeners) return cause;
  const { front } = cause.detail;
  const l = listeners.find((x) => x.port === front.dport && (x.addr === front.dst || x.addr === '0.0.0.0' || x.addr === '::' || x.addr === '*'));
  return l ? relayCause({ front, back: cause.detail.back, bytes: cause.detail.bytes, delayUs: cause.detail.delayUs }, l) : cause;
}
