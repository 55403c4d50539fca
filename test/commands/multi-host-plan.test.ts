// The decisions of a trace across Docker hosts (src/commands/multi-host-plan.ts), on overlay
// paths discovered from output saved from the multi-host lab (test/overlay/fixtures: h1 runs
// c1 198.18.100.2, h2 runs c2 198.18.100.4, ht-overlay 198.18.100.0/24, VNI 4097; h1-encrypted
// is ht-enc, --opt encrypted). Every hop name, tap, capture filter, note and error is asserted
// whole; the names agree with what the lab's multi-host CLI test pins (test/lab/multihost-cli).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { overlayPath, type OverlayFacts, type OverlayPath } from '../../src/discover/overlay.js';
import {
  choosePlaced, chooseOverlay, containerHolding, containerRef, encryptedNote, execCommand, execExitLine, execFailedLine, farEnd, isSwarmNode, legFilter, legsFor,
  noPeerContainer, onHost, outsideLeg, overlayEntry, overlayLeg, shellPid, tracePlan, unknownPeerHost, watchCandidates, watchedPeer, type FarEnd, type Found, type Leg,
} from '../../src/commands/multi-host-plan.js';
import { hostTrouble } from '../../src/commands/multi-host-trace.js';
import { NodeError } from '../../src/capture/remote/docker-node.js';
import { OverlayDiscoveryError } from '../../src/discover/overlay.js';
import { EnvironmentError, InputError } from '../../src/errors.js';
import type { ClockOffset } from '../../src/capture/remote/transport.js';
import { FatalError } from '../../src/errors.js';

type Host = 'h1' | 'h2' | 'h1-encrypted';
const FIXTURES = join(import.meta.dirname, '..', 'overlay', 'fixtures');
const json = (host: Host, file: string): never => JSON.parse(readFileSync(join(FIXTURES, host, file), 'utf8')) as never;

function facts(host: Host): OverlayFacts {
  return {
    container: json(host, 'container-inspect.json'), network: json(host, 'network-inspect-verbose.json'),
    containerLinks: json(host, 'container-ip-addr.json'), containerRoutes: json(host, 'container-ip-route.json'),
    overlayLinks: json(host, 'overlay-ip-addr.json'), fdb: json(host, 'overlay-fdb-vxlan0.json'), neigh: json(host, 'overlay-neigh-vxlan0.json'),
    hostLinks: json(host, 'host-ip-addr.json'), hostRoutes: json(host, 'host-ip-route.json'),
    hostNat: readFileSync(join(FIXTURES, host, 'host-iptables-nat.txt'), 'utf8'),
  };
}

// Each host's namespaces at distinct paths, so a tap's namespace shows which leg (and order) it came from.
const PID = { h1: 101, h2: 202, 'h1-encrypted': 303 };
function path(host: Host): OverlayPath {
  const name = host === 'h1-encrypted' ? 'h1' : host;
  return overlayPath(facts(host), {
    container: { label: `container:${name}`, path: `/proc/${PID[host]}/ns/net` },
    overlay: { label: 'overlay', path: `/run/${name}/exec/netns/1-egd38epnx9` },
    host: { label: name, path: `/var/run/netns/${name}` },
  });
}

const h1 = { name: 'h1' };
const h2 = { name: 'h2' };
const clock = (offsetNs: bigint, uncertaintyNs: bigint): ClockOffset => ({ offsetNs, uncertaintyNs, samples: 8 });
const CLOCKS = new Map([['h1', clock(0n, 150_000n)], ['h2', clock(-2_500_000n, 2_703_001n)]]);

function thrown(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof FatalError) return { code: error.exitCode, message: error.message };
    throw error;
  }
  throw new Error('did not throw');
}

const H1_TAPS = (filter: string) => [
  { hop: 0, iface: 'eth0', netns: '/proc/101/ns/net', filter },
  { hop: 1, iface: 'veth1', netns: '/run/h1/exec/netns/1-egd38epnx9', filter },
  { hop: 2, iface: 'br0', netns: '/run/h1/exec/netns/1-egd38epnx9', filter },
  { hop: 3, iface: 'vxlan0', netns: '/run/h1/exec/netns/1-egd38epnx9', filter },
  { hop: 4, iface: 'eth0', netns: '/var/run/netns/h1', filter: 'udp port 4789' },
];
const H2_TAPS = (filter: string) => [
  { hop: 5, iface: 'eth0', netns: '/var/run/netns/h2', filter: 'udp port 4789' },
  { hop: 6, iface: 'vxlan0', netns: '/run/h2/exec/netns/1-egd38epnx9', filter },
  { hop: 7, iface: 'br0', netns: '/run/h2/exec/netns/1-egd38epnx9', filter },
  { hop: 8, iface: 'veth1', netns: '/run/h2/exec/netns/1-egd38epnx9', filter },
  { hop: 9, iface: 'eth0', netns: '/proc/202/ns/net', filter },
];
const TEN_HOPS = [
  'h1 c1 eth0', 'h1 overlay veth1', 'h1 overlay br0', 'h1 overlay vxlan0', 'h1 eth0',
  'h2 eth0', 'h2 overlay vxlan0', 'h2 overlay br0', 'h2 overlay veth1', 'h2 c2 eth0',
];
const GATED_NOTE = "at h1 eth0 and h2 eth0 only tunnel packets whose inner packet's conversation was seen at a hop inside the overlay are kept: the kernel filter there cannot look inside the tunnel";
const CLOCK_NOTES = [
  'host h1: clock offset 0 ms +- 0.15 ms (tightest of 8 round trips over its Docker API)',
  'host h2: clock offset -2.5 ms +- 2.703001 ms (tightest of 8 round trips over its Docker API)',
];

describe('tracePlan: c1 on h1 to c2 on h2 across the overlay', () => {
  const p1 = path('h1');
  const legs = [overlayLeg(h1, p1, false), overlayLeg(h2, path('h2'), true)];

  it('ping: ten hops named with their host (the far host reversed), the clocks on each hop, the taps and their filters, the notes and the description', () => {
    const plan = tracePlan(legs, CLOCKS, { selector: { proto: 'icmp', destination: '198.18.100.4' }, destination: '198.18.100.4', commandLine: 'hoptrace ping c1 198.18.100.4 -c 3 --host h1 --host h2' }, p1, false);
    expect(plan.hops.map((h) => h.name)).toEqual(TEN_HOPS);
    expect(plan.hops.map((h) => [h.host, h.role, h.iface, h.clockUncertaintyUs])).toEqual([
      ['h1', 'container', 'eth0', 150], ['h1', 'veth', 'veth1', 150], ['h1', 'bridge', 'br0', 150], ['h1', 'tunnel', 'vxlan0', 150], ['h1', 'uplink', 'eth0', 150],
      // 2703.001 us is rounded up: never claim a clock better than it was measured.
      ['h2', 'uplink', 'eth0', 2704], ['h2', 'tunnel', 'vxlan0', 2704], ['h2', 'bridge', 'br0', 2704], ['h2', 'veth', 'veth1', 2704], ['h2', 'container', 'eth0', 2704],
    ]);
    expect(plan.hops[0]).toEqual({ name: 'h1 c1 eth0', role: 'container', netns: 'container:h1', iface: 'eth0', addrs: ['198.18.100.2'], mtu: 1450, host: 'h1', clockUncertaintyUs: 150 });
    // c1's packets carry c1's address on c2's side too: every inner hop is filtered on it.
    expect(plan.taps).toEqual([H1_TAPS('host 198.18.100.2 and (icmp)'), H2_TAPS('host 198.18.100.2 and (icmp)')]);
    expect(plan.notes).toEqual([
      ...CLOCK_NOTES,
      'capture filter at h1 c1 eth0: host 198.18.100.2 and (icmp)',
      'capture filter at h1 overlay veth1: host 198.18.100.2 and (icmp)',
      'capture filter at h1 overlay br0: host 198.18.100.2 and (icmp)',
      'capture filter at h1 overlay vxlan0: host 198.18.100.2 and (icmp)',
      'capture filter at h1 eth0: udp port 4789',
      'capture filter at h2 eth0: udp port 4789',
      'capture filter at h2 overlay vxlan0: host 198.18.100.2 and (icmp)',
      'capture filter at h2 overlay br0: host 198.18.100.2 and (icmp)',
      'capture filter at h2 overlay veth1: host 198.18.100.2 and (icmp)',
      'capture filter at h2 c2 eth0: host 198.18.100.2 and (icmp)',
      '198.18.100.5 -> 203.0.113.3 known only from the kernel fdb',
      GATED_NOTE,
    ]);
    expect(plan.description).toBe('hoptrace ping c1 198.18.100.4 -c 3 --host h1 --host h2: c1 on host h1 to 198.18.100.4, recorded live on h1 and h2');
    expect(plan.gatedUplinks).toEqual([4, 5]);
    expect(plan.caveats).toEqual([]);
  });

  it('tcp to a port: the flow and ICMP about it; udp without a port; a command line not starting with hoptrace is kept whole', () => {
    const tcp = tracePlan(legs, CLOCKS, { selector: { proto: 'tcp', destination: '198.18.100.4', port: 8080 }, destination: '198.18.100.4', commandLine: 'hoptrace tcp c1 198.18.100.4:8080' }, p1, false);
    expect(tcp.taps.flat().map((t) => t.filter)).toEqual([
      ...Array(4).fill('host 198.18.100.2 and ((tcp and port 8080) or icmp)'), 'udp port 4789', 'udp port 4789', ...Array(4).fill('host 198.18.100.2 and ((tcp and port 8080) or icmp)'),
    ]);
    expect(tcp.description).toBe('hoptrace tcp c1 198.18.100.4:8080: c1 on host h1 to 198.18.100.4, recorded live on h1 and h2');
    const udp = tracePlan(legs, CLOCKS, { selector: { proto: 'udp' }, destination: undefined, commandLine: 'node hoptrace udp' }, p1, false);
    expect(udp.taps[0]![0]!.filter).toBe('host 198.18.100.2 and ((udp) or icmp)');
    expect(udp.description).toBe('hoptrace node hoptrace udp: c1 on host h1, recorded live on h1 and h2');
  });

  it("watch: the container's address alone, or narrowed by the user's filter (in parentheses); the uplinks keep the tunnel", () => {
    const plain = tracePlan(legs, CLOCKS, { selector: { proto: 'any' }, destination: undefined, commandLine: 'hoptrace watch c1 --host h1 --host h2' }, p1, false);
    expect(plain.taps).toEqual([H1_TAPS('host 198.18.100.2'), H2_TAPS('host 198.18.100.2')]);
    expect(plain.description).toBe('hoptrace watch c1 --host h1 --host h2: c1 on host h1, recorded live on h1 and h2');
    const filtered = tracePlan(legs, CLOCKS, { selector: { proto: 'any', userFilter: 'icmp' }, destination: undefined, commandLine: 'hoptrace watch c1 icmp' }, p1, false);
    expect(filtered.taps[1]!.map((t) => t.filter)).toEqual(['udp port 4789', ...Array(4).fill('host 198.18.100.2 and ((icmp))')]);
    // A traced protocol and a filter of the user's: both must hold.
    expect(legFilter(p1.hops[2]!, { selector: { proto: 'tcp', port: 80, userFilter: 'host 198.18.100.4' }, destination: undefined }, p1, false, [])).toBe(
      'host 198.18.100.2 and (((tcp and port 80) or icmp) and (host 198.18.100.4))',
    );
  });

  it('one leg (a destination on the overlay but on this host): five hops, the uplink gated alone', () => {
    const plan = tracePlan([legs[0]!], new Map([['h1', clock(0n, 0n)]]), { selector: { proto: 'icmp' }, destination: '198.18.100.3', commandLine: 'hoptrace ping c1 198.18.100.3' }, p1, false);
    expect(plan.hops.map((h) => [h.name, h.clockUncertaintyUs])).toEqual([['h1 c1 eth0', 0], ['h1 overlay veth1', 0], ['h1 overlay br0', 0], ['h1 overlay vxlan0', 0], ['h1 eth0', 0]]);
    expect(plan.notes[0]).toBe('host h1: clock offset 0 ms +- 0 ms (tightest of 8 round trips over its Docker API)');
    expect(plan.notes.at(-1)).toBe("at h1 eth0 only tunnel packets whose inner packet's conversation was seen at a hop inside the overlay are kept: the kernel filter there cannot look inside the tunnel");
    expect(plan.gatedUplinks).toEqual([4]);
    expect(plan.description).toBe('hoptrace ping c1 198.18.100.3: c1 on host h1 to 198.18.100.3, recorded live on h1');
  });
});

describe('tracePlan: out of the overlay (eth1 -> docker_gwbridge -> eth0)', () => {
  const p1 = path('h1');

  it("filters on eth1's address inside and on the destination and the uplink's own address at the uplink; nothing gated", () => {
    const end = farEnd(p1, '203.0.113.2', h1);
    expect(end).toEqual({ kind: 'outside' });
    const leg = outsideLeg(h1, p1);
    expect(leg).toEqual({ node: h1, hops: p1.outside!.hops, netns: ['/proc/101/ns/net', '/var/run/netns/h1', '/var/run/netns/h1', '/var/run/netns/h1'] });
    const plan = tracePlan([leg], CLOCKS, { selector: { proto: 'icmp', destination: '203.0.113.2' }, destination: '203.0.113.2', commandLine: 'hoptrace ping c1 203.0.113.2 --host h1' }, p1, true);
    expect(plan.hops.map((h) => h.name)).toEqual(['h1 c1 eth1', 'h1 veth67e1095', 'h1 docker_gwbridge', 'h1 eth0']);
    expect(plan.taps).toEqual([[
      { hop: 0, iface: 'eth1', netns: '/proc/101/ns/net', filter: 'host 198.18.64.3 and (icmp)' },
      { hop: 1, iface: 'veth67e1095', netns: '/var/run/netns/h1', filter: 'host 198.18.64.3 and (icmp)' },
      { hop: 2, iface: 'docker_gwbridge', netns: '/var/run/netns/h1', filter: 'host 198.18.64.3 and (icmp)' },
      { hop: 3, iface: 'eth0', netns: '/var/run/netns/h1', filter: 'host 203.0.113.2 or host 203.0.113.1' },
    ]]);
    expect(plan.gatedUplinks).toEqual([]);
    expect(plan.notes).toEqual([
      CLOCK_NOTES[0],
      'capture filter at h1 c1 eth1: host 198.18.64.3 and (icmp)',
      'capture filter at h1 veth67e1095: host 198.18.64.3 and (icmp)',
      'capture filter at h1 docker_gwbridge: host 198.18.64.3 and (icmp)',
      'capture filter at h1 eth0: host 203.0.113.2 or host 203.0.113.1',
      '198.18.100.5 -> 203.0.113.3 known only from the kernel fdb',
    ]);
    expect(plan.description).toBe('hoptrace ping c1 203.0.113.2 --host h1: c1 on host h1 to 203.0.113.2, recorded live on h1');
  });

  it('an uplink outside with neither a destination nor an address of its own: any IP; eth1 without an address: the overlay address', () => {
    const uplink = p1.outside!.hops[3]!;
    expect(legFilter(uplink, { selector: { proto: 'any' }, destination: undefined }, p1, true, [])).toBe('ip');
    expect(legFilter(uplink, { selector: { proto: 'any' }, destination: undefined }, p1, true, ['203.0.113.1', '203.0.113.9'])).toBe('host 203.0.113.1 or host 203.0.113.9');
    const bare: OverlayPath = { ...p1, outside: { ...p1.outside!, hops: [{ ...p1.outside!.hops[0]!, addrs: [] }, ...p1.outside!.hops.slice(1)] } };
    expect(legFilter(bare.outside!.hops[0]!, { selector: { proto: 'icmp' }, destination: '203.0.113.2' }, bare, true, [])).toBe('host 198.18.100.2 and (icmp)');
    // No way out read (or one without hops): the overlay address.
    expect(legFilter(p1.hops[0]!, { selector: { proto: 'icmp' }, destination: '203.0.113.2' }, { ...p1, outside: undefined }, false, [])).toBe('host 198.18.100.2 and (icmp)');
    expect(legFilter(p1.hops[0]!, { selector: { proto: 'icmp' }, destination: '203.0.113.2' }, { ...p1, outside: { ...p1.outside!, hops: [] } }, true, [])).toBe('host 198.18.100.2 and (icmp)');
    // An inside hop of an overlay path filters on the overlay address even when a way out exists.
    expect(legFilter(p1.hops[0]!, { selector: { proto: 'icmp' }, destination: '203.0.113.2' }, p1, false, [])).toBe('host 198.18.100.2 and (icmp)');
  });
});

describe('an encrypted overlay (ht-enc)', () => {
  const enc = path('h1-encrypted');

  it('each leg leaves its uplink out (ESP only there); the caveat names both vxlan0; no uplink gated', () => {
    const legs = [overlayLeg(h1, enc, false), overlayLeg(h2, enc, true)];
    expect(legs.map((l) => l.hops.map((h) => h.role))).toEqual([['container', 'veth', 'bridge', 'tunnel'], ['tunnel', 'bridge', 'veth', 'container']]);
    expect(legs[1]!.netns).toEqual(['/run/h1/exec/netns/1-egd38epnx9', '/run/h1/exec/netns/1-egd38epnx9', '/run/h1/exec/netns/1-egd38epnx9', '/proc/303/ns/net']);
    const caveat = "ht-enc is an encrypted overlay (--opt encrypted: IPsec ESP between the hosts' underlay addresses): its packets cannot be matched at the uplinks, which are left out of the path; between h1 overlay vxlan0 and h2 overlay vxlan0 they travel encrypted, and a packet lost there is not placed more precisely";
    expect(encryptedNote(enc, legs)).toEqual([caveat]);
    const plan = tracePlan(legs, CLOCKS, { selector: { proto: 'icmp' }, destination: '198.18.101.4', commandLine: 'hoptrace ping c1 198.18.101.4' }, enc, false);
    expect(plan.caveats).toEqual([caveat]);
    expect(plan.gatedUplinks).toEqual([]);
    expect(plan.notes.some((n) => n.includes('only tunnel packets'))).toBe(false);
    expect(plan.hops).toHaveLength(8);
  });

  it('no caveat with one leg, nor for an overlay in clear; a leg without a tunnel hop is named by vxlan0', () => {
    expect(encryptedNote(enc, [overlayLeg(h1, enc, false)])).toEqual([]);
    const clear = path('h1');
    expect(encryptedNote(clear, [overlayLeg(h1, clear, false), overlayLeg(h2, clear, true)])).toEqual([]);
    const noTunnel: Leg = { node: h2, hops: enc.hops.filter((h) => h.role !== 'tunnel'), netns: [] };
    expect(encryptedNote(enc, [overlayLeg(h1, enc, false), noTunnel])[0]).toContain('between h1 overlay vxlan0 and h2 vxlan0 they travel encrypted');
  });

  it('a leg in clear keeps the uplink, and in order unless reversed', () => {
    const clear = path('h1');
    expect(overlayLeg(h1, clear, false).hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'tunnel', 'uplink']);
    expect(overlayLeg(h1, clear, false).netns).toEqual(['/proc/101/ns/net', ...Array(3).fill('/run/h1/exec/netns/1-egd38epnx9'), '/var/run/netns/h1']);
    expect(overlayLeg(h1, clear, true).hops.map((h) => h.role)).toEqual(['uplink', 'tunnel', 'bridge', 'veth', 'container']);
    // The path itself is not reordered by a reversed leg.
    expect(clear.hops[0]!.role).toBe('container');
  });
});

describe('onHost', () => {
  it('names hops with the host, counts taps from the offset, and taps a hop without an interface name by its name', () => {
    const leg: Leg = { node: h2, hops: [{ name: 'eth0', role: 'uplink', addrs: [] }, { name: 'br0', role: 'bridge', iface: 'br0', addrs: [] }], netns: [undefined, '/run/x'] };
    expect(onHost(leg, 5)).toEqual({
      hops: [{ name: 'h2 eth0', role: 'uplink', addrs: [], host: 'h2' }, { name: 'h2 br0', role: 'bridge', iface: 'br0', addrs: [], host: 'h2' }],
      taps: [{ hop: 5, iface: 'h2 eth0', netns: undefined }, { hop: 6, iface: 'br0', netns: '/run/x' }],
    });
  });
});

describe('where the path ends (farEnd)', () => {
  const p1 = path('h1');

  it('a peer on the overlay, an overlay address on this host, no destination (watch), a destination outside', () => {
    expect(farEnd(p1, '198.18.100.4', h1)).toEqual({ kind: 'peer', peer: p1.peers[0] });
    expect(farEnd(p1, '198.18.100.5', h1)).toEqual({ kind: 'peer', peer: p1.peers[1] });
    expect(farEnd(p1, '198.18.100.3', h1)).toEqual({ kind: 'here' });
    expect(farEnd(p1, undefined, h1)).toEqual({ kind: 'watch' });
    expect(farEnd(p1, '203.0.113.2', h1)).toEqual({ kind: 'outside' });
  });

  it('outside without a way out: exit 4 naming the container and host; an overlay without a known subnet keeps the destination on it', () => {
    expect(thrown(() => farEnd({ ...p1, outside: undefined }, '203.0.113.2', h2))).toEqual({ code: 4, message: 'c1 on host h2: no way out of the overlay found (eth1 -> docker_gwbridge)' });
    expect(farEnd({ ...p1, network: { ...p1.network, subnet: undefined } }, '203.0.113.2', h1)).toEqual({ kind: 'here' });
  });
});

describe("choosing the host's container and the overlay network", () => {
  const c1: Found = { node: h1, container: json('h1', 'container-inspect.json') };
  const c2: Found = { node: h2, container: json('h2', 'container-inspect.json') };
  const nodes = [h1, h2];

  it('a name or full id before an id prefix; the only answer otherwise', () => {
    expect(choosePlaced([c1, c2], 'c1', nodes)).toBe(c1);
    expect(choosePlaced([c1, c2], c2.container.Id, nodes)).toBe(c2);
    // "14980" is a prefix of c2's id; h1 answered too (as an engine resolving another prefix would).
    expect(choosePlaced([undefined, c2], '14980', nodes)).toBe(c2);
  });

  it('none: exit 4 naming every host; several: exit 2 naming them', () => {
    expect(thrown(() => choosePlaced([undefined, undefined], 'c9', nodes))).toEqual({ code: 4, message: 'container c9 runs on none of the hosts h1, h2' });
    expect(thrown(() => choosePlaced([c1, c2], 'cf5', nodes))).toEqual({ code: 2, message: 'container cf5 is on several hosts (h1, h2): name it by id' });
    const twin: Found = { node: h2, container: { ...c1.container } };
    expect(thrown(() => choosePlaced([c1, twin], 'c1', nodes))).toEqual({ code: 2, message: 'container c1 is on several hosts (h1, h2): name it by id' });
  });

  it("an overlay from the engine's network inspect; a bridge or an unanswered inspect is none", () => {
    expect(overlayEntry('egd38', json('h2', 'network-inspect-verbose.json'))).toEqual({ id: 'egd38', subnet: '198.18.100.0/24' });
    expect(overlayEntry('n1', { Driver: 'overlay' })).toEqual({ id: 'n1', subnet: undefined });
    expect(overlayEntry('n1', { Driver: 'bridge', IPAM: { Config: [{ Subnet: '198.18.0.0/24' }] } })).toBeUndefined();
    expect(overlayEntry('n1', undefined)).toBeUndefined();
    expect(overlayEntry('n1', { Driver: 'overlay', IPAM: {} })).toEqual({ id: 'n1', subnet: undefined });
    expect(overlayEntry('n1', { Driver: 'overlay', IPAM: { Config: [] } })).toEqual({ id: 'n1', subnet: undefined });
  });

  it('the overlay holding the destination, else the first; none: exit 4', () => {
    const overlays = [{ id: 'a' }, { id: 'b', subnet: '198.18.100.0/24' }, { id: 'c', subnet: '198.18.101.0/24' }];
    expect(chooseOverlay(overlays, '198.18.101.7', c1)).toBe('c');
    expect(chooseOverlay(overlays, '198.18.100.4', c1)).toBe('b');
    expect(chooseOverlay(overlays, '203.0.113.2', c1)).toBe('a');
    expect(chooseOverlay(overlays, undefined, c1)).toBe('a');
    expect(thrown(() => chooseOverlay([], '198.18.100.4', c1))).toEqual({ code: 4, message: 'container c1 on host h1 is on no overlay network: trace it without --host' });
  });

  it("the peer container by its overlay address in the peer engine's network inspect", () => {
    const containers = (json('h2', 'network-inspect-verbose.json') as { Containers: Record<string, { IPv4Address?: string }> }).Containers;
    expect(containerHolding(containers, '198.18.100.4')).toBe('14980cf87177f7179e6f78108a77491a6b81c46d4413901f65812172396001e9');
    expect(containerHolding(containers, '198.18.100.5')).toBe('lb-ht-overlay');
    expect(containerHolding(containers, '198.18.100.40')).toBeUndefined();
    expect(containerHolding({ x: {} }, '198.18.100.4')).toBeUndefined();
    expect(containerHolding(undefined, '198.18.100.4')).toBeUndefined();
  });
});

describe('the peer a trace goes to', () => {
  const p1 = path('h1');

  it("watch follows Docker's tasks only (not the kernel fdb's load balancer), and exactly one of them", () => {
    expect(watchCandidates(p1)).toEqual([p1.peers[0]]);
    const one = { peer: p1.peers[0]!, node: h2 };
    expect(watchedPeer([one], p1, [h1, h2])).toBe(one);
    expect(thrown(() => watchedPeer([], p1, [h1, h2]))).toEqual({ code: 4, message: 'ht-overlay has no endpoint on the other hosts given (h1, h2)' });
    const h3 = { name: 'h3' };
    expect(thrown(() => watchedPeer([one, { peer: { ...p1.peers[0]!, addr: '198.18.100.9' }, node: h3 }], p1, [h1, h2, h3]))).toEqual({
      code: 2,
      message: 'watch across hosts follows one peer, and ht-overlay has 2 on the hosts given (198.18.100.4 on host h2, 198.18.100.9 on host h3): trace one with ping/tcp/udp to its address',
    });
  });

  it("a peer on no host given, or not listed by its host's engine: exit 4, naming the address", () => {
    const peer = p1.peers[0]!;
    const e = unknownPeerHost(peer, '198.18.100.4');
    expect([e.exitCode, e.message]).toEqual([4, '198.18.100.4 is on the host at 203.0.113.3 (from the overlay), which is none of the hosts given: add --host name=endpoint for it']);
    expect(unknownPeerHost(peer, undefined).message).toBe('198.18.100.4 is on the host at 203.0.113.3 (from the overlay), which is none of the hosts given: add --host name=endpoint for it');
    expect(unknownPeerHost({ ...peer, addr: '198.18.100.9' }, 'c2.example').message.startsWith('c2.example is on the host at 203.0.113.3')).toBe(true);
    const n = noPeerContainer(h2, peer, p1);
    expect([n.exitCode, n.message]).toEqual([4, 'host h2 lists no container with 198.18.100.4 on ht-overlay']);
  });
});

describe("the traffic's command in the container", () => {
  it('a shell that prints its pid, then execs the command with its arguments untouched', () => {
    expect(execCommand(['ping', '-c', '3', '198.18.100.4'])).toEqual(['sh', '-c', 'echo $$; exec "$@"', 'sh', 'ping', '-c', '3', '198.18.100.4']);
  });

  it('the pid once its line is complete, and only a number at the start', () => {
    expect(shellPid('4242\n')).toBe('4242');
    expect(shellPid('17\nPING 198.18.100.4 (198.18.100.4): 56 data bytes\n')).toBe('17');
    expect(shellPid('4242')).toBeUndefined();
    expect(shellPid('sh: 1\n')).toBeUndefined();
    expect(shellPid('\n12\n')).toBeUndefined();
  });
});

describe("the path's legs", () => {
  const p1 = path('h1');
  const far = overlayLeg(h2, path('h2'), true);

  it('to a peer: this host\'s leg, then the far one the discovery found; the far leg is asked for with the peer', async () => {
    const asked: FarEnd[] = [];
    const end = farEnd(p1, '198.18.100.4', h1);
    const { legs, outside } = await legsFor(end, h1, p1, async (e) => (asked.push(e), far));
    expect(asked).toEqual([{ kind: 'peer', peer: p1.peers[0] }]);
    expect(outside).toBe(false);
    expect(legs).toEqual([overlayLeg(h1, p1, false), far]);
  });

  it('a watch asks for the peer it follows; with no other host given there is none, and the path is this host\'s leg', async () => {
    const asked: FarEnd[] = [];
    const { legs } = await legsFor({ kind: 'watch' }, h1, p1, async (e) => (asked.push(e), undefined));
    expect(asked).toEqual([{ kind: 'watch' }]);
    expect(legs.map((l) => l.node.name)).toEqual(['h1']);
  });

  it('a destination on this host: no far leg asked for; outside the overlay: the way out alone', async () => {
    const never = async (): Promise<Leg<{ name: string }>> => {
      throw new Error('asked');
    };
    expect(await legsFor({ kind: 'here' }, h1, p1, never)).toEqual({ legs: [overlayLeg(h1, p1, false)], outside: false });
    expect(await legsFor({ kind: 'outside' }, h1, p1, never)).toEqual({ legs: [outsideLeg(h1, p1)], outside: true });
  });

  it('--host traces a container, not a namespace or a process', () => {
    expect(containerRef({ kind: 'docker', ref: 'c1', dockerTimeoutMs: 10_000 })).toBe('c1');
    expect(thrown(() => containerRef({ kind: 'netns', ref: 'lab' }))).toEqual({ code: 2, message: '--host traces a container: give its name or id, not --pid/--netns' });
    expect(thrown(() => containerRef({ kind: 'pid', pid: 42 }))).toEqual({ code: 2, message: '--host traces a container: give its name or id, not --pid/--netns' });
  });

  it("the peer's host is the engine whose swarm node address is the peer's underlay", () => {
    expect(isSwarmNode({ Swarm: { NodeAddr: '203.0.113.3' } }, '203.0.113.3')).toBe(true);
    expect(isSwarmNode({ Swarm: { NodeAddr: '203.0.113.1' } }, '203.0.113.3')).toBe(false);
    expect(isSwarmNode({ Swarm: {} }, '203.0.113.3')).toBe(false);
    expect(isSwarmNode({}, '203.0.113.3')).toBe(false);
    expect(isSwarmNode(undefined, '203.0.113.3')).toBe(false);
  });
});

describe('what goes wrong on the hosts', () => {
  it('a host that stops answering or an overlay that cannot be read is the environment (exit 4); anything else stays what it was', () => {
    const node = hostTrouble(new NodeError('host h2 (tcp://203.0.113.3:2375): reading its clock: ECONNRESET'));
    expect([node instanceof EnvironmentError, node.message]).toEqual([true, 'host h2 (tcp://203.0.113.3:2375): reading its clock: ECONNRESET']);
    const overlay = hostTrouble(new OverlayDiscoveryError('no vxlan link on br0 in overlay:ht-overlay'));
    expect([overlay instanceof EnvironmentError, overlay.message]).toEqual([true, 'no vxlan link on br0 in overlay:ht-overlay']);
    const usage = new InputError('container c1 is on several hosts (h1, h2): name it by id');
    expect(hostTrouble(usage)).toBe(usage);
  });

  it("the traffic's end in the container, and a traffic that could not be run", () => {
    const cmd = ['ping', '-c', '3', '-i', '0.3', '198.18.100.4'];
    expect(execExitLine(cmd, 'cf536aedfdf65e939afc3e5e9bbae96b', h1, 0)).toBe('ping -c 3 -i 0.3 198.18.100.4 in cf536aedfdf6 on host h1: exit 0');
    expect(execExitLine(['nc', '-w', '2', '198.18.100.4', '8080'], 'cf536aedfdf6', h1, null)).toBe('nc -w 2 198.18.100.4 8080 in cf536aedfdf6 on host h1: exit null');
    expect(execFailedLine(cmd, h2, new Error('(HTTP code 409) container is not running'))).toBe('warning: could not run ping in the container on host h2: (HTTP code 409) container is not running');
  });
});
