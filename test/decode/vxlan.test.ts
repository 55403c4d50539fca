import { describe, expect, it } from 'vitest';
import { bytes, ethernet, icmpEcho, ipv4, ipv6, tcp, udp, vxlan, ACK } from './builders.js';
import { ipOf, packetOf, decodeShown } from './decode-helpers.js';
import { decodeFrame } from '../../src/decode/index.js';
import { parseAddress } from '../../src/addresses.js';

const innerPing = ethernet(0x0800, ipv4({ src: '10.244.1.5', dst: '10.244.2.7', proto: 1, ttl: 63, id: 31 }, icmpEcho(8, 1292, 1, bytes(56))));

function overVxlan(inner: Uint8Array, vni: number, dport = 4789, vlans: { id: number }[] = []): Uint8Array {
  return ethernet(0x0800, ipv4({ src: '192.0.2.1', dst: '192.0.2.2', proto: 17 }, udp({ sport: 45149, dport }, vxlan(vni, inner))), vlans);
}

describe('VXLAN is decapsulated: the inner packet becomes the packet', () => {
  it('on the IANA port 4789', () => {
    const { ip, encap } = packetOf(1, overVxlan(innerPing, 100));
    expect(encap).toEqual(['vxlan 100']);
    expect(ip).toMatchObject({ src: '10.244.1.5', dst: '10.244.2.7', ttl: 63, ipId: 31, l4: { kind: 'icmp', type: 8, id: 1292, seq: 1 } });
  });

  it('keeps the tunnel as a value: the VNI, the underlay addresses and UDP ports, and a VLAN id around it', () => {
    const frame = overVxlan(innerPing, 4097, 4789, [{ id: 30 }]);
    expect(decodeFrame(1, frame, frame.length)).toMatchObject({
      kind: 'packet',
      encap: [
        { kind: 'vlan', id: 30 },
        { kind: 'vxlan', vni: 4097, src: parseAddress('192.0.2.1'), dst: parseAddress('192.0.2.2'), sport: 45149, dport: 4789 },
      ],
      ip: { src: parseAddress('10.244.1.5'), dst: parseAddress('10.244.2.7') },
    });
  });

  it('a frame in no tunnel carries no encap, and a frame that holds no packet says why', () => {
    expect(decodeFrame(1, innerPing, innerPing.length)).toMatchObject({ kind: 'packet', encap: [] });
    const arp = ethernet(0x0806, new Uint8Array(28));
    expect(decodeFrame(1, arp, arp.length)).toEqual({ kind: 'skipped', skip: 'arp' });
  });

  it('on the Linux/flannel port 8472', () => {
    expect(packetOf(1, overVxlan(innerPing, 1, 8472)).encap).toEqual(['vxlan 1']);
  });

  it('outer VLANs come first, then the tunnel, then VLANs inside it', () => {
    const tagged = ethernet(0x86dd, ipv6({ next: 6 }, tcp({ sport: 1, dport: 2, flags: ACK })), [{ id: 7 }]);
    expect(packetOf(1, overVxlan(tagged, 0xabcdef, 4789, [{ id: 100 }])).encap).toEqual(['vlan 100', 'vxlan 11259375', 'vlan 7']);
  });

  it('nested VXLAN opens every layer', () => {
    const triple = overVxlan(overVxlan(overVxlan(innerPing, 3), 2), 1);
    expect(packetOf(1, triple).encap).toEqual(['vxlan 1', 'vxlan 2', 'vxlan 3']);
  });

  it('stops after 4 tunnels and keeps that carrier as the packet', () => {
    let frame = innerPing;
    for (let vni = 6; vni >= 1; vni--) frame = overVxlan(frame, vni);
    const { ip, encap } = packetOf(1, frame);
    expect(encap).toEqual(['vxlan 1', 'vxlan 2', 'vxlan 3', 'vxlan 4']);
    expect(ip.l4).toMatchObject({ kind: 'udp', dport: 4789 });
  });

  it('ARP inside the tunnel is skipped like ARP outside it', () => {
    const arp = ethernet(0x0806, new Uint8Array(28));
    const frame = overVxlan(arp, 100);
    expect(decodeShown(1, frame, frame.length)).toEqual({ skip: 'arp' });
  });

  it('a VXLAN header cut short keeps the UDP carrier, marked', () => {
    const frame = overVxlan(innerPing, 100);
    expect(ipOf(1, frame.subarray(0, 14 + 20 + 8 + 4), frame.length)).toMatchObject({ dst: '192.0.2.2', truncated: 'vxlan header', l4: { kind: 'udp', dport: 4789 } });
  });

  it('without the I flag it is not VXLAN: the UDP packet stays', () => {
    const frame = ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 4789 }, vxlan(5, innerPing, 0x00))));
    expect(packetOf(1, frame)).toMatchObject({ encap: [], ip: { l4: { kind: 'udp', dport: 4789 } } });
  });

  it('VXLAN-GPE (P flag) follows its next protocol: bare IPv4, Ethernet, and not NSH', () => {
    const bareIp = ipv4({ src: '10.1.1.1', dst: '10.1.1.2', proto: 17 }, udp({ sport: 7, dport: 9 }));
    const gpe = (next: number, inner: Uint8Array) => {
      const v = vxlan(77, inner, 0x0c);
      v[3] = next;
      return ethernet(0x0800, ipv4({ proto: 17 }, udp({ sport: 1, dport: 4789 }, v)));
    };
    expect(packetOf(1, gpe(1, bareIp))).toMatchObject({ encap: ['vxlan 77'], ip: { src: '10.1.1.1', l4: { kind: 'udp', dport: 9 } } });
    expect(packetOf(1, gpe(3, innerPing))).toMatchObject({ encap: ['vxlan 77'], ip: { src: '10.244.1.5' } });
    expect(packetOf(1, gpe(4, bareIp))).toMatchObject({ encap: [], ip: { l4: { kind: 'udp', dport: 4789 } } });
  });

  it('a UDP packet to 4789 quoted in an ICMP error is not opened', () => {
    const carrier = ipv4({ proto: 17 }, udp({ sport: 1, dport: 4789 }, vxlan(5, innerPing)));
    const err = ethernet(0x0800, ipv4({ proto: 1 }, Uint8Array.from([3, 4, 0, 0, 0, 0, 5, 0xdc, ...carrier.subarray(0, 28)])));
    expect(ipOf(1, err).l4).toMatchObject({ quoted: { l4: { kind: 'udp', dport: 4789 } } });
  });
});
