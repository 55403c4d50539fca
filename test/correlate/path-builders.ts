// Frames for the correlator tests: the same packet as each hop of a Docker path sees it.
import type { Frame, Hop } from '../../src/model.js';
import { ethernet, ipv4, type Ipv4Options, type Bytes } from '../decode/builders.js';

/** The lab's addresses: the container, its gateway (docker0), the host's uplink, the outside host. */
export const C1 = '198.18.0.2';
export const GW = '198.18.0.1';
export const HOST = '203.0.113.1';
export const OUT = '203.0.113.2';

export const DOCKER_PATH: Hop[] = [
  { name: 'c1 eth0', role: 'container', addrs: [C1] },
  { name: 'veth1', role: 'veth', addrs: [] },
  { name: 'docker0', role: 'bridge', addrs: [`${GW}/24`] },
  { name: 'eth0', role: 'uplink', addrs: [`${HOST}/24`] },
];

/** A frame seen at `hop`, `ms` milliseconds into the trace. */
export function frameAt(hop: number, ms: number, bytes: Bytes): Frame {
  const ns = Math.round(ms * 1e6);
  return { hop, linkType: 1, tsSec: 1_700_000_000 + Math.floor(ns / 1e9), tsNsec: ns % 1e9, data: bytes, origLen: bytes.length };
}

export function ip4(o: Ipv4Options, payload: Bytes): Bytes {
  return ethernet(0x0800, ipv4(o, payload));
}
