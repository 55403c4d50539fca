import { u32 } from './bytes.js';

// Addresses leave decode as values (see IpAddress in addresses.ts); their text is made
// only where something is printed.

export function ipv4At(d: Uint8Array, o: number): number {
  return u32(d, o);
}

export function ipv6At(d: Uint8Array, o: number): bigint {
  return (BigInt(u32(d, o)) << 96n) | (BigInt(u32(d, o + 4)) << 64n) | (BigInt(u32(d, o + 8)) << 32n) | BigInt(u32(d, o + 12));
}
