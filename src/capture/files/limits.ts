// The bounds hoptrace puts on what a trace may describe, with why each is where it is.

/**
 * Most hops one trace may have. The longest path hoptrace traces is an overlay between two
 * hosts: container eth0, veth, bridge, vxlan, uplink on each side, both ways through the
 * same interfaces: about a dozen capture points. 64 leaves five times that, while keeping
 * what is per hop (an open file and a merge head each, a column in every report) small. A
 * `tcpdump -i any` file with 100,000 interface indexes is corruption or an attack, not a path.
 */
export const MAX_HOPS = 64;

/**
 * path.json's largest size. One written by --record is about 300 bytes per hop, 20 KiB at
 * MAX_HOPS; 1 MiB leaves room for hand-written descriptions and is still nothing to read.
 */
export const PATH_JSON_LIMIT = 1 << 20;

/** Longest hop name; an interface name is at most 15 bytes, a container name rarely 64. */
export const MAX_NAME_LENGTH = 256;

/** Longest other text field of path.json (description, file, netns, iface). */
export const MAX_TEXT_LENGTH = 4096;

/** Most addresses one hop may list. */
export const MAX_HOP_ADDRESSES = 256;

/**
 * Latest stoppedAt accepted, in seconds since the epoch: a classic pcap's timestamp field
 * is 32 bits, so no capture hoptrace replays can be later than 2106-02-07.
 */
export const LATEST_TIMESTAMP = 2 ** 32;

/** Largest MTU: Linux's loopback has 65536, every other device less. */
export const MAX_MTU = 65536;

/** Too many hops, in words, for the file or the part of it that had them. */
export function tooManyHops(count: number): string {
  return `${count} hops, more than the limit of ${MAX_HOPS} (hoptrace traces paths of up to ${MAX_HOPS} capture points)`;
}
