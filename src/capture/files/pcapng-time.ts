// pcapng timestamps: a 64-bit count of units of 10^-n or 2^-n seconds (if_tsresol), split
// into seconds and nanoseconds without losing precision. A double holds 2^53 exactly, which
// is only 104 days in nanoseconds: the count is first shifted right by the power of two in
// the unit, then divided by the odd rest; counts too large even for that are divided in
// 16-bit limbs, and units finer than 2^-32 s go through BigInt.

/** How one interface's timestamps are counted. */
export interface TimeBase {
  /** Units per second: 10^n or 2^n. */
  unitsPerSecond: number;
  /** nanoseconds = floor(units * nsecMul / nsecDiv), with factors chosen to stay exact. */
  nsecMul: number;
  nsecDiv: number;
  /** if_tsoffset: seconds to add to every timestamp of the interface. */
  offsetSeconds: number;
  /**
   * unitsPerSecond = odd * 2^shift (10^n = 5^n * 2^n). Shifting the count right first
   * keeps today's nanosecond counts below 2^53, so one double division is exact.
   */
  shift: number;
  odd: number;
  /** Counts whose high word is below this stay exact after the shift. */
  exactHigh: number;
  /** 2^(32 - shift), 2^shift - 1 and 2^shift, kept to spare the per-packet path. */
  highScale: number;
  lowMask: number;
  restScale: number;
}

export const MICROSECOND_BASE: TimeBase = makeBase(6, false, 0);

/** The time base for an if_tsresol byte, or an error message for one we cannot honour. */
export function timeBase(tsresol: number, offsetSeconds: number): TimeBase | string {
  const exponent = tsresol & 0x7f;
  const binary = (tsresol & 0x80) !== 0;
  if (binary ? exponent > 63 : exponent > 19) {
    return `if_tsresol ${binary ? '2' : '10'}^-${exponent} is finer than supported`;
  }
  return makeBase(exponent, binary, offsetSeconds);
}

function makeBase(exponent: number, binary: boolean, offsetSeconds: number): TimeBase {
  const unitsPerSecond = binary ? 2 ** exponent : 10 ** exponent;
  // Every product below stays under 2^53: 10^n for n <= 15 and 2^k for k <= 32.
  const [nsecMul, nsecDiv] = binary
    ? exponent < 9
      ? [1e9, unitsPerSecond]
      : [1953125, 2 ** (exponent - 9)]
    : exponent <= 9
      ? [10 ** (9 - exponent), 1]
      : [1, 10 ** (exponent - 9)];
  // Shifts past 31 do not fit JavaScript's 32-bit shift operators, and above 10^15 the
  // remainder outgrows 2^53: those take the slow paths.
  const shift = exponent;
  const fast = shift <= 31 && (binary || exponent <= 15);
  const restScale = 2 ** Math.min(shift, 31);
  return {
    unitsPerSecond,
    nsecMul,
    nsecDiv,
    offsetSeconds,
    shift,
    odd: binary ? 1 : 5 ** exponent,
    exactHigh: fast ? 2 ** (21 + shift) : 0,
    highScale: 2 ** (32 - Math.min(shift, 31)),
    lowMask: restScale - 1,
    restScale,
  };
}

/** Where splitTimestamp writes, so that the per-packet path allocates nothing. */
export interface SplitTime {
  sec: number;
  nsec: number;
}

const TWO_32 = 4294967296;

export function splitTimestamp(hi: number, lo: number, base: TimeBase, out: SplitTime): void {
  const d = base.unitsPerSecond;
  let sec: number;
  let rest: number;
  if (hi < base.exactHigh) {
    const odd = base.odd;
    const shifted = hi * base.highScale + (lo >>> base.shift);
    sec = Math.floor(shifted / odd);
    let r = shifted - sec * odd;
    // The double division can round up to the next whole second; put it back.
    if (r < 0) {
      sec--;
      r += odd;
    }
    rest = r * base.restScale + (lo & base.lowMask);
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
  out.nsec = Math.floor((rest * base.nsecMul) / base.nsecDiv);
}

/** Resolutions finer than 2^-32 s: rare enough for BigInt. */
function splitHuge(hi: number, lo: number, base: TimeBase, out: SplitTime): void {
  const v = (BigInt(hi) << 32n) | BigInt(lo);
  const d = BigInt(base.unitsPerSecond);
  out.sec = Number(v / d) + base.offsetSeconds;
  out.nsec = Number(((v % d) * 1000000000n) / d);
}
