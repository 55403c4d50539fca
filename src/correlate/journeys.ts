import type { Encap, IpPacket, Sighting } from '../model.js';
import { KeyTable } from './key-table.js';
import { matchKey, sameIdentity } from './keys.js';

/** A packet being followed while later hops may still see it. */
export interface OpenJourney {
  /** Its match key (keys.ts): the hash of its identity. */
  key: number;
  sightings: Sighting[];
  /** Bit i set: already seen at hop i (a second sighting there is another packet). */
  hopsSeen: number;
  last: number;
  settled: boolean;
}

/**
 * The open journeys of one key when there are several (a retransmission, a flood of
 * identical packets): per hop, the journeys not yet seen there, oldest first. A sighting
 * looks only at its hop's list, so a flood of copies that never reach the last hop costs
 * constant time per packet instead of a walk over every copy still open.
 */
class KeyBucket {
  /** Per hop: journeys not seen there yet, in the order they began (settled ones dropped lazily). */
  readonly lacking: OpenJourney[][];
  /** Journeys of this key not yet settled. */
  live = 0;
  /** Journeys the lists hold, settled or not: the lists are swept when most of them are settled. */
  held = 0;

  constructor(
    hops: number,
    /** The packet every journey of the bucket is (its first journey's first sighting). */
    readonly ip: IpPacket,
  ) {
    this.lacking = Array.from({ length: hops }, () => []);
  }

  hold(journey: OpenJourney, seenAt: number): void {
    for (let hop = 0; hop < this.lacking.length; hop++) if (hop !== seenAt) this.lacking[hop]!.push(journey);
    this.live++;
    this.held++;
  }

  /** The newest journey not yet seen at `hop` and last seen within the window, taken off that hop's list. */
  take(hop: number, t: number, windowNs: number): OpenJourney | undefined {
    const list = this.lacking[hop]!;
    for (let i = list.length - 1; i >= 0; i--) {
      const journey = list[i]!;
      if (journey.settled) {
        if (i === list.length - 1) list.pop();
        continue;
      }
      if (t - journey.last > windowNs) continue;
      if (i === list.length - 1) list.pop();
      else list.splice(i, 1);
      return journey;
    }
    return undefined;
  }

  /** One of its journeys settled; true when none is left open. */
  settled(): boolean {
    if (--this.live === 0) return true;
    if (this.held > 2 * this.live + 16) {
      for (let hop = 0; hop < this.lacking.length; hop++) this.lacking[hop] = this.lacking[hop]!.filter((j) => !j.settled);
      this.held = this.live;
    }
    return false;
  }
}

/**
 * Groups sightings of the same packet at different hops. A sighting joins the newest open
 * journey with its key that has not been seen at that hop yet and was last seen within the
 * window; otherwise it starts a journey. Journeys are settled, oldest first, once the window
 * has passed since their last sighting: no hop can see them any more. Each sighting costs
 * constant time, however many open journeys share its key.
 */
export class JourneyMatcher {
  /** Open journeys by key: the one journey, or a bucket when several are open at once. */
  private readonly open = new KeyTable<OpenJourney | KeyBucket, IpPacket>((held, ip) => sameIdentity(held instanceof KeyBucket ? held.ip : held.sightings[0]!.ip, ip));
  /** Journeys in the order they began; a slot is emptied as its journey leaves the head, so a settled journey is not kept until the array is cut. */
  private readonly queue: (OpenJourney | undefined)[] = [];
  private queueHead = 0;
  /** Seen at every hop: nothing more can happen to it, so it is settled at once. */
  private readonly allHops: number;

  constructor(
    private readonly hops: number,
    private readonly windowNs: number,
    /** `ending`: settled by the end of the trace within the window of its last sighting (it may still have been on its way). */
    private readonly onSettled: (journey: OpenJourney, ending: boolean) => void,
  ) {
    this.allHops = hops >= 30 ? -1 : (1 << hops) - 1;
  }

  add(hop: number, frameSeq: number, t: number, ip: IpPacket, encap: readonly Encap[]): void {
    const key = matchKey(ip);
    const sighting: Sighting = { hop, frameSeq, t, ip, encap };
    const held = this.open.get(key, ip);
    // Hops past 30 have no bit of their own and are looked up in the sightings.
    const bit = hop < 30 ? 1 << hop : 0;
    const joined = held instanceof KeyBucket ? held.take(hop, t, this.windowNs) : held && this.joins(held, hop, bit, t) ? held : undefined;
    if (joined) {
      joined.sightings.push(sighting);
      joined.hopsSeen |= bit;
      joined.last = Math.max(joined.last, t);
      if (joined.hopsSeen === this.allHops) this.settle(joined, false);
      return;
    }
    const journey: OpenJourney = { key, sightings: [sighting], hopsSeen: bit, last: t, settled: false };
    if (bit === this.allHops) {
      this.settle(journey, false);
      return;
    }
    if (held === undefined) this.open.add(key, journey);
    else this.bucketOf(key, held).hold(journey, hop);
    this.queue.push(journey);
  }

  /**
   * What the matcher holds, for the tests of its memory bound: keys with open journeys, entries
   * of the buckets' per-hop lists (settled journeys too, until a sweep), the journeys the settle
   * queue holds, and the slots of its array.
   */
  holding(): { keys: number; listed: number; queued: number; queueSlots: number } {
    let listed = 0;
    this.open.forEach((held) => {
      if (held instanceof KeyBucket) for (const list of held.lacking) listed += list.length;
    });
    const queued = this.queue.filter((journey) => journey !== undefined).length;
    return { keys: this.open.size, listed, queued, queueSlots: this.queue.length };
  }

  /** Whether a sighting at `hop` at time `t` continues this journey. */
  private joins(journey: OpenJourney, hop: number, bit: number, t: number): boolean {
    const seen = bit !== 0 ? (journey.hopsSeen & bit) !== 0 : journey.sightings.some((x) => x.hop === hop);
    return !seen && t - journey.last <= this.windowNs;
  }

  /** A second journey of this key opens: the single one moves into a bucket. */
  private bucketOf(key: number, held: OpenJourney | KeyBucket): KeyBucket {
    if (held instanceof KeyBucket) return held;
    const bucket = new KeyBucket(this.hops, held.sightings[0]!.ip);
    bucket.hold(held, -1);
    for (const s of held.sightings) bucket.lacking[s.hop]!.pop();
    this.open.replace(key, held, bucket);
    return bucket;
  }

  /** Settles every journey whose window has passed by `now`. */
  advance(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead]!;
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
    for (let i = this.queueHead; i < this.queue.length; i++) if (!this.queue[i]!.settled) return this.queue[i]!.sightings[0];
    return undefined;
  }

  /** End of the trace: whatever is still open was in flight when the capture stopped. */
  drain(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead]!;
      this.settleHead(now - journey.last <= this.windowNs);
    }
    this.compact();
  }

  private settleHead(inFlight: boolean): void {
    const journey = this.queue[this.queueHead]!;
    this.queue[this.queueHead++] = undefined;
    if (!journey.settled) this.settle(journey, inFlight);
  }

  private settle(journey: OpenJourney, inFlight: boolean): void {
    journey.settled = true;
    this.release(journey);
    if (!inOrder(journey.sightings)) sortByTime(journey.sightings);
    this.onSettled(journey, inFlight);
  }

  private release(journey: OpenJourney): void {
    const held = this.open.get(journey.key, journey.sightings[0]!.ip);
    if (held === journey) this.open.delete(journey.key, journey);
    else if (held instanceof KeyBucket && held.settled()) this.open.delete(journey.key, held);
  }

  private compact(): void {
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}

/**
 * Sorts in place by time, stably (as Array.prototype.sort would): an insertion sort, since a
 * journey has a few sightings and the built-in sort allocates a work copy per call. Files whose
 * records are not in time order (a hop file holds each packet in the order it was written)
 * send it half the journeys.
 */
function sortByTime(sightings: Sighting[]): void {
  for (let i = 1; i < sightings.length; i++) {
    const s = sightings[i];
    let j = i - 1;
    while (j >= 0 && sightings[j].t > s.t) {
      sightings[j + 1] = sightings[j];
      j--;
    }
    sightings[j + 1] = s;
  }
}

function inOrder(sightings: Sighting[]): boolean {
  for (let i = 1; i < sightings.length; i++) if (sightings[i].t < sightings[i - 1].t) return false;
  return true;
}
