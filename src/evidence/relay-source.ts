// The Docker host's `lo` is captured to see the connections docker-proxy accepts (a published
// port reached from the host itself), but it is not on the container's path: loopback traffic
// never crosses another interface, so a packet missing there is not lost. Its frames go to the
// relay watch only; the path (and every verdict) is made of the other hops, re-numbered.
import type { Hop, Report } from '../model.js';
import type { FrameSink, FrameSource } from '../source.js';
import { attachRelays, RelayWatch } from './relay.js';

/**
 * A hop captured for relays only: the loopback of the host's namespace beside a bridged path
 * (a container with published ports). A host-network container's own path can be `lo` itself:
 * there it is the path.
 */
export function relayOnlyHop(hop: Hop, hops: readonly Hop[]): boolean {
  return hop.role === 'host' && hop.iface === 'lo' && hops.some((h) => h.role === 'bridge');
}

export interface RelaySource {
  /** The source the pipeline runs: every hop but the relay-only ones, re-numbered. */
  source: FrameSource;
  /** The report with the relays tied during the trace, as each relayed flow's cause. */
  attach(report: Report): Report;
  attachFlow<F extends Report['flows'][number]>(flow: F, hops: Hop[]): F;
}

/** Wraps a source: all frames are watched for relays, the path's frames go on to the pipeline. */
export function watchRelays(inner: FrameSource): RelaySource {
  const side = inner.hops.map((hop) => relayOnlyHop(hop, inner.hops));
  if (!side.some(Boolean)) {
    // No relay-only hop: relays can still be tied (a proxy's two connections on the path's hops).
    const watch = new RelayWatch(inner.hops);
    return wrap(inner, inner.hops, inner.hops.map((_, i) => i), watch);
  }
  const index: number[] = [];
  const hops: Hop[] = [];
  inner.hops.forEach((hop, i) => {
    index.push(side[i] ? -1 : hops.length);
    if (!side[i]) hops.push(hop);
  });
  return wrap(inner, hops, index, new RelayWatch(inner.hops));
}

function wrap(inner: FrameSource, hops: Hop[], index: number[], watch: RelayWatch): RelaySource {
  const keep = (_: unknown, i: number): boolean => index[i]! >= 0;
  const source: FrameSource = {
    hops,
    get notes() {
      return inner.notes;
    },
    get timestamps() {
      return inner.timestamps;
    },
    get ended() {
      return inner.ended;
    },
    start(sink: FrameSink) {
      return inner.start(relayedSink(sink, index, watch));
    },
    stop: () => inner.stop(),
    hopStatus: () => inner.hopStatus().filter(keep),
    warnings: () => inner.warnings(),
  };
  return {
    source,
    attach: (report) => attachRelays(report, watch.ties()),
    attachFlow: (flow, reportHops) => attachRelays({ hops: reportHops, flows: [flow], summary: NO_SUMMARY }, watch.ties()).flows[0] as typeof flow,
  };
}

/**
 * The sink the inner source fills: every frame is watched for relays, a path hop's frame goes
 * on under its new number. The watch is given the packet the pipeline decoded
 * (FrameSink.lastPacket), so a frame is decoded once; only a relay-only hop's are decoded here.
 * Frames held in a reused buffer (pushAt) stay so: no object per frame.
 */
function relayedSink(sink: FrameSink, index: number[], watch: RelayWatch): FrameSink {
  const down: FrameSink = {
    push(frame) {
      const to = index[frame.hop]!;
      if (to < 0 || !sink.lastPacket) watch.frame(frame);
      if (to < 0) return;
      sink.push(to === frame.hop ? frame : { ...frame, hop: to });
      const ip = sink.lastPacket?.();
      if (ip) watch.packet(frame.hop, frame.tsSec, frame.tsNsec, ip);
    },
    tick: (sec, nsec) => sink.tick(sec, nsec),
  };
  const pushAt = sink.pushAt?.bind(sink);
  if (pushAt) {
    down.pushAt = (hop, linkType, tsSec, tsNsec, buf, start, end, origLen) => {
      const to = index[hop]!;
      if (to < 0 || !sink.lastPacket) watch.frameAt(hop, linkType, tsSec, tsNsec, buf, start, end, origLen);
      if (to < 0) return;
      pushAt(to, linkType, tsSec, tsNsec, buf, start, end, origLen);
      const ip = sink.lastPacket?.();
      if (ip) watch.packet(hop, tsSec, tsNsec, ip);
    };
  }
  const hopEnded = sink.hopEnded?.bind(sink);
  if (hopEnded) {
    down.hopEnded = (hop, sec, nsec) => {
      if (index[hop]! >= 0) hopEnded(index[hop]!, sec, nsec);
    };
  }
  const linkType = sink.linkType?.bind(sink);
  if (linkType) {
    down.linkType = (hop, type) => {
      if (index[hop]! >= 0) linkType(index[hop]!, type);
    };
  }
  return down;
}

const NO_SUMMARY: Report['summary'] = { packetsPerHop: [], skippedFrames: 0, otherFlows: 0, warnings: [], timestamps: '' };
