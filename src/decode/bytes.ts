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

/**
 * The payload fingerprint (a signed 32-bit integer): 0 when no payload byte was captured. MurmurHash3 (32-bit, seed 0)
 * rather than FNV-1a: it takes four bytes a step, and the fingerprint is computed for every
 * packet of a trace (FNV's byte-wise multiply chain was a tenth of replay's time).
 */
export function payloadHash(d: Uint8Array, start: number, end: number): number {
  const known = knownHash;
  if (start === known.start && end === known.end && d === known.buf) return known.value;
  const stop = end - start > PAYLOAD_HASH_BYTES ? start + PAYLOAD_HASH_BYTES : end;
  // As a signed 32-bit integer: a small integer to V8, where half of the unsigned values would
  // be a heap number allocated with every packet.
  const value = stop > start ? murmur3(d, start, stop, 0) | 0 : 0;
  const note = hashNote;
  if (note.armed) {
    note.armed = false;
    note.start = start;
    note.end = end;
    note.value = value;
  }
  return value;
}

/**
 * A fingerprint worked out ahead, on another thread (capture/files/frame-pipe.ts): payloadHash
 * over exactly buf[start, end) of this very buffer returns `value` without hashing. Whoever
 * sets it must set it again (or clear it) before the bytes at that place change.
 */
export const knownHash = { buf: null as Uint8Array | null, start: -1, end: -1, value: 0 };

/** Armed, the next payloadHash call notes its range and result here (and disarms it). */
export const hashNote = { armed: false, start: -1, end: -1, value: 0 };

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** MurmurHash3_x86_32 over data[start, end) (little-endian blocks); end must not pass data.length. */
export function murmur3(data: Uint8Array, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let i = start;
  for (const blocks = end - ((end - start) & 3); i < blocks; i += 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, C2);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let k = 0;
  switch (end - i) {
    case 3: k ^= data[i + 2] << 16; // falls through
    case 2: k ^= data[i + 1] << 8; // falls through
    case 1:
      k ^= data[i];
      k = Math.imul(k, C1);
      k = (k << 15) | (k >>> 17);
      h ^= Math.imul(k, C2);
  }
  h ^= end - start;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
