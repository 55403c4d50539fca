// Overlay path discovery on both hosts of the live multi-host lab (root).
import Docker from 'dockerode';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectOverlayFacts, overlayPath } from '../../src/discover/overlay.js';
import { labAvailable, labUnavailableReason } from './lab.js';
import { createMultihost, type HostName } from './multihost.js';

describe.skipIf(!labAvailable())(`overlay discovery on two live hosts (${labUnavailableReason() ?? 'root'})`, () => {
  const lab = createMultihost(process.env.HT_LAB_ID || 'mh');
  // Discovery reads netlink through nsenter on this machine, so each engine is asked over its
  // own unix socket here; the TCP engine is exercised by the remote capture test.
  const engine = (h: HostName): Docker => new Docker({ socketPath: `${lab.env.stateDir}/${h}/docker.sock` });
  const overlayIp = lab.overlayAddress;

  beforeAll(() => void lab.up());
  afterAll(() => lab.down());

  for (const [host, container, peerHost, peer] of [['h1', 'c1', 'h2', 'c2'], ['h2', 'c2', 'h1', 'c1']] as const) {
    it(`finds ${container}'s path through the overlay namespace on ${host}, and ${peer} behind ${lab.env.hosts[peerHost].addr}`, async () => {
      const hostNs = { label: host, path: `/var/run/netns/${lab.env.hosts[host].ns}` };
      const { facts, namespaces } = await collectOverlayFacts(engine(host), container, lab.env.overlayNet, hostNs);
      expect(existsSync(namespaces.overlay.path!)).toBe(true);
      expect(namespaces.overlay.path!.startsWith(`${lab.env.hosts[host].execRoot}/netns/1-`)).toBe(true);
      const path = overlayPath(facts, namespaces);
      const vni = Number(lab.docker('h1', 'network', 'inspect', '-f', '{{index .Options "com.docker.network.driver.overlay.vxlanid_list"}}', lab.env.overlayNet).trim());
      expect(path.network.vni).toBe(vni);
      expect(path.network.udpPort).toBe(4789);
      expect(path.container.addr).toBe(overlayIp(host, container));
      expect(path.hops.map((h) => [h.role, h.iface])).toEqual([
        ['container', 'eth0'], ['veth', expect.stringMatching(/^veth\d+$/)], ['bridge', 'br0'], ['tunnel', 'vxlan0'], ['uplink', 'eth0'],
      ]);
      expect(path.hops[4]!.addrs).toEqual([lab.env.hosts[host].addr]);
      const peerEntry = path.peers.find((p) => p.addr === overlayIp(peerHost, peer));
      expect(peerEntry).toMatchObject({ underlay: lab.env.hosts[peerHost].addr, sources: ['fdb', 'inspect'], name: peer });
      expect(path.outside?.hops.map((h) => h.iface)).toEqual(['eth1', expect.stringMatching(/^veth/), 'docker_gwbridge', 'eth0']);
      expect(path.outside?.natRules).toContain(`-A POSTROUTING -s ${path.outside?.subnet} ! -o docker_gwbridge -j MASQUERADE`);
    });
  }
});
