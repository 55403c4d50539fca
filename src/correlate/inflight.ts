import type { Direction } from '../model.js';
import { echoRequestSeq } from './keys.js';
import type { DirectionStats, FlowState, PendingPacket } from './flows.js';

// What counts as "still on its way when the capture ended": the one home of that rule.

/**
 * The least transit bound: clock noise between two captures of one host (kernel timestamps
 * taken on different CPUs, and capture files written by separate processes) stays well under it.
 */
export const CLOCK_NOISE_FLOOR_NS = 2_000_000;

/** How long a vanished packet stays open to being taken back by a capture end told late (a lost host is noticed after seconds of silence). */
export const RECENT_VANISH_NS = 30_000_000_000;
/** At most this many recent vanishes are kept for that: the oldest go first. */
const RECENT_VANISH_MAX = 100_000;

/** Observed transit times between hop pairs, over every flow of the trace: what the trace itself supports. */
export class TransitTimes {
  private readonly longest = new Map<number, number>();
  /** Hops whose capture ended early, and where. */
  readonly ends = new CaptureEnds(this);

  constructor(private readonly windowNs: number) {}

  record(a: number, b: number, ns: number): void {
    const key = pairKey(a, b);
    if (ns > (this.longest.get(key) ?? -Infinity)) this.longest.set(key, ns);
  }

  /**
   * How long a packet may take from hop `a` to hop `b`: twice the longest transit seen there,
   * at least the clock-noise floor, never more than the matching window.
   */
  bound(a: number, b: number): number {
    const seen = this.longest.get(pairKey(a, b));
    return Math.min(this.windowNs, Math.max(CLOCK_NOISE_FLOOR_NS, seen === undefined ? 0 : 2 * seen));
  }

  /** How long an answer may take to come back from beyond the path: the floor, or twice the longest round trip seen. */
  roundTrip(longestNs: number): number {
    return Math.min(this.windowNs, Math.max(CLOCK_NOISE_FLOOR_NS, 2 * longestNs));
  }
}

/** Either way across a hop pair (hops below 65536). */
const pairKey = (a: number, b: number) => (Math.min(a, b) << 16) | Math.max(a, b);

interface RecentVanish {
  flow: FlowState;
  stats: DirectionStats;
  hop: number;
  next: number;
  t: number;
}

/**
 * Hops whose capture stopped before the trace ended (a lost host, a helper that died). A
 * packet whose next hop had stopped capturing before it could get there was not captured
 * there: never counted as vanished. The end is often told seconds late (a partition is
 * noticed by silence), so the packets placed as vanished in the last RECENT_VANISH_NS are
 * kept to be taken back.
 */
export class CaptureEnds {
  private readonly endedAt = new Map<number, number>();
  private recent: RecentVanish[] = [];

  constructor(private readonly transit: TransitTimes) {}

  /** Whether `next`'s capture had ended before a packet last seen at `from` at `t` could reach it. */
  missed(from: number, next: number, t: number): boolean {
    return (this.endedAt.get(next) ?? Infinity) - t <= this.transit.bound(from, next);
  }

  /** A packet just placed as vanished between `hop` and `next`. */
  noteVanished(flow: FlowState, stats: DirectionStats, hop: number, next: number, t: number): void {
    this.recent.push({ flow, stats, hop, next, t });
    const cut = t - RECENT_VANISH_NS;
    let old = 0;
    // The entry just pushed is neither old nor over the cap: it ends the walk.
    while (this.recent[old].t < cut || this.recent.length - old > RECENT_VANISH_MAX) old++;
    // Dropped in batches: a shift per packet would copy the array each time.
    if (old > 1024 || old === this.recent.length - 1) this.recent = this.recent.slice(old);
  }

  /** `hop` stopped capturing at `endNs` (-Infinity: before the trace's first frame): vanishes it explains are taken back. */
  hopEnded(hop: number, endNs: number): void {
    if ((this.endedAt.get(hop) ?? Infinity) <= endNs) return;
    this.endedAt.set(hop, endNs);
    this.recent = this.recent.filter((v) => {
      if (!this.missed(v.hop, v.next, v.t)) return true;
      v.stats.vanishedAfter[v.hop]--;
      countNotCaptured(v.stats, v.next);
      v.flow.version++;
      return false;
    });
  }
}

/** One more packet that could reach `hop` only after its capture had ended. */
export function countNotCaptured(stats: DirectionStats, hop: number): void {
  stats.notCaptured ??= new Array<number>(stats.vanishedAfter.length).fill(0);
  stats.notCaptured[hop]++;
}

/**
 * Once the trace has ended at `endNs`: each packet that had not arrived is judged not captured
 * (its next hop's capture had ended early), in flight or vanished, and each echo request that
 * arrived but got no reply is counted unanswered (or, when its answer could still have been on
 * the way, in flight).
 */
export function concludeFlow(flow: FlowState, endNs: number, transit: TransitTimes): void {
  for (const direction of ['request', 'reply'] as const) {
    const stats = direction === 'request' ? flow.request : flow.reply;
    for (const packet of stats.pending) {
      if (transit.ends.missed(packet.hop, packet.next, packet.t)) {
        // Not captured: neither in flight nor lost, so its journey gets no atEnd (its note says neither).
        countNotCaptured(stats, packet.next);
        continue;
      }
      const inFlight = stillOnItsWay(flow, direction, packet, endNs, transit);
      if (inFlight) stats.inFlight++;
      else stats.vanishedAfter[packet.hop]++;
      if (packet.journey) packet.journey.atEnd = { between: [packet.hop, packet.next], inFlight };
    }
    stats.pending = [];
  }
  countUnanswered(flow, endNs, transit);
}

/**
 * In flight only if nothing answered it, no later packet of the flow and direction crossed the
 * hop pair where it was last seen (one path keeps order), and the capture ended within the
 * transit bound of that pair.
 */
function stillOnItsWay(flow: FlowState, direction: Direction, packet: PendingPacket, endNs: number, transit: TransitTimes): boolean {
  if (direction === 'request' && answered(flow, packet)) return false;
  for (const step of flow.steps.values()) {
    if (step.direction === direction && step.from === packet.hop && step.lastFromNs > packet.t) return false;
  }
  return endNs - packet.t <= transit.bound(packet.hop, packet.next);
}

/** An echo request by its reply; any other request by anything that came back after it (an answer, an error, a reset). */
function answered(flow: FlowState, packet: PendingPacket): boolean {
  const seq = echoRequestSeq(packet.ip.l4);
  if (seq !== undefined) return flow.echo.answered.has(seq) || (flow.lastBack > packet.t && flow.rejections > 0);
  return flow.lastBack > packet.t;
}

/** Echo requests that reached the end of their travel (or where the flow turns) and whose reply never came. */
function countUnanswered(flow: FlowState, endNs: number, transit: TransitTimes): void {
  const stats: DirectionStats = flow.request;
  // Arrived at the end of its travel, or at the hop where the flow turns back (answers came from there).
  const end = flow.turn >= 0 ? flow.turn : Infinity;
  const wait = transit.roundTrip(flow.echo.longestRoundTripNs);
  const last = stats.vanishedAfter.length - 1;
  const hopAt = (pos: number) => (flow.outbound ? pos : last - pos);
  for (const [seq, sent] of flow.echo.sent) {
    if (flow.echo.answered.has(seq)) continue;
    if (sent.reached < end) {
      // Not captured beyond a hop whose capture had ended, and no answer came back: not ok.
      // (Short of `end`, so short of its travel's end: sent.reached + 1 is a hop.)
      if (transit.ends.missed(hopAt(sent.reached), hopAt(sent.reached + 1), sent.t)) {
        stats.unansweredNotCaptured = (stats.unansweredNotCaptured ?? 0) + 1;
      }
      continue;
    }
    if (endNs - sent.t <= wait) stats.awaiting++;
    else stats.unanswered++;
  }
}

