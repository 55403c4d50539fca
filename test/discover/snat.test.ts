// `path` warns about a missing SNAT exactly when traffic from the subnet leaves by an
// interface that no MASQUERADE/SNAT rule covers. Rules as Docker 20.10 writes them.
import { describe, expect, it } from 'vitest';
import { snatCovers } from '../../src/discover/snat.js';
import { describePath } from '../../src/discover/describe.js';
import type { DiscoveredPath } from '../../src/discover/path.js';

const DOCKER = `*nat
:POSTROUTING ACCEPT [0:0]
:DOCKER - [0:0]
-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER
-A POSTROUTING -s 198.18.1.0/24 ! -o br-5ab2b316febf -j MASQUERADE
-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE
-A DOCKER -i br-5ab2b316febf -j RETURN
-A DOCKER -i docker0 -j RETURN
COMMIT`;

describe('whether a subnet leaving by an interface is source-NATed', () => {
  it("Docker's MASQUERADE covers its subnet leaving by the uplink", () => {
    expect(snatCovers(DOCKER, '198.18.1.0/24', 'eth0')).toBe(true);
    expect(snatCovers(DOCKER, '198.18.0.0/24', 'eth0')).toBe(true);
  });

  it("with the user bridge's MASQUERADE deleted, that subnet is not covered (only -A DOCKER -i br-... -j RETURN is left)", () => {
    const deleted = DOCKER.replace('-A POSTROUTING -s 198.18.1.0/24 ! -o br-5ab2b316febf -j MASQUERADE\n', '');
    expect(snatCovers(deleted, '198.18.1.0/24', 'eth0')).toBe(false);
    expect(snatCovers(deleted, '198.18.0.0/24', 'eth0')).toBe(true);
  });

  it('a rule excluding the bridge does not cover traffic back out of that bridge', () => {
    expect(snatCovers(DOCKER, '198.18.0.0/24', 'docker0')).toBe(false);
  });

  it('an uplink MASQUERADE without a source covers every subnet; a + pattern matches by prefix', () => {
    expect(snatCovers('-A POSTROUTING -o eth0 -j MASQUERADE', '198.18.0.0/24', 'eth0')).toBe(true);
    expect(snatCovers('-A POSTROUTING -o eth+ -j SNAT --to-source 203.0.113.1', '198.18.0.0/24', 'eth1')).toBe(true);
    expect(snatCovers('-A POSTROUTING -o eth0 -j MASQUERADE', '198.18.0.0/24', 'wlan0')).toBe(false);
  });

  it('a RETURN for the whole subnet ahead of the MASQUERADE exempts it; one for a single address does not take the subnet', () => {
    expect(snatCovers(`-A POSTROUTING -s 198.18.0.0/24 -j RETURN\n${DOCKER}`, '198.18.0.0/24', 'eth0')).toBe(false);
    expect(snatCovers(`-A POSTROUTING -s 198.18.0.2/32 -j RETURN\n${DOCKER}`, '198.18.0.0/24', 'eth0')).toBe(true);
  });

  it('a MASQUERADE for a wider range covers the subnet, one for a narrower range does not', () => {
    expect(snatCovers('-A POSTROUTING -s 198.18.0.0/15 -j MASQUERADE', '198.18.1.0/24', 'eth0')).toBe(true);
    expect(snatCovers('-A POSTROUTING -s 198.18.0.0/25 -j MASQUERADE', '198.18.0.0/24', 'eth0')).toBe(false);
  });
});

function pathWith(nat: DiscoveredPath['nat']): DiscoveredPath {
  return {
    target: { description: 'container c1', container: { ports: [] } },
    mode: 'bridge',
    destination: '203.0.113.2',
    hops: [],
    nat,
    subnets: ['198.18.1.0/24'],
    addrs: ['198.18.1.2'],
    notes: [],
    facts: [],
  } as unknown as DiscoveredPath;
}

describe("path's NAT lines", () => {
  it('warns when the subnet leaves by the uplink and no rule covers it', () => {
    const text = describePath(pathWith({ rules: ['-A DOCKER -i br-5ab2b316febf -j RETURN'], snat: { out: 'eth0', uncovered: ['198.18.1.0/24'] } }));
    expect(text.split('\n').slice(1, -1)).toEqual([
      'nat rules matching 198.18.1.0/24 (iptables-save -t nat):',
      '  -A DOCKER -i br-5ab2b316febf -j RETURN',
      'warning: no MASQUERADE/SNAT rule covers 198.18.1.0/24 leaving by eth0: replies cannot find their way back unless the network routes 198.18.1.0/24',
    ]);
  });

  it('says nothing of SNAT for traffic that does not leave the host (no uplink), even with no rule', () => {
    expect(describePath(pathWith({ rules: [] })).split('\n').slice(1, -1)).toEqual(['nat rules matching 198.18.1.0/24: none']);
  });

  it('lists the rules without a warning when a MASQUERADE covers the subnet', () => {
    const rule = '-A POSTROUTING -s 198.18.1.0/24 ! -o br-5ab2b316febf -j MASQUERADE';
    expect(describePath(pathWith({ rules: [rule], snat: { out: 'eth0', uncovered: [] } })).split('\n').slice(1, -1)).toEqual([
      'nat rules matching 198.18.1.0/24 (iptables-save -t nat):',
      `  ${rule}`,
    ]);
  });
});
