// Addresses become strings once per packet, so these formatters build them directly
// from the bytes, without intermediate arrays or regular expressions.

/** "0." to "255.": three concatenations per address instead of seven, and no number formatting. */
const OCTET_DOT: readonly string[] = Array.from({ length: 256 }, (_, i) => i + '.');
const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

export function ipv4Address(d: Uint8Array, o: number): string {
  return OCTET_DOT[d[o]] + OCTET_DOT[d[o + 1]] + OCTET_DOT[d[o + 2]] + OCTET[d[o + 3]];
}

/** RFC 5952 canonical text: lowercase hex, no leading zeros, the longest run (>= 2) of zero groups as "::". */
export function ipv6Address(d: Uint8Array, o: number): string {
  if (isIpv4Mapped(d, o)) return '::ffff:' + ipv4Address(d, o + 12);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (d[o + 2 * i] === 0 && d[o + 2 * i + 1] === 0) {
      if (runStart < 0) runStart = i;
      if (i - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = i - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += ((d[o + 2 * i] << 8) | d[o + 2 * i + 1]).toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

/** ::ffff:0:0/96, which RFC 5952 section 5 writes with a dotted IPv4 tail. */
function isIpv4Mapped(d: Uint8Array, o: number): boolean {
  for (let i = 0; i < 10; i++) if (d[o + i] !== 0) return false;
  return d[o + 10] === 0xff && d[o + 11] === 0xff;
}
