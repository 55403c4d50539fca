// pcapng timestamps: a 64-bit count of units of 10^-n or 2^-n seconds (if_tsresol), split
// into seconds and nanoseconds without losing precision. A double holds 2^53 exactly, which
// is 104 days in nanoseconds, so nanosecond timestamps are divided in 16-bit limbs.

/** How one interface's timestamps are counted. */
export interface TimeBase {
  /** Units per second: 10^n or 2^n. */
  unitsPerSecond: number;
  /** Nanoseconds per unit when that is a whole number (10^0 .. 10^9), else 0. */
  nsecPerUnit: number;
  /** if_tsoffset: seconds to add to every timestamp of the interface. */
  offsetSeconds: number;
}

export const MICROSECOND_BASE: TimeBase = { unitsPerSecond: 1e6, nsecPerUnit: 1000, offsetSeconds: 0 };

/** The time base for an if_tsresol byte, or an error message for one we cannot honour. */
export function timeBase(tsresol: number, offsetSeconds: number): TimeBase | string {
  const exponent = tsresol & 0x7f;
  const binary = (tsresol & 0x80) !== 0;
  if (binary ? exponent > 63 : exponent > 19) {
    return `if_tsresol ${binary ? '2' : '10'}^-${exponent} is finer than supported`;
  }
  const unitsPerSecond = binary ? 2 ** exponent : 10 ** exponent;
  const nsecPerUnit = !binary && exponent <= 9 ? 10 ** (9 - exponent) : 0;
  return { unitsPerSecond, nsecPerUnit, offsetSeconds };
}

/** Where splitTimestamp writes, so that the per-packet path allocates nothing. */
export interface SplitTime {
  sec: number;
  nsec: number;
}

const TWO_32 = 4294967296;
/** hi below this means hi * 2^32 + lo < 2^53: exact as a double. */
const EXACT_HI = 0x200000;

export function splitTimestamp(hi: number, lo: number, base: TimeBase, out: SplitTime): void {
  const d = base.unitsPerSecond;
  let sec: number;
  let rest: number;
  if (hi < EXACT_HI) {
    const v = hi * TWO_32 + lo;
    sec = Math.floor(v / d);
    rest = v - sec * d;
    // The double division can round up to the next whole second; put it back.
    if (rest < 0) {
      sec--;
      rest += d;
    }
  } else if (d <= TWO_32) {
    // Long division by 16-bit limbs: every intermediate stays below 2^48.
    let q = 0;
    let r = 0;
    for (let shift = 48; shift >= 0; shift -= 16) {
      const limb = shift >= 32 ? (hi >>> (shift - 32)) & 0xffff : (lo >>> shift) & 0xffff;
      const cur = r * 65536 + limb;
      const digit = Math.floor(cur / d);
      r = cur - digit * d;
      q = q * 65536 + digit;
    }
    sec = q;
    rest = r;
  } else {
    return splitHuge(hi, lo, base, out);
  }
  out.sec = sec + base.offsetSeconds;
  out.nsec = base.nsecPerUnit > 0 ? rest * base.nsecPerUnit : Math.min(999999999, Math.floor((rest * 1e9) / d));
}

/** Resolutions finer than 2^-32 s: rare enough for BigInt. */
function splitHuge(hi: number, lo: number, base: TimeBase, out: SplitTime): void {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const d = BigInt(base.unitsPerSecond);
  out.sec = Number(v / d) + base.offsetSeconds;
  out.nsec = Number(((v % d) * 1000000000n) / d);
}
