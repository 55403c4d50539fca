// macvlan/ipvlan/802.1Q discovery on netlink JSON as `ip -j -d addr show` prints it, built from
// the documented attributes (IFLA_LINK as link_index/link_netnsid or link, IFLA_INFO_KIND,
// IFLA_MACVLAN_MODE / IFLA_IPVLAN_MODE as "mode", IFLA_VLAN_ID as "id"): this machine's
// kernel has no ipvlan and no 802.1Q, so these cannot be captured here.
import { describe, expect, it } from 'vitest';
import { parseLinks } from '../../src/discover/links.js';
import { childInNetwork, isChildLink, parentChain } from '../../src/discover/macvlan.js';
import { describeFact } from '../../src/discover/describe.js';
import { FatalError } from '../../src/errors.js';

const PARENT_MAC = '02:42:cb:00:71:01';
const hostRows = [
  { ifindex: 1, ifname: 'lo', flags: ['LOOPBACK', 'UP'], mtu: 65536, address: '00:00:00:00:00:00', addr_info: [{ family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
  {
    ifindex: 2, ifname: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, address: PARENT_MAC,
    linkinfo: { info_kind: 'veth' }, link_index: 2, link_netnsid: 1,
    addr_info: [{ family: 'inet', local: '203.0.113.1', prefixlen: 24, scope: 'global' }],
  },
  {
    ifindex: 7, ifname: 'eth0.10', link: 'eth0', flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500, address: PARENT_MAC,
    linkinfo: { info_kind: 'vlan', info_data: { protocol: '802.1Q', id: 10, flags: ['REORDER_HDR'] } }, addr_info: [],
  },
];
const child = (kind: 'macvlan' | 'ipvlan', mode: string, parentIndex: number, mac: string) => ({
  ifindex: 12, ifname: 'eth0', link_index: parentIndex, link_netnsid: 0, flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'], mtu: 1500,
  address: mac, linkinfo: { info_kind: kind, info_data: { mode, ...(kind === 'ipvlan' ? { flags: 'bridge' } : { bcqueuelen: 1000 }) } },
  addr_info: [{ family: 'inet', local: '198.18.12.2', prefixlen: 24, scope: 'global' }, { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link' }],
});

describe('macvlan and ipvlan children on netlink JSON', () => {
  const host = parseLinks(hostRows);

  it('reads an ipvlan L3 child: its kind, mode, the parent ifindex in the other namespace, and the parent\'s MAC', () => {
    const [own] = parseLinks([child('ipvlan', 'l3', 2, PARENT_MAC)]);
    expect(own).toMatchObject({ name: 'eth0', kind: 'ipvlan', mode: 'l3', peerIndex: 2, linkNetnsid: 0, mac: PARENT_MAC, cidrs: ['198.18.12.2/24'] });
    expect(isChildLink(own!)).toBe(true);
    expect(parentChain(own!, host, 'host')).toEqual({ parent: host[1] });
  });

  it('reads an ipvlan L2 child and a macvlan bridge child the same way, to the same parent', () => {
    const [l2] = parseLinks([child('ipvlan', 'l2', 2, PARENT_MAC)]);
    const [mv] = parseLinks([child('macvlan', 'bridge', 2, '02:42:c6:12:0c:02')]);
    expect([l2!.mode, mv!.mode]).toEqual(['l2', 'bridge']);
    expect(parentChain(l2!, host, 'host').parent.name).toBe('eth0');
    expect(parentChain(mv!, host, 'host').parent.name).toBe('eth0');
  });

  it('follows a child of a VLAN sub-interface to the trunk under it, with the tag', () => {
    const [own] = parseLinks([child('macvlan', 'bridge', 7, '02:42:c6:12:0a:02')]);
    const chain = parentChain(own!, host, 'host');
    expect(chain.parent.name).toBe('eth0.10');
    expect(chain.trunk?.name).toBe('eth0');
    expect(chain.vlanId).toBe(10);
  });

  it('a veth is not a child; a parent not in the host namespace is one clear error, exit 4', () => {
    expect(isChildLink(host[1]!)).toBe(false);
    const [own] = parseLinks([child('ipvlan', 'l2', 99, PARENT_MAC)]);
    let error: unknown;
    try {
      parentChain(own!, host, 'host');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(FatalError);
    expect((error as FatalError).message).toBe('the parent of ipvlan interface eth0 (ifindex 99) is not in network namespace host');
    expect((error as FatalError).exitCode).toBe(4);
  });
});

describe("Docker's macvlan/ipvlan networks (GET /networks/{id})", () => {
  const network = {
    Name: 'ipv', Driver: 'ipvlan', Options: { parent: 'eth0', ipvlan_mode: 'l2' },
    IPAM: { Config: [{ Subnet: '203.0.113.0/24', IPRange: '203.0.113.144/28', Gateway: '203.0.113.2' }, { Subnet: '2001:db8:1::/64' }] },
    Containers: { abc: { Name: 'c1', IPv4Address: '203.0.113.144/24', IPv6Address: '2001:db8:1::2/64' } },
  };

  it('finds the child holding an address, with its parent and the --ip-range of that family', () => {
    expect(childInNetwork(network, '203.0.113.144')).toEqual({ name: 'c1', addr: '203.0.113.144', driver: 'ipvlan', parent: 'eth0', range: '203.0.113.144/28' });
    expect(childInNetwork(network, '2001:db8:1::2')).toEqual({ name: 'c1', addr: '2001:db8:1::2', driver: 'ipvlan', parent: 'eth0', range: undefined });
  });

  it('no child for another address, nor on a bridge network', () => {
    expect(childInNetwork(network, '203.0.113.145')).toBeUndefined();
    expect(childInNetwork({ ...network, Driver: 'bridge' }, '203.0.113.144')).toBeUndefined();
  });
});

describe('path facts in words', () => {
  it('names the kernel rule and the usual fix for an ipvlan child the host cannot reach', () => {
    expect(
      describeFact({ kind: 'parent-child-isolation', driver: 'ipvlan', parent: 'eth0', child: { name: 'c1', addr: '203.0.113.144' }, peer: 'host', from: 'peer', childRange: '203.0.113.144/28' }),
    ).toBe(
      'the host and c1 (203.0.113.144), an ipvlan child of eth0, cannot reach each other: the kernel does not pass traffic between an ipvlan parent and its own children. ' +
        'The usual fix: give the host an ipvlan interface of its own on eth0 and route the children through it (ip link add ipvlan-host link eth0 type ipvlan mode l2; ' +
        'ip addr add <a free address>/32 dev ipvlan-host; ip link set ipvlan-host up; ip route add 203.0.113.144/28 dev ipvlan-host)',
    );
  });

  it('says a VLAN tag on the trunk is the VLAN, not a rewrite', () => {
    expect(describeFact({ kind: 'vlan-tag-expected', vlanId: 10, trunk: 'eth0', parent: 'eth0.10' })).toBe(
      'frames on eth0 carry 802.1Q tag 10 and those on eth0.10 do not: that is the VLAN, not a rewrite',
    );
  });
});
