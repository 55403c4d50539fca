// Zeek's truncation and tunnel traces: what each must decode to. The Zeek weird each one
// raises (Baseline/core.truncation/output, in this order) is named next to our outcome.
import { describe, expect, it } from 'vitest';
import { decodeShown } from './decode-helpers.js';
import { corpusFile, HAVE_CORPUS, readFrames } from './corpus.js';

function decodeTrace(trace: string) {
  return readFrames(corpusFile(`zeek/Traces/${trace}`)).map((f) => decodeShown(f.linkType, f.data, f.origLen));
}

describe.skipIf(!HAVE_CORPUS)('snaplen truncation at every layer (zeek core.truncation)', () => {
  it('truncated_IP: IPv4 and IPv6 fixed headers cut by the snaplen are skipped', () => {
    expect(decodeTrace('trunc/ip4-trunc.pcap')).toEqual([{ skip: 'truncated ipv4 header' }]);
    expect(decodeTrace('trunc/ip6-trunc.pcap')).toEqual([{ skip: 'truncated ipv6 header' }]);
  });

  it('truncated_IP_len: an IPv6 payload length beyond the frame, hop-by-hop header cut', () => {
    expect(decodeTrace('trunc/ip6-ext-trunc.pcap')).toMatchObject([{ ip: { src: '2001:4f8:4:7:2e0:81ff:fe52:ffff', dst: '2001:4f8:4:7:2e0:81ff:fe52:9a6b', proto: 0, truncated: 'ipv6 extension header' } }]);
  });

  it('internally_truncated_header (ICMP) x2: echo headers cut before id/seq', () => {
    expect(decodeTrace('trunc/icmp-header-trunc.pcap')).toMatchObject([
      { ip: { src: '10.0.0.1', dst: '192.0.43.10', truncated: 'icmp header', l4: { kind: 'icmp', type: 8, id: undefined } } },
      { ip: { src: '192.0.43.10', dst: '10.0.0.1', truncated: 'icmp header', l4: { kind: 'icmp', type: 0, id: undefined } } },
    ]);
  });

  it('no weird: echo payloads cut by the snaplen are not truncated headers', () => {
    const got = decodeTrace('trunc/icmp-payload-trunc.pcap');
    expect(got.map((d) => ('ip' in d ? [d.ip.truncated, d.ip.l4.kind === 'icmp' && d.ip.l4.seq] : d.skip))).toEqual([
      [undefined, 0], [undefined, 0], [undefined, 0], [undefined, 0],
    ]);
  });

  it('truncated_ethernet_frame: 8 bytes of a 14-byte header', () => {
    expect(decodeTrace('trunc/trunc-hdr.pcap')).toEqual([{ skip: 'truncated ethernet header' }]);
  });

  it('invalid_IP_header_size: header length larger than the packet', () => {
    expect(decodeTrace('trunc/ipv4-truncated-broken-header.pcap')).toEqual([{ skip: 'ipv4 total length 20 < header length 60' }]);
  });

  it('internally_truncated_header (IP): options cut by the snaplen', () => {
    expect(decodeTrace('trunc/ipv4-internally-truncated-header.pcap')).toMatchObject([{ ip: { src: '163.253.48.183', dst: '192.150.187.43', truncated: 'ipv4 options', l4: { kind: 'other', proto: 6 } } }]);
  });

  it('truncated_inner_IP: MPLS is not followed (no container network uses it)', () => {
    expect(decodeTrace('trunc/mpls-6in6-6in6-4in6-trunc.pcap')).toEqual([{ skip: 'mpls' }]);
  });

  it('internally_truncated_header (TCP): only Ethernet and IPv4 captured', () => {
    expect(decodeTrace('trunc/ip-discarder-truncated-tcp-oob.pcapng')).toMatchObject([{ ip: { src: '10.0.0.1', dst: '10.0.0.2', length: 40, truncated: 'tcp header', l4: { kind: 'other', proto: 6 } } }]);
  });
});

describe.skipIf(!HAVE_CORPUS)('tunnels and VLAN stacks in Zeek traces', () => {
  it('vxlan-triple-v2: three nested VXLAN layers around a DNS query', () => {
    expect(decodeTrace('tunnels/vxlan-triple-v2.pcap')).toMatchObject([{ encap: ['vxlan 1', 'vxlan 2', 'vxlan 3'], ip: { src: '4.4.4.4', dst: '4.4.4.9', l4: { kind: 'udp', sport: 53, dport: 53 } } }]);
  });

  it('vxlan-inner-tcp-bad-checksum: the inner SYN of vni 42 (core.tunnels.vxlan-inner-tcp-bad-checksum/out), checksum not judged', () => {
    expect(decodeTrace('tunnels/vxlan-inner-tcp-bad-checksum.pcap')).toEqual([{
      encap: ['vxlan 42'],
      ip: expect.objectContaining({ src: '10.0.0.1', dst: '10.0.0.2', length: 40, ipId: 1, ttl: 64, truncated: undefined, l4: { kind: 'tcp', sport: 12345, dport: 80, seq: 0, ack: 0, flags: 2, window: 8192, payloadLen: 0 } }),
    }]);
  });

  it('geneve-vxlan-dns-truncated: Geneve (6081) is not opened, the UDP carrier stays', () => {
    expect(decodeTrace('tunnels/geneve-vxlan-dns-truncated.pcap')).toMatchObject([
      { encap: [], ip: { l4: { kind: 'udp', dport: 6081 } } },
      { encap: [], ip: { l4: { kind: 'udp', dport: 6081 } } },
    ]);
  });

  it('vlan-pcp-dei: QinQ (10 outside 20), single tag 20, untagged, for each handshake packet', () => {
    const encaps = decodeTrace('vlan-pcp-dei.pcapng').map((d) => ('encap' in d ? d.encap : d.skip));
    expect(encaps).toEqual([['vlan 10', 'vlan 20'], ['vlan 20'], [], ['vlan 10', 'vlan 20'], ['vlan 20'], [], ['vlan 10', 'vlan 20'], ['vlan 20'], []]);
  });

  it('vlan-qinqinq: an HTTP session inside three tags', () => {
    const got = decodeTrace('vlan-qinqinq.pcap');
    expect(got).toHaveLength(14);
    for (const d of got) expect(d).toMatchObject({ encap: ['vlan 30', 'vlan 20', 'vlan 10'], ip: { l4: { kind: 'tcp' } } });
  });
});
