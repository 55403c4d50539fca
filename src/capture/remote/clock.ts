// The offset between our clock and a node's, from round trips that each read the node's clock
// once: the reading was taken somewhere between our send and our receive, so the offset lies
// within half the round trip of the midpoint estimate. The tightest round trip bounds it best.
import type { ClockOffset } from './transport.js';

export interface ClockSample {
  /** Our wall clock, ns, when the request left and when the answer came back. */
  sentNs: bigint;
  receivedNs: bigint;
  /** The node's wall clock, ns, as it reported it. */
  remoteNs: bigint;
}

export function offsetFromSamples(samples: ClockSample[], remoteResolutionNs = 0n): ClockOffset {
  const valid = samples.filter((s) => s.receivedNs >= s.sentNs);
  if (valid.length === 0) throw new RangeError('no clock sample with a non-negative round trip');
  const best = valid.reduce((a, b) => (b.receivedNs - b.sentNs < a.receivedNs - a.sentNs ? b : a));
  const rtt = best.receivedNs - best.sentNs;
  // Rounded up: the bound must never be tighter than the evidence.
  const half = (rtt + 1n) / 2n;
  return { offsetNs: best.remoteNs - (best.sentNs + half), uncertaintyNs: half + remoteResolutionNs, samples: samples.length };
}

/** RFC 3339 with up to nanoseconds ("2026-11-30T04:40:09.123456789Z", or with an offset) as ns since the epoch. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(text);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** The precision a clock reading carries: 10^(9 - digits) ns. */
export function rfc3339ResolutionNs(text: string): bigint {
  const digits = /\.(\d{1,9})/.exec(text)?.[1]?.length ?? 0;
  return 10n ** BigInt(9 - digits);
}

/** Our wall clock in ns, with sub-millisecond steps (Date.now() moves in whole ms). */
export function wallClockNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}
