import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { hopFilter } from '../../src/capture/live/bpf.js';
import { filterNatRules } from '../../src/discover/nat.js';
import { missingCapabilities } from '../../src/capture/live/privilege.js';
import type { Hop } from '../../src/model.js';

const hop = (role: Hop['role']): Hop => ({ name: role, role, addrs: [] });
const context = { addrs: ['198.18.0.2'], uplinkAddrs: ['203.0.113.1'], publishedPorts: [{ proto: 'tcp', port: 8080 }] };

describe('kernel capture filters', () => {
  it('keep a ping by the container address inside the NAT, and by destination, SNAT address or container address at the uplink', () => {
    const ping = { proto: 'icmp' as const, destination: '203.0.113.2' };
    expect(hopFilter(hop('container'), ping, context)).toBe('host 198.18.0.2 and (icmp or (icmp6 and icmp6[0] < 130))');
    expect(hopFilter(hop('bridge'), ping, context)).toBe('host 198.18.0.2 and (icmp or (icmp6 and icmp6[0] < 130))');
    expect(hopFilter(hop('uplink'), ping, context)).toBe('(icmp or (icmp6 and icmp6[0] < 130)) and (host 203.0.113.2 or host 198.18.0.2 or dst host 203.0.113.1)');
  });

  it('keep a TCP flow by port, and the ICMP errors about it', () => {
    const tcp = { proto: 'tcp' as const, destination: '203.0.113.2', port: 80 };
    expect(hopFilter(hop('veth'), tcp, context)).toBe('host 198.18.0.2 and ((tcp and host 203.0.113.2 and port 80) or (icmp or (icmp6 and icmp6[0] < 130)))');
    expect(hopFilter(hop('uplink'), tcp, context)).toBe(
      '(tcp and host 203.0.113.2 and port 80) or ((icmp or (icmp6 and icmp6[0] < 130)) and (host 203.0.113.2 or dst host 203.0.113.1)) or (host 198.18.0.2 and not (icmp6 and icmp6[0] >= 130))',
    );
    const twoAddrs = { ...context, addrs: ['198.18.0.2', '198.18.1.2'] };
    expect(hopFilter(hop('veth'), tcp, twoAddrs)).toBe('(host 198.18.0.2 or host 198.18.1.2) and ((tcp and host 203.0.113.2 and port 80) or (icmp or (icmp6 and icmp6[0] < 130)))');
  });

  it("watch: the user's filter everywhere, the container's address inside the NAT, published ports at the uplink", () => {
    expect(hopFilter(hop('container'), { proto: 'any', userFilter: 'udp port 53' }, context)).toBe('host 198.18.0.2 and (udp port 53)');
    expect(hopFilter(hop('uplink'), { proto: 'any', userFilter: 'udp port 53' }, context)).toBe('udp port 53');
    expect(hopFilter(hop('uplink'), { proto: 'any' }, context)).toBe('(host 198.18.0.2 or host 203.0.113.1 or (tcp port 8080)) and not (icmp6 and icmp6[0] >= 130)');
  });

  it("the host's lo captured for docker-proxy's relays keeps the published ports' TCP; a host-network container's own lo is its path, filtered like one", () => {
    const lo: Hop = { name: 'lo', role: 'host', iface: 'lo', addrs: [] };
    expect(hopFilter(lo, { proto: 'any' }, { ...context, relayOnly: ['lo'] })).toBe('tcp port 8080');
    const hostNet = { addrs: ['203.0.113.1'], uplinkAddrs: [], publishedPorts: [] };
    expect(hopFilter(lo, { proto: 'icmp', destination: '203.0.113.1' }, hostNet)).toBe('host 203.0.113.1 and (icmp or (icmp6 and icmp6[0] < 130))');
  });
});

describe('kernel capture filters for IPv6 and dual stack', () => {
  const dual = { addrs: ['198.18.6.2', '2001:db8:1::2'], uplinkAddrs: ['203.0.113.1', '2001:db8::1'], publishedPorts: [] };

  it('keep ICMPv6 echo and errors (not only ICMPv4) for a ping to an IPv6 destination', () => {
    const ping6 = { proto: 'icmp' as const, destination: '2001:db8::2' };
    expect(hopFilter(hop('container'), ping6, dual)).toBe('(host 198.18.6.2 or host 2001:db8:1::2) and (icmp or (icmp6 and icmp6[0] < 130))');
    expect(hopFilter(hop('uplink'), ping6, dual)).toBe(
      '(icmp or (icmp6 and icmp6[0] < 130)) and (host 2001:db8::2 or (host 198.18.6.2 or host 2001:db8:1::2) or (dst host 203.0.113.1 or dst host 2001:db8::1))',
    );
  });

  it('keep the ICMPv6 errors about a UDP flow on every hop', () => {
    const udp6 = { proto: 'udp' as const, destination: '2001:db8::2', port: 53 };
    expect(hopFilter(hop('veth'), udp6, dual)).toBe('(host 198.18.6.2 or host 2001:db8:1::2) and ((udp and host 2001:db8::2 and port 53) or (icmp or (icmp6 and icmp6[0] < 130)))');
  });

  it('watch leaves neighbour discovery and MLD out unless the user asks for them', () => {
    expect(hopFilter(hop('container'), { proto: 'any' }, dual)).toBe('(host 198.18.6.2 or host 2001:db8:1::2) and not (icmp6 and icmp6[0] >= 130)');
    expect(hopFilter(hop('container'), { proto: 'any', userFilter: 'icmp6' }, dual)).toBe('(host 198.18.6.2 or host 2001:db8:1::2) and (icmp6)');
  });

  it.skipIf(!tcpdumpPresent())('every filter compiles with libpcap (tcpdump -d)', () => {
    const selectors = [
      { proto: 'icmp' as const, destination: '2001:db8::2' },
      { proto: 'tcp' as const, destination: '2001:db8::2', port: 80 },
      { proto: 'udp' as const, destination: '203.0.113.2', port: 53 },
      { proto: 'any' as const },
    ];
    for (const selector of selectors) {
      for (const role of ['container', 'veth', 'bridge', 'uplink'] as const) {
        for (const ctx of [dual, context, { addrs: [], uplinkAddrs: [], publishedPorts: [] }]) {
          const filter = hopFilter(hop(role), selector, ctx);
          expect(() => execFileSync('tcpdump', ['-d', '-y', 'EN10MB', filter], { stdio: 'pipe' }), filter).not.toThrow();
        }
      }
    }
  });
});

describe('kernel capture filters on an 802.1Q trunk', () => {
  // zeek's icmp_dot1q.pcap: pings between 192.168.123.2 and .1 in frames tagged VLAN 123.
  const tagged = path.join(__dirname, '..', '..', 'fixtures', 'corpus-decode', 'zeek', 'Traces', 'icmp_dot1q.pcap');
  const ctx = { addrs: ['192.168.123.2'], uplinkAddrs: [], publishedPorts: [] };
  const ping = { proto: 'icmp' as const, destination: '192.168.123.1' };
  const matches = (filter: string): number =>
    execFileSync('tcpdump', ['-nn', '-r', tagged, filter], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter(Boolean).length;

  it('read past the tag on a trunk hop, and only there', () => {
    const trunk = { name: 'eth0', role: 'host' as const, addrs: [] };
    const plain = hopFilter(trunk, ping, ctx);
    const onTrunk = hopFilter(trunk, ping, { ...ctx, vlanTagged: ['eth0'] });
    expect(onTrunk).toBe(`(${plain}) or (vlan and (${plain}))`);
    expect(hopFilter({ ...trunk, name: 'eth0.10' }, ping, { ...ctx, vlanTagged: ['eth0'] })).toBe(plain);
    if (!tcpdumpPresent()) return;
    expect(matches(plain)).toBe(0);
    expect(matches(onTrunk)).toBe(9);
  });
});

function tcpdumpPresent(): boolean {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('nat rules of the path', () => {
  it("keep the rules naming the container's subnet, address or bridge and drop the rest", () => {
    const save = [
      '*nat',
      ':POSTROUTING ACCEPT [0:0]',
      '-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER',
      '-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE',
      '-A POSTROUTING -s 198.18.1.0/24 ! -o br-1e7d563db8ae -j MASQUERADE',
      '-A DOCKER -i docker0 -j RETURN',
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80',
      '-A DOCKER ! -i br-1e7d563db8ae -p tcp -m tcp --dport 9090 -j DNAT --to-destination 198.18.1.5:80',
      'COMMIT',
    ].join('\n');
    expect(filterNatRules(save, { addrs: ['198.18.0.2'], subnets: ['198.18.0.0/24'], bridge: 'docker0' })).toEqual([
      '-A POSTROUTING -s 198.18.0.0/24 ! -o docker0 -j MASQUERADE',
      '-A DOCKER -i docker0 -j RETURN',
      '-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination 198.18.0.2:80',
    ]);
  });
});

describe('capabilities', () => {
  it('names exactly the ones a process lacks', () => {
    expect(missingCapabilities(0n)).toEqual(['CAP_NET_RAW', 'CAP_NET_ADMIN', 'CAP_SYS_ADMIN']);
    expect(missingCapabilities((1n << 13n) | (1n << 21n))).toEqual(['CAP_NET_ADMIN']);
    expect(missingCapabilities(0x1ffffffffffn)).toEqual([]);
  });
});
