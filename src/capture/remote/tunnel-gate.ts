// An uplink's kernel filter cannot look inside the tunnel (libpcap 1.10 has no `vxlan`; the
// inner headers sit at offsets a filter cannot know), so an overlay uplink captures all of the
// tunnel's UDP: every container's traffic on the overlay, and packets the inner hops' filters
// (the flow's protocol, watch's pcap filter) left out. Those would be flows seen only at the
// uplinks, i.e. false drops. The gate keeps an uplink frame only when its inner packet's
// conversation was seen at an inner hop (no NAT inside an overlay: same addresses and ports).
import type { Frame } from '../../model.js';
import { decodeFrame } from '../../decode/index.js';
import { conversationKey, endpointsOf } from '../../correlate/keys.js';

/** Conversations remembered at most; the least recently seen go first (memory stays bounded). */
export const GATE_CONVERSATIONS = 100_000;

export class TunnelGate {
  private readonly seen = new Map<string, true>();

  constructor(private readonly uplinks: ReadonlySet<number>, private readonly limit = GATE_CONVERSATIONS) {}

  /** Every frame, as it arrives (before the hold releases the uplinks' frames): an inner hop's teaches the gate. */
  learn(frame: Frame): void {
    if (this.uplinks.has(frame.hop)) return;
    const key = keyOf(frame);
    if (key === undefined) return;
    this.seen.delete(key);
    this.seen.set(key, true);
    if (this.seen.size > this.limit) this.seen.delete(this.seen.keys().next().value!);
  }

  /** An inner hop's frame always passes; an uplink's only when its inner conversation was seen inside. */
  pass(frame: Frame): boolean {
    if (!this.uplinks.has(frame.hop)) return true;
    const key = keyOf(frame);
    return key !== undefined && this.seen.has(key);
  }
}

function keyOf(frame: Frame): string | undefined {
  const decoded = decodeFrame(frame.linkType, frame.data, frame.origLen);
  return decoded.kind === 'packet' ? conversationKey(0, endpointsOf(decoded.ip)) : undefined;
}
