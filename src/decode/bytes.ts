// Big-endian reads straight from the Uint8Array: a DataView per packet would cost an
// allocation, and these tiny functions are inlined by V8. Callers check bounds first.

export function u16(d: Uint8Array, o: number): number {
  return (d[o] << 8) | d[o + 1];
}

export function u24(d: Uint8Array, o: number): number {
  return (d[o] << 16) | (d[o + 1] << 8) | d[o + 2];
}

export function u32(d: Uint8Array, o: number): number {
  // Multiply instead of shifting the top byte so the result stays unsigned.
  return d[o] * 0x1000000 + ((d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]);
}

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a, 32-bit, over data[start, end): the payload fingerprint that NAT cannot change. */
export function hashBytes(data: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET_BASIS;
  const stop = end < data.length ? end : data.length;
  for (let i = start < 0 ? 0 : start; i < stop; i++) {
    h = Math.imul(h ^ data[i], FNV_PRIME);
  }
  return h >>> 0;
}

/** How many payload bytes the fingerprint covers at most: enough to tell packets apart, cheap per packet. */
export const PAYLOAD_HASH_BYTES = 64;

/** The payload fingerprint: 0 when no payload byte was captured. */
export function payloadHash(d: Uint8Array, start: number, end: number): number {
  const stop = end - start > PAYLOAD_HASH_BYTES ? start + PAYLOAD_HASH_BYTES : end;
  return stop > start ? hashBytes(d, start, stop) : 0;
}
