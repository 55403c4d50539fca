import { describe, expect, it } from 'vitest';
import { type SplitTime, type TimeBase, splitTimestamp, timeBase } from '../../src/capture/files/pcapng-time.js';

/** The exact answer, by BigInt: what every fast path must agree with. */
function reference(count: bigint, tsresol: number): [number, number] {
  const units = tsresol & 0x80 ? 2n ** BigInt(tsresol & 0x7f) : 10n ** BigInt(tsresol);
  return [Number(count / units), Number(((count % units) * 1000000000n) / units)];
}

describe('splitting a pcapng timestamp', () => {
  // 10^-n for every n, and the binary resolutions on both sides of 2^-31 / 2^-32.
  const resolutions = [0, 1, 3, 6, 9, 10, 12, 15, 19, 0x80 | 0, 0x80 | 10, 0x80 | 20, 0x80 | 30, 0x80 | 31, 0x80 | 32, 0x80 | 40, 0x80 | 63];

  it.each(resolutions)('agrees with exact arithmetic at if_tsresol 0x%s on counts of every size', (tsresol) => {
    const base = timeBase(tsresol, 0) as TimeBase;
    const out: SplitTime = { sec: 0, nsec: 0 };
    let seed = 12345 + tsresol;
    const random32 = () => (seed = (seed * 1103515245 + 12345) % 2147483648) * 2 + (seed & 1);
    for (let i = 0; i < 2000; i++) {
      // High words of every magnitude, so that each of the three paths is taken.
      const hi = i < 10 ? [0, 1, 0x1fffff, 0x200000, 0x3fffffff, 0x40000000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff][i] : random32() >>> (i % 32);
      const lo = random32() >>> 0;
      splitTimestamp(hi, lo, base, out);
      const [sec, nsec] = reference((BigInt(hi) << 32n) | BigInt(lo), tsresol);
      // Seconds beyond 2^53 cannot be exact in a double; compare them as doubles.
      expect([out.sec, out.nsec]).toEqual([sec, nsec]);
    }
  });
});
