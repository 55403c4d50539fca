// What the recorded overlay traces (test/overlay/captures, by test/lab/multihost-record.mjs)
// hold, through hoptrace's own decoder: the facts the correlator will have to match through the
// tunnel. Ten hops for c1 (h1) -> c2 (h2): c1 eth0, overlay veth, br0, vxlan0, h1 eth0,
// h2 eth0, vxlan0, br0, overlay veth, c2 eth0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeShown } from '../decode/decode-helpers.js';
import { readPathJson } from '../../src/capture/files/path-json.js';

const dir = (name: string): string => join(import.meta.dirname, 'captures', name);

/** The frames of a classic little-endian pcap as tcpdump writes it here (ethernet). */
function frames(file: string): Buffer[] {
  const b = readFileSync(file);
  expect(b.readUInt32LE(0)).toBe(0xa1b2c3d4);
  expect(b.readUInt32LE(20)).toBe(1);
  const out: Buffer[] = [];
  for (let off = 24; off < b.length; ) {
    const capLen = b.readUInt32LE(off + 8);
    out.push(b.subarray(off + 16, off + 16 + capLen));
    off += 16 + capLen;
  }
  return out;
}

type Seen = { src: string; dst: string; ttl: number; ipId: number; icmp?: number; udp?: number; encap: string[] };
function seen(f: Buffer): Seen {
  const d = decodeShown(1, f, f.length);
  if (!('ip' in d)) throw new Error(d.skip);
  const l4 = d.ip.l4;
  return { src: d.ip.src, dst: d.ip.dst, ttl: d.ip.ttl, ipId: d.ip.ipId, encap: d.encap,
    ...(l4.kind === 'icmp' ? { icmp: l4.type } : {}), ...(l4.kind === 'udp' ? { udp: l4.dport } : {}) };
}
const outer = (f: Buffer): [string, string, number, number, number] =>
  [[...f.subarray(26, 30)].join('.'), [...f.subarray(30, 34)].join('.'), f.readUInt16BE(34), f.readUInt16BE(36), f[22]!];

describe('recorded overlay traces', () => {
  it('are trace directories the replay reader accepts, each hop naming its host', () => {
    const path = readPathJson(dir('overlay-ping'));
    expect(path.hops.map((h) => h.name)).toEqual([
      'h1 c1 eth0', 'h1 overlay:ht-overlay veth1', 'h1 overlay:ht-overlay br0', 'h1 overlay:ht-overlay vxlan0', 'h1 eth0',
      'h2 eth0', 'h2 overlay:ht-overlay vxlan0', 'h2 overlay:ht-overlay br0', 'h2 overlay:ht-overlay veth1', 'h2 c2 eth0',
    ]);
    const doc = JSON.parse(readFileSync(join(dir('overlay-ping'), 'path.json'), 'utf8')) as { hops: { host: string; role: string }[] };
    expect(doc.hops.map((h) => `${h.host}:${h.role}`)).toEqual(['h1:container', 'h1:veth', 'h1:bridge', 'h1:tunnel', 'h1:uplink', 'h2:uplink', 'h2:tunnel', 'h2:bridge', 'h2:veth', 'h2:container']);
  });

  it('overlay-ping: the same inner packet (ids, TTL 64) on all ten hops; at both uplinks it is inside VXLAN 4097, UDP 4789 between the underlay addresses', () => {
    const path = readPathJson(dir('overlay-ping'));
    const hops = path.hops.map((h) => frames(h.file!));
    const inner = hops.map((fs) => fs.map(seen).filter((s) => s.icmp !== undefined));
    const c1 = inner[0]!.map(({ src, dst, ttl, ipId, icmp }) => ({ src, dst, ttl, ipId, icmp }));
    expect(c1.map((s) => [s.src, s.dst, s.icmp, s.ttl])).toEqual([0, 1, 2].flatMap(() => [['198.18.100.2', '198.18.100.4', 8, 64], ['198.18.100.4', '198.18.100.2', 0, 64]]));
    for (const [i, hop] of inner.entries()) {
      expect(hop.map(({ src, dst, ttl, ipId, icmp }) => ({ src, dst, ttl, ipId, icmp })), `hop ${i + 1}`).toEqual(c1);
      expect(hop.every((s) => s.encap.join() === (i === 4 || i === 5 ? 'vxlan 4097' : ''))).toBe(true);
    }
    // The outer headers: host to host, UDP to 4789, TTL 64; the source port is a hash of the inner flow.
    for (const i of [4, 5]) {
      const tunnel = hops[i]!.filter((f) => seen(f).encap.length > 0).map(outer);
      expect(tunnel.map(([s, d, , dport, ttlOuter]) => [s, d, dport, ttlOuter])).toEqual(
        [0, 1, 2].flatMap(() => [['203.0.113.1', '203.0.113.3', 4789, 64], ['203.0.113.3', '203.0.113.1', 4789, 64]]));
    }
  });

  it('overlay-ping: the uplinks also carry swarm gossip (UDP 7946), which is not the traced flow', () => {
    const uplink = frames(readPathJson(dir('overlay-ping')).hops[4]!.file!).map(seen);
    const other = uplink.filter((s) => s.encap.length === 0);
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((s) => s.udp === 7946 && s.src.startsWith('203.0.113.') && s.dst.startsWith('203.0.113.'))).toBe(true);
  });

  it('overlay-underlay-drop: the requests reach h2 eth0 inside VXLAN and no hop after it; no reply anywhere', () => {
    const hops = readPathJson(dir('overlay-underlay-drop')).hops.map((h) => frames(h.file!).map(seen).filter((s) => s.icmp !== undefined));
    expect(hops.map((h) => h.length)).toEqual([3, 3, 3, 3, 3, 3, 0, 0, 0, 0]);
    expect(hops.flat().every((s) => s.icmp === 8)).toBe(true);
    expect(hops[5]!.every((s) => s.encap.join() === 'vxlan 4097')).toBe(true);
  });

  it('overlay-out: c1 leaves through eth1 and docker_gwbridge, SNAT to 203.0.113.1 and TTL 64 -> 63 at h1 eth0', () => {
    const path = readPathJson(dir('overlay-out'));
    expect(path.hops.map((h) => h.iface)).toEqual(['eth1', expect.stringMatching(/^veth/), 'docker_gwbridge', 'eth0']);
    const hops = path.hops.map((h) => frames(h.file!).map(seen).filter((s) => s.icmp !== undefined));
    const request = (i: number): [string, string, number] => [hops[i]![0]!.src, hops[i]![0]!.dst, hops[i]![0]!.ttl];
    expect([0, 1, 2].map(request)).toEqual(Array(3).fill([expect.stringMatching(/^198\.18\.64\.\d+$/), '203.0.113.2', 64]));
    expect(request(3)).toEqual(['203.0.113.1', '203.0.113.2', 63]);
    expect(hops.map((h) => h.length)).toEqual([6, 6, 6, 6]);
  });
});
