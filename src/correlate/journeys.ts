import type { Encap, IpPacket, Sighting } from '../model.js';
import { matchKey } from './keys.js';

/** A packet being followed while later hops may still see it. */
export interface OpenJourney {
  key: number;
  sightings: Sighting[];
  /** Bit i set: already seen at hop i (a second sighting there is another packet). */
  hopsSeen: number;
  last: number;
  settled: boolean;
  /** The next older open journey with the same key: a short chain, usually empty. */
  older: OpenJourney | undefined;
}

/**
 * Groups sightings of the same packet at different hops. A sighting joins the newest open
 * journey with its key that has not been seen at that hop yet and was last seen within the
 * window; otherwise it starts a journey. Journeys are settled, oldest first, once the window
 * has passed since their last sighting: no hop can see them any more.
 */
export class JourneyMatcher {
  /** Open journeys by key, newest first along `older`. */
  private readonly open = new Map<number, OpenJourney>();
  private readonly queue: OpenJourney[] = [];
  private queueHead = 0;
  /** Seen at every hop: nothing more can happen to it, so it is settled at once. */
  private readonly allHops: number;

  constructor(
    hops: number,
    private readonly windowNs: number,
    /** `ending`: settled by the end of the trace within the window of its last sighting (it may still have been on its way). */
    private readonly onSettled: (journey: OpenJourney, ending: boolean) => void,
  ) {
    this.allHops = hops >= 30 ? -1 : (1 << hops) - 1;
  }

  add(hop: number, frameSeq: number, t: number, ip: IpPacket, encap: readonly Encap[]): void {
    const key = matchKey(ip);
    const sighting: Sighting = { hop, frameSeq, t, ip, encap };
    const newest = this.open.get(key);
    // Hops past 30 have no bit of their own and are looked up in the sightings.
    const bit = hop < 30 ? 1 << hop : 0;
    for (let journey = newest; journey !== undefined; journey = journey.older) {
      const seen = bit !== 0 ? (journey.hopsSeen & bit) !== 0 : journey.sightings.some((x) => x.hop === hop);
      if (!seen && t - journey.last <= this.windowNs) {
        journey.sightings.push(sighting);
        journey.hopsSeen |= bit;
        journey.last = Math.max(journey.last, t);
        if (journey.hopsSeen === this.allHops) this.settle(journey, false);
        return;
      }
    }
    const journey: OpenJourney = { key, sightings: [sighting], hopsSeen: bit, last: t, settled: false, older: newest };
    if (bit === this.allHops) {
      this.settle(journey, false);
      return;
    }
    this.open.set(key, journey);
    this.queue.push(journey);
  }

  /** Settles every journey whose window has passed by `now`. */
  advance(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead];
      if (!journey.settled && now - journey.last <= this.windowNs) break;
      this.settleHead(false);
    }
    this.compact();
  }

  /**
   * The first sighting of the oldest journey still open: every frame pushed before it has had
   * its journey settled (journeys are queued in the order their first frame came).
   */
  oldestOpen(): Sighting | undefined {
    for (let i = this.queueHead; i < this.queue.length; i++) if (!this.queue[i].settled) return this.queue[i].sightings[0];
    return undefined;
  }

  /** End of the trace: whatever is still open was in flight when the capture stopped. */
  drain(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead];
      this.settleHead(now - journey.last <= this.windowNs);
    }
    this.compact();
  }

  private settleHead(inFlight: boolean): void {
    const journey = this.queue[this.queueHead++];
    if (!journey.settled) this.settle(journey, inFlight);
  }

  private settle(journey: OpenJourney, inFlight: boolean): void {
    journey.settled = true;
    this.unlink(journey);
    journey.older = undefined;
    if (!inOrder(journey.sightings)) journey.sightings.sort((a, b) => a.t - b.t);
    this.onSettled(journey, inFlight);
  }

  private unlink(journey: OpenJourney): void {
    const newest = this.open.get(journey.key);
    if (newest === journey) {
      if (journey.older) this.open.set(journey.key, journey.older);
      else this.open.delete(journey.key);
      return;
    }
    for (let newer = newest; newer !== undefined; newer = newer.older) {
      if (newer.older === journey) {
        newer.older = journey.older;
        return;
      }
    }
  }

  private compact(): void {
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}

function inOrder(sightings: Sighting[]): boolean {
  for (let i = 1; i < sightings.length; i++) if (sightings[i].t < sightings[i - 1].t) return false;
  return true;
}
