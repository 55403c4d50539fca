import type { IpPacket, Sighting } from '../model.js';
import { matchKey } from './keys.js';

/** A packet being followed while later hops may still see it. */
export interface OpenJourney {
  key: number;
  sightings: Sighting[];
  /** Bit i set: already seen at hop i (a second sighting there is another packet). */
  hopsSeen: number;
  last: number;
}

/**
 * Groups sightings of the same packet at different hops. A sighting joins the newest open
 * journey with its key that has not been seen at that hop yet and was last seen within the
 * window; otherwise it starts a journey. Journeys are settled, oldest first, once the window
 * has passed since their last sighting: no hop can see them any more.
 */
export class JourneyMatcher {
  private readonly open = new Map<number, OpenJourney[]>();
  private readonly queue: OpenJourney[] = [];
  private queueHead = 0;

  constructor(
    private readonly windowNs: number,
    private readonly onSettled: (journey: OpenJourney, inFlight: boolean) => void,
  ) {}

  add(hop: number, t: number, ip: IpPacket): void {
    const key = matchKey(ip);
    const sighting: Sighting = { hop, t, ip };
    const candidates = this.open.get(key);
    const bit = 1 << hop;
    if (candidates) {
      for (let i = candidates.length - 1; i >= 0; i--) {
        const journey = candidates[i];
        if ((journey.hopsSeen & bit) === 0 && t - journey.last <= this.windowNs) {
          journey.sightings.push(sighting);
          journey.hopsSeen |= bit;
          journey.last = Math.max(journey.last, t);
          return;
        }
      }
    }
    const journey: OpenJourney = { key, sightings: [sighting], hopsSeen: bit, last: t };
    if (candidates) candidates.push(journey);
    else this.open.set(key, [journey]);
    this.queue.push(journey);
  }

  /** Settles every journey whose window has passed by `now`. */
  advance(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead];
      if (now - journey.last <= this.windowNs) break;
      this.settleHead(false);
    }
    this.compact();
  }

  /** End of the trace: whatever is still open was in flight when the capture stopped. */
  drain(now: number): void {
    while (this.queueHead < this.queue.length) {
      const journey = this.queue[this.queueHead];
      this.settleHead(now - journey.last <= this.windowNs);
    }
    this.compact();
  }

  get openCount(): number {
    return this.queue.length - this.queueHead;
  }

  private settleHead(inFlight: boolean): void {
    const journey = this.queue[this.queueHead++];
    const candidates = this.open.get(journey.key);
    if (candidates) {
      const index = candidates.indexOf(journey);
      if (index >= 0) candidates.splice(index, 1);
      if (candidates.length === 0) this.open.delete(journey.key);
    }
    journey.sightings.sort((a, b) => a.t - b.t);
    this.onSettled(journey, inFlight);
  }

  private compact(): void {
    if (this.queueHead > 4096 && this.queueHead * 2 > this.queue.length) {
      this.queue.splice(0, this.queueHead);
      this.queueHead = 0;
    }
  }
}
