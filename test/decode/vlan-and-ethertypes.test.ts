import { describe, expect, it } from 'vitest';
import { concat, ethernet, icmpEcho, ipv4, ipv6, MAC_A, MAC_B, be16 } from './builders.js';
import { packetOf, decodeShown } from './decode-helpers.js';

const ping = ipv4({ proto: 1, id: 7 }, icmpEcho(8, 0x1c, 1));

describe('VLAN tags become encap entries, outermost first', () => {
  it('one 802.1Q tag (the priority bits are not part of the id)', () => {
    const { ip, encap } = packetOf(1, ethernet(0x0800, ping, [{ id: 123, pcp: 7 }]));
    expect(encap).toEqual(['vlan 123']);
    expect(ip.l4).toMatchObject({ kind: 'icmp', type: 8, id: 0x1c, seq: 1 });
  });

  it('802.1ad QinQ: service tag 0x88a8 outside a customer tag', () => {
    const frame = ethernet(0x86dd, ipv6({ next: 59 }, new Uint8Array()), [{ tpid: 0x88a8, id: 200 }, { id: 2001 }]);
    expect(packetOf(1, frame).encap).toEqual(['vlan 200', 'vlan 2001']);
  });

  it('triple tags with the old 0x9100 outer tag', () => {
    const frame = ethernet(0x0800, ping, [{ tpid: 0x9100, id: 30 }, { id: 20 }, { id: 10 }]);
    expect(packetOf(1, frame).encap).toEqual(['vlan 30', 'vlan 20', 'vlan 10']);
  });

  it('an untagged frame has no encap', () => {
    expect(packetOf(1, ethernet(0x0800, ping)).encap).toEqual([]);
  });

  it('up to 8 stacked tags are followed; more is not a real frame', () => {
    const tags = Array.from({ length: 9 }, (_, i) => ({ tpid: 0x9100, id: i + 1 }));
    expect(packetOf(1, ethernet(0x0800, ping, tags.slice(0, 8))).encap).toEqual(tags.slice(0, 8).map((t) => `vlan ${t.id}`));
    expect(decodeShown(1, ethernet(0x0800, ping, tags), 200)).toEqual({ skip: 'too many vlan tags' });
  });

  it('an 802.3 length behind a tag is LLC', () => {
    expect(decodeShown(1, ethernet(0x0026, new Uint8Array(38), [{ id: 3 }]), 60)).toEqual({ skip: 'llc' });
  });

  it('a tag cut short is a truncated frame', () => {
    const frame = ethernet(0x8100, Uint8Array.of(0x00));
    expect(decodeShown(1, frame, 60)).toEqual({ skip: 'truncated vlan tag' });
  });
});

describe('non-IP ethertypes are skipped by name', () => {
  const cases: [number, string][] = [
    [0x0806, 'arp'], [0x8035, 'rarp'], [0x88cc, 'lldp'], [0x8847, 'mpls'], [0x888e, 'eapol'],
    [0x8864, 'pppoe'], [0x88f7, 'ptp'], [0x9000, 'ethernet loopback'], [0x22f0, 'ethertype 0x22f0'],
  ];
  for (const [type, reason] of cases) {
    it(`0x${type.toString(16)} -> ${reason}`, () => {
      expect(decodeShown(1, ethernet(type, new Uint8Array(46)), 60)).toEqual({ skip: reason });
    });
  }

  it('ARP inside a VLAN is still ARP', () => {
    expect(decodeShown(1, ethernet(0x0806, new Uint8Array(28), [{ id: 5 }]), 64)).toEqual({ skip: 'arp' });
  });

  it('802.3 frames: plain LLC is skipped, LLC/SNAP carrying IPv4 is decoded', () => {
    const stp = concat(MAC_B, MAC_A, be16(38), [0x42, 0x42, 0x03], new Uint8Array(35));
    expect(decodeShown(1, stp, stp.length)).toEqual({ skip: 'llc' });
    const snap = concat(MAC_B, MAC_A, be16(8 + ping.length), [0xaa, 0xaa, 0x03, 0, 0, 0], be16(0x0800), ping);
    expect(packetOf(1, snap).ip.ipId).toBe(7);
  });
});
