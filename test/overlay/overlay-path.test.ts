// Overlay path discovery on output saved from the multi-host lab (test/lab/multihost.sh):
// test/overlay/fixtures/h1 is c1's host (swarm manager), h2 is c2's host (worker), network
// ht-overlay 198.18.100.0/24, VNI 4097. Each file is what the tool printed, unedited.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isEncrypted, OverlayDiscoveryError, overlayNetnsPath, overlayPath, overlayPeers, routeFor, type OverlayFacts } from '../../src/discover/overlay.js';

function facts(host: 'h1' | 'h2' | 'h1-encrypted'): OverlayFacts {
  const dir = join(import.meta.dirname, 'fixtures', host);
  const json = (file: string): never => JSON.parse(readFileSync(join(dir, file), 'utf8')) as never;
  return {
    container: json('container-inspect.json'), network: json('network-inspect-verbose.json'),
    containerLinks: json('container-ip-addr.json'), containerRoutes: json('container-ip-route.json'),
    overlayLinks: json('overlay-ip-addr.json'), fdb: json('overlay-fdb-vxlan0.json'), neigh: json('overlay-neigh-vxlan0.json'),
    hostLinks: json('host-ip-addr.json'), hostRoutes: json('host-ip-route.json'),
    hostNat: readFileSync(join(dir, 'host-iptables-nat.txt'), 'utf8'),
  };
}

const ns = (host: string) => ({
  container: { label: 'container:c', path: '/proc/1/ns/net' },
  overlay: { label: 'overlay:ht-overlay', path: '/run/x/exec/netns/1-egd38epnx9' },
  host: { label: host, path: `/var/run/netns/${host}` },
});
const hop = (name: string, role: string, netns: string, iface: string, addrs: string[], mtu: number) => ({ name, role, netns, iface, addrs, mtu });

describe('overlay path discovery', () => {
  it('finds c1 eth0 -> veth1 -> br0 -> vxlan0 (VNI 4097, UDP 4789) -> eth0 towards h2 on the manager', () => {
    const path = overlayPath(facts('h1'), ns('h1'));
    expect(path.network).toEqual({ id: 'egd38epnx9ie04xxh14inty32', name: 'ht-overlay', subnet: '198.18.100.0/24', vni: 4097, udpPort: 4789, encrypted: false });
    expect(path.container).toEqual({ id: expect.stringMatching(/^cf536aedfdf6/), name: 'c1', addr: '198.18.100.2' });
    expect(path.hops).toEqual([
      hop('c1 eth0', 'container', 'container:c', 'eth0', ['198.18.100.2'], 1450),
      hop('overlay:ht-overlay veth1', 'veth', 'overlay:ht-overlay', 'veth1', [], 1450),
      hop('overlay:ht-overlay br0', 'bridge', 'overlay:ht-overlay', 'br0', ['198.18.100.1'], 1450),
      hop('overlay:ht-overlay vxlan0', 'tunnel', 'overlay:ht-overlay', 'vxlan0', [], 1450),
      hop('eth0', 'uplink', 'h1', 'eth0', ['203.0.113.1'], 1500),
    ]);
    expect(path.where.map((w) => w.path)).toEqual(['/proc/1/ns/net', ...Array(3).fill('/run/x/exec/netns/1-egd38epnx9'), '/var/run/netns/h1']);
  });

  it('maps the peer container to its host from the kernel fdb and from network inspect, agreeing', () => {
    const path = overlayPath(facts('h1'), ns('h1'));
    expect(path.peers).toEqual([
      { addr: '198.18.100.4', mac: '02:42:c6:12:64:04', underlay: '203.0.113.3', sources: ['fdb', 'inspect'], name: 'c2' },
      // h2's load-balancer endpoint: in the kernel's tables, not a task Docker lists.
      { addr: '198.18.100.5', mac: '02:42:c6:12:64:05', underlay: '203.0.113.3', sources: ['fdb'] },
    ]);
    expect(path.local).toEqual([{ addr: '198.18.100.3', name: 'ht-overlay-endpoint' }]);
    expect(path.notes).toEqual(['198.18.100.5 -> 203.0.113.3 known only from the kernel fdb']);
  });

  it('on the worker, finds c2 and its peer c1 on 203.0.113.1', () => {
    const path = overlayPath(facts('h2'), ns('h2'));
    expect(path.container.addr).toBe('198.18.100.4');
    expect(path.hops.map((h) => h.name)).toEqual(['c2 eth0', 'overlay:ht-overlay veth1', 'overlay:ht-overlay br0', 'overlay:ht-overlay vxlan0', 'eth0']);
    expect(path.hops[4]!.addrs).toEqual(['203.0.113.3']);
    expect(path.peers[0]).toEqual({ addr: '198.18.100.2', mac: '02:42:c6:12:64:02', underlay: '203.0.113.1', sources: ['fdb', 'inspect'], name: 'c1' });
  });

  it('finds the way out: eth1 -> host veth -> docker_gwbridge -> eth0 with its MASQUERADE rule', () => {
    const out = overlayPath(facts('h1'), ns('h1')).outside!;
    expect(out.hops).toEqual([
      hop('c1 eth1', 'container', 'container:c', 'eth1', ['198.18.64.3'], 1500),
      hop('veth67e1095', 'veth', 'h1', 'veth67e1095', [], 1500),
      hop('docker_gwbridge', 'bridge', 'h1', 'docker_gwbridge', ['198.18.64.1'], 1500),
      hop('eth0', 'uplink', 'h1', 'eth0', ['203.0.113.1'], 1500),
    ]);
    expect(out.subnet).toBe('198.18.64.0/24');
    expect(out.natRules).toEqual(['-A POSTROUTING -s 198.18.64.0/24 ! -o docker_gwbridge -j MASQUERADE', '-A DOCKER -i docker_gwbridge -j RETURN']);
    // The docker0 rule is another subnet's: it must not be listed.
    expect(out.natRules!.join('\n')).not.toContain('198.18.0.0/24');
  });

  it('says nothing about NAT when the nat table could not be read (not: no rules)', () => {
    const f = facts('h1');
    f.hostNat = undefined;
    expect(overlayPath(f, ns('h1')).outside!.natRules).toBeUndefined();
  });

  it('alone on the overlay: no peer, no uplink hop, and says why', () => {
    const f = facts('h1');
    f.fdb = f.fdb.filter((e) => e.dst === undefined);
    f.network.Services = {};
    const path = overlayPath(f, ns('h1'));
    expect(path.peers).toEqual([]);
    expect(path.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'tunnel']);
    expect(path.notes).toEqual(['no endpoint of ht-overlay on another host: nothing leaves through vxlan0']);
  });

  it('keeps the kernel fdb when Docker names another host for the same address, and notes the disagreement', () => {
    const f = facts('h1');
    f.network.Services![''] = { Tasks: [{ Name: 'c2', EndpointIP: '198.18.100.4', Info: { 'Host IP': '203.0.113.9' } }] };
    expect(overlayPeers(f)[0]).toEqual({ addr: '198.18.100.4', mac: '02:42:c6:12:64:04', underlay: '203.0.113.3', sources: ['fdb'], inspectUnderlay: '203.0.113.9' });
    expect(overlayPath(f, ns('h1')).notes).toEqual([
      "198.18.100.4: the kernel fdb sends it to 203.0.113.3, Docker's network inspect says 203.0.113.9",
      '198.18.100.5 -> 203.0.113.3 known only from the kernel fdb',
    ]);
  });

  it('names what is missing when the overlay namespace has no vxlan link, or ip ran without -d', () => {
    const f = facts('h1');
    f.overlayLinks = (f.overlayLinks as { ifname: string }[]).filter((l) => l.ifname !== 'vxlan0');
    expect(() => overlayPath(f, ns('h1'))).toThrow(new OverlayDiscoveryError('no vxlan link on br0 in overlay:ht-overlay'));
    const g = facts('h1');
    g.overlayLinks = (g.overlayLinks as { linkinfo?: { info_data?: unknown } }[]).map((l) => ({ ...l, linkinfo: { ...l.linkinfo, info_data: undefined } }));
    expect(() => overlayPath(g, ns('h1'))).toThrow('vxlan0: no VXLAN id in ip -d link (run ip with -d)');
  });

  it('places the overlay namespace beside the container sandbox, named 1-<network id[:10]>', () => {
    expect(overlayNetnsPath('/run/ht-mh-v7/h1/exec/netns/5e990624033e', 'egd38epnx9ie04xxh14inty32')).toBe('/run/ht-mh-v7/h1/exec/netns/1-egd38epnx9');
    expect(overlayNetnsPath('/var/run/docker/netns/abc', 'qwertyuiopasdf')).toBe('/var/run/docker/netns/1-qwertyuiop');
  });

  it('routes by longest prefix, the default last', () => {
    const routes = [{ dst: 'default', dev: 'eth0', gateway: '203.0.113.2' }, { dst: '198.18.0.0/15', dev: 'eth9' }, { dst: '198.18.64.0/24', dev: 'docker_gwbridge' }];
    expect(routeFor(routes, '198.18.64.7')?.dev).toBe('docker_gwbridge');
    expect(routeFor(routes, '198.19.1.1')?.dev).toBe('eth9');
    expect(routeFor(routes, '203.0.113.3')?.dev).toBe('eth0');
    expect(routeFor([], '203.0.113.3')).toBeUndefined();
  });

  it('knows an encrypted overlay from Docker\'s inspect (--opt encrypted on ht-enc, saved from the lab): same hops, VNI 4098, encrypted', () => {
    const path = overlayPath(facts('h1-encrypted'), ns('h1'));
    expect(path.network).toEqual({ id: expect.any(String), name: 'ht-enc', subnet: '198.18.101.0/24', vni: 4098, udpPort: 4789, encrypted: true });
    expect(path.hops.map((h) => h.role)).toEqual(['container', 'veth', 'bridge', 'tunnel', 'uplink']);
    expect(isEncrypted({ Options: { 'com.docker.network.driver.overlay.vxlanid_list': '4097' } })).toBe(false);
    expect(isEncrypted({ Options: undefined })).toBe(false);
  });
});
