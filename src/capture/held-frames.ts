// Live sources hold frames a moment so that every hop's capture has caught up, then hand them
// over in time order: the helpers of different namespaces (or hosts) deliver out of order.
import type { Frame } from '../model.js';

/**
 * Takes out of `pending` the frames stamped at or before `cut` (all of them when `cut` is
 * undefined), sorted by time, and returns them; the rest stay held.
 */
export function takeHeldFrames(pending: Frame[], cut?: { sec: number; nsec: number }): Frame[] {
  pending.sort((a, b) => a.tsSec - b.tsSec || a.tsNsec - b.tsNsec);
  let count = pending.length;
  if (cut) {
    count = 0;
    while (count < pending.length && isBefore(pending[count]!, cut.sec, cut.nsec)) count++;
  }
  return pending.splice(0, count);
}

function isBefore(frame: Frame, sec: number, nsec: number): boolean {
  return frame.tsSec < sec || (frame.tsSec === sec && frame.tsNsec <= nsec);
}
