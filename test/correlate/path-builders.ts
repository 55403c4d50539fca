// Frames for the correlator tests: the same packet as each hop of a Docker path sees it.
import type { Frame, Hop } from '../../src/model.js';
import { ethernet, ipv4, type Ipv4Options, type Bytes } from '../decode/builders.js';

export const DOCKER_PATH: Hop[] = [
  { name: 'c1 eth0', role: 'container', addrs: ['198.18.0.2'] },
  { name: 'veth1', role: 'veth', addrs: [] },
  { name: 'docker0', role: 'bridge', addrs: ['198.18.0.1/24'] },
  { name: 'eth0', role: 'uplink', addrs: ['203.0.113.1/24'] },
];

/** A frame seen at `hop`, `ms` milliseconds into the trace. */
export function frameAt(hop: number, ms: number, bytes: Bytes): Frame {
  const ns = Math.round(ms * 1e6);
  return { hop, linkType: 1, tsSec: 1_700_000_000 + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: bytes, origLen: bytes.length };
}

export function ip4(o: Ipv4Options, payload: Bytes): Bytes {
  return ethernet(0x0800, ipv4(o, payload));
}
