// The uplink gate of a multi-host overlay trace (src/capture/remote/tunnel-gate.ts) on frames
// recorded in the lab (test/overlay/captures): an uplink's VXLAN frame passes only once its
// inner conversation was seen at a hop inside the overlay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Frame } from '../../src/model.js';
import { TunnelGate } from '../../src/capture/remote/tunnel-gate.js';

/** The frames of a classic little-endian ethernet pcap, as `hop`'s frames. */
function frames(trace: string, file: string, hop: number): Frame[] {
  const b = readFileSync(join(import.meta.dirname, 'captures', trace, file));
  const out: Frame[] = [];
  for (let off = 24; off < b.length; ) {
    const capLen = b.readUInt32LE(off + 8);
    out.push({ hop, linkType: 1, tsSec: b.readUInt32LE(off), tsNsec: b.readUInt32LE(off + 4) * 1000, origLen: b.readUInt32LE(off + 12), data: b.subarray(off + 16, off + 16 + capLen) });
    off += 16 + capLen;
  }
  return out;
}

describe('the overlay uplink gate', () => {
  const inner = frames('overlay-ping', '01-h1-c1-eth0.pcap', 0);
  const uplink = frames('overlay-ping', '05-h1-eth0.pcap', 4);

  /** Outer UDP destination port 4789 (ethernet, IPv4 without options). */
  const isVxlan = (f: Frame) => Buffer.from(f.data).readUInt16BE(36) === 4789;

  it("passes the uplink's VXLAN frames of the echo c1 eth0 saw, requests and replies alike, and not swarm's gossip beside them", () => {
    const gate = new TunnelGate(new Set([4]));
    for (const f of inner) gate.learn(f);
    expect(uplink.filter(isVxlan)).toHaveLength(inner.length);
    expect(uplink.filter((f) => !isVxlan(f)).length).toBeGreaterThan(0);
    expect(uplink.map((f) => gate.pass(f))).toEqual(uplink.map(isVxlan));
    expect(inner.every((f) => gate.pass(f))).toBe(true);
  });

  it('drops them when no inner hop saw that conversation (an uplink frame learns nothing)', () => {
    const gate = new TunnelGate(new Set([4]));
    for (const f of uplink) gate.learn(f);
    // Another conversation seen inside: the outside trace's c1 eth1 echo to 203.0.113.2.
    for (const f of frames('overlay-out', '01-h1-c1-eth1.pcap', 0)) gate.learn(f);
    expect(uplink.some((f) => gate.pass(f))).toBe(false);
  });

  it('forgets the least recently seen conversation past its limit', () => {
    const gate = new TunnelGate(new Set([4]), 1);
    for (const f of inner) gate.learn(f);
    for (const f of frames('overlay-out', '01-h1-c1-eth1.pcap', 0)) gate.learn(f);
    expect(uplink.some((f) => gate.pass(f))).toBe(false);
  });
});
