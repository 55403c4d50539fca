import type { Encap, FlowReport, Frame, Hop, IpPacket, Journey, Report, TraceEvent, Verdict } from '../model.js';
import { decodePacketAt, encapOf } from '../decode/index.js';
import { explainFlow, verdictOf } from '../explain/explain.js';
import { accountJourney } from '../correlate/account.js';
import { FlowTable, type FlowState } from '../correlate/flows.js';
import { JourneyMatcher, type OpenJourney } from '../correlate/journeys.js';
import { PathModel } from '../correlate/path.js';
import { concludeFlow, TransitTimes } from '../correlate/inflight.js';
import { IdleFlows } from './idle-flows.js';
import { isLinkChatter } from '../correlate/chatter.js';
import { keyAhead } from '../correlate/keys.js';

const LINK_CHATTER = 'link chatter (neighbour discovery, MLD or link-local multicast)';

export interface TracerOptions {
  /** How long a packet may take from one hop to the next before it counts as vanished. */
  windowMs?: number;
  /** Where the timestamps come from, said in the report. */
  timestamps?: string;
  /**
   * Flows are retired once none of their packets was seen for this long: their report is
   * handed to `onRetired` and they leave memory (a later packet of the same conversation
   * starts a new flow). Past `maxFlows` held, the least recently seen go first whatever
   * their age. Without it every flow is kept until the end.
   */
  retire?: { idleMs: number; maxFlows: number; onRetired: (flow: FlowReport) => void };
}

/**
 * The pure core shared by replay and live tracing: frames go in (in time order, from any
 * hop), reports and events come out. It does no I/O.
 */
export interface Tracer {
  readonly hops: Hop[];
  push(frame: Frame): void;
  /** push() for a frame at buf[start, end); the tracer keeps no reference to buf. */
  pushAt(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void;
  /** The packet the last push or pushAt decoded; undefined when its frame held none. */
  lastPacket(): IpPacket | undefined;
  /** Live mode: the clock moved on, so journeys whose window has passed are settled. */
  tick(tsSec: number, tsNsec: number): void;
  /** The capture at `hop` stopped early (a lost host): packets that could reach it only later are not captured there, not vanished. */
  hopEnded(hop: number, tsSec: number, tsNsec: number): void;
  subscribe(listener: (event: TraceEvent) => void): () => void;
  /** The report as it stands now; cheap enough to call ten times a second. */
  snapshot(): Report;
  /** Settles everything still open and returns the final report. */
  finish(): Report;
  /** Where the oldest open journey began: every frame pushed before that one has settled (and was told); none: all have. */
  oldestOpen(): { hop: number; frameSeq: number } | undefined;
}

export function createTracer(hops: Hop[], options: TracerOptions = {}): Tracer {
  return new PathTracer(hops, options);
}

class PathTracer implements Tracer {
  private readonly path: PathModel;
  private readonly matcher: JourneyMatcher;
  private readonly table: FlowTable;
  private readonly transit: TransitTimes;
  private readonly listeners = new Set<(event: TraceEvent) => void>();
  /** The traced container's flows still held, in the order they were first recognised as such. */
  private readonly flows = new Set<FlowState>();
  private flowsSeen = 0;
  /** Flows (the traced container's and others') held for retiring, least recently seen first. */
  private readonly idle = new IdleFlows<FlowState>();
  private readonly cache = new Map<FlowState, { version: number; origin: number; report: Report['flows'][number] }>();
  /** The verdict each flow had when listeners were last told about it. */
  private readonly verdicts = new Map<FlowState, Verdict>();
  private readonly packetsPerHop: number[];
  private skippedFrames = 0;
  private otherFlows = 0;
  private epoch?: { sec: number; nsec: number };
  private now = 0;
  /** The earliest time seen: records out of time order may come before the first one pushed. */
  private origin = 0;
  private sinceAdvance = 0;
  private finished = false;
  /** Where decode puts a frame's VLANs and tunnels: emptied as each frame is done with it. */
  private readonly encap: Encap[] = [];
  /** The packet the last push decoded, if its frame held one. */
  private last: IpPacket | undefined;

  constructor(
    readonly hops: Hop[],
    private readonly options: TracerOptions,
  ) {
    this.path = new PathModel(hops);
    this.table = new FlowTable(this.path);
    this.packetsPerHop = new Array<number>(hops.length).fill(0);
    const windowNs = (options.windowMs ?? 500) * 1e6;
    this.transit = new TransitTimes(windowNs);
    this.matcher = new JourneyMatcher(hops.length, windowNs, (j, ending) => this.settle(j, ending));
  }

  push(frame: Frame): void {
    this.pushAt(frame.hop, frame.linkType, frame.tsSec, frame.tsNsec, frame.data, 0, frame.data.length, frame.origLen);
  }

  pushAt(hop: number, linkType: number, tsSec: number, tsNsec: number, buf: Uint8Array, start: number, end: number, origLen: number): void {
    const t = this.clock(tsSec, tsNsec);
    if (t < this.origin) this.origin = t;
    const frameSeq = this.packetsPerHop[hop]++;
    const ip = decodePacketAt(linkType, buf, start, end, origLen, this.encap);
    this.last = typeof ip === 'string' ? undefined : ip;
    if (typeof ip === 'string' || isLinkChatter(ip)) {
      this.encap.length = 0;
      this.skippedFrames++;
      const reason = typeof ip === 'string' ? ip : LINK_CHATTER;
      if (this.listeners.size > 0) this.emit({ kind: 'skipped', hop, frameSeq, reason });
      return;
    }
    keyAhead.claim(ip);
    this.matcher.add(hop, frameSeq, t, ip, encapOf(this.encap));
    if (t > this.now) this.now = t;
    // Settling is cheap but not free: do it in batches, the window is long against a batch.
    if (++this.sinceAdvance >= 64) {
      this.sinceAdvance = 0;
      this.matcher.advance(this.now);
      if (this.options.retire) this.retireIdle(this.options.retire);
    }
  }

  /** The packet the last push decoded (FrameSink.lastPacket). */
  lastPacket(): IpPacket | undefined {
    return this.last;
  }

  tick(tsSec: number, tsNsec: number): void {
    const t = this.clock(tsSec, tsNsec);
    if (t > this.now) this.now = t;
    this.matcher.advance(this.now);
    if (this.options.retire) this.retireIdle(this.options.retire);
  }

  hopEnded(hop: number, tsSec: number, tsNsec: number): void {
    // Before the first frame the trace has no clock yet: every packet comes after the end.
    this.transit.ends.hopEnded(hop, this.epoch ? this.clock(tsSec, tsNsec) : -Infinity);
  }

  oldestOpen(): { hop: number; frameSeq: number } | undefined {
    return this.matcher.oldestOpen();
  }

  subscribe(listener: (event: TraceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  snapshot(): Report {
    return {
      hops: this.hops,
      flows: [...this.flows].map((flow) => this.flowReport(flow)),
      summary: {
        packetsPerHop: [...this.packetsPerHop],
        skippedFrames: this.skippedFrames,
        otherFlows: this.otherFlows,
        warnings: [],
        timestamps: this.options.timestamps ?? 'taken from the capture files (each hop by its own capture)',
      },
    };
  }

  finish(): Report {
    if (this.finished) return this.snapshot();
    this.finished = true;
    this.matcher.drain(this.now);
    // The end of the capture: the last tick (stoppedAt, or the live clock) or the last packet of the whole trace.
    for (const flow of this.flows) this.conclude(flow);
    return this.snapshot();
  }

  /** Each packet not at its end judged in flight, vanished or not captured, as at the trace's end. */
  private conclude(flow: FlowState): void {
    concludeFlow(flow, this.now, this.transit);
    flow.version++;
  }

  private clock(sec: number, nsec: number): number {
    if (!this.epoch) this.epoch = { sec, nsec };
    return (sec - this.epoch.sec) * 1e9 + (nsec - this.epoch.nsec);
  }

  private flowReport(flow: FlowState) {
    const cached = this.cache.get(flow);
    if (cached && cached.version === flow.version && cached.origin === this.origin) return cached.report;
    const report = explainFlow(this.path, flow, this.origin);
    this.cache.set(flow, { version: flow.version, origin: this.origin, report });
    return report;
  }

  /**
   * Flows idle for longer than `idleMs` (and never less than two windows, so none of their
   * journeys is still open) are concluded as at the end of a trace, written out and forgotten.
   */
  private retireIdle(retire: NonNullable<TracerOptions['retire']>): void {
    const idleNs = Math.max(retire.idleMs, 2 * (this.options.windowMs ?? 500)) * 1e6;
    for (;;) {
      const crowded = this.idle.size > retire.maxFlows;
      const flow = this.idle.takeIf((lastSeen) => crowded || this.now - lastSeen > idleNs);
      if (!flow) return;
      this.table.forget(flow);
      if (flow.publicId === 0) continue;
      this.conclude(flow);
      retire.onRetired(this.flowReport(flow));
      this.flows.delete(flow);
      this.cache.delete(flow);
      this.verdicts.delete(flow);
    }
  }

  private settle(open: OpenJourney, ending: boolean): void {
    const { flow, direction, created } = this.table.place(open.sightings);
    // Most journeys share one empty outcome: no copy of it per packet.
    const outcome = accountJourney(this.path, flow, direction, open.sightings, ending, this.transit);
    if (flow.publicId === 0) {
      if (!this.isTraced(open, flow, direction)) {
        if (created) this.otherFlows++;
        return;
      }
      if (!created) this.otherFlows--;
      flow.publicId = ++this.flowsSeen;
      this.flows.add(flow);
    }
    if (this.options.retire) this.idle.add(flow);
    if (this.listeners.size === 0) return;
    const ascending = (direction === 'request') === flow.outbound;
    const journey: Journey = { flowId: flow.publicId, direction, ascending, sightings: open.sightings, ...outcome };
    // Judged once the trace ends (correlate/inflight.ts), on this very object.
    const pending = outcome.pending;
    if (pending) {
      delete (journey as Journey & { pending?: unknown }).pending;
      journey.openAtEnd = true;
      pending.journey = journey;
    }
    this.emit({ kind: 'journey', journey });
    // A flow event per packet would build a report per packet: only a new verdict is news.
    const verdict = verdictOf(this.path, flow);
    if (this.verdicts.get(flow) !== verdict) {
      this.verdicts.set(flow, verdict);
      this.emit({ kind: 'flow', flow: this.flowReport(flow) });
    }
  }

  /** The traced container's packets cross its own hops, or carry its address on the shared ones. */
  private isTraced(open: OpenJourney, flow: FlowState, direction: Journey['direction']): boolean {
    for (const s of open.sightings) {
      if (this.path.privateHops.has(s.hop)) {
        this.learnTracedAddress(s, (direction === 'request') === flow.outbound);
        return true;
      }
      if (this.path.tracedAddrs.has(s.ip.src) || this.path.tracedAddrs.has(s.ip.dst)) return true;
    }
    return false;
  }

  /** Without addresses in path.json, the container's own address is learned from its first hop. */
  private learnTracedAddress(s: OpenJourney['sightings'][number], leavingContainer: boolean): void {
    if (s.hop !== 0 || this.hops[0].addrs.length > 0) return;
    this.path.tracedAddrs.add(leavingContainer ? s.ip.src : s.ip.dst);
  }

  private emit(event: TraceEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}
