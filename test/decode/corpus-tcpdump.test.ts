// The decoder against tcpdump's own expected outputs (tcpdump tests/*.out, master 39b50f76):
// per packet, the addresses, ports, TTL/hop limit, IP id and length, TCP flags/window/seq,
// ICMP echo id/seq, VLAN ids and VXLAN VNIs that tcpdump printed must be what we decode.
import { describe, expect, it } from 'vitest';
import { decodeShown, type ShownPacket, type ShownDecoded } from './decode-helpers.js';
import { corpusFile, HAVE_CORPUS, isPinned, readFrames, readTcpdumpOut } from './corpus.js';
import { tcpdumpFacts, tcpdumpFlags, type TcpdumpFacts } from './tcpdump-oracle.js';

/** [capture, expected output] under tcpdump/: the pinned ones run everywhere, the rest need ../shared/corpus. */
const CASES: [string, string][] = [
  ['dns_udp.pcap', 'dns_udp-v.out'],
  ['dns_tcp.pcap', 'dns_tcp-v.out'],
  ['whois.pcap', 'whois-v.out'],
  ['tcp_rst_data.pcap', 'tcp_rst_data-v.out'],
  ['tcp_eight_lowest_weight_flags_set.pcap', 'tcp_eight_lowest_weight_flags_set.out'],
  ['accecn_handshake.pcap', 'accecn_handshake.out'],
  ['ipv4_tcp_http_xml.pcap', 'ipv4_tcp_http_xml.out'],
  ['tfo-5c1fa7f9ae91.pcap', 'tfo.out'],
  ['tcp-handshake-nano.pcap', 'tcp-handshake-micro.out'],
  ['mptcp-v1.pcap', 'mptcp-v1.out'],
  ['icmpv6.pcap', 'icmpv6.out'],
  ['icmpv6-ns-nonce.pcap', 'icmpv6-ns-nonce-v1.out'],
  ['ipv6-routing-header.pcap', 'ipv6-routing-header.out'],
  ['ipv6_no_next_header.pcap', 'ipv6_no_next_header.out'],
  ['ipv6_jumbogram_1.pcap', 'ipv6_jumbogram_1.out'],
  ['LINKTYPE_IPV4.pcap', 'LINKTYPE_IPV4.out'],
  ['LINKTYPE_IPV6.pcap', 'LINKTYPE_IPV6.out'],
  ['LINKTYPE_RAW_ipv4.pcap', 'LINKTYPE_RAW_ipv4.out'],
  ['LINKTYPE_RAW_ipv6.pcap', 'LINKTYPE_RAW_ipv6.out'],
  ['802.1ad_QinQ.pcap', '802.1ad_QinQv.out'],
  ['vxlan.pcap', 'vxlan.out'],
  ['vxlan_port_8472.pcap', 'vxlan_port_8472.out'],
  ['gso-ipv4-vxlan-ipv4.pcap', 'gso-ipv4-vxlan-ipv4.out'],
  ['bigtcp-ipv4.pcap', 'bigtcp-ipv4.out'],
  ['icmp-cksum-oobr-1.pcap', 'icmp-cksum-oobr-1.out'],
  ['icmp-cksum-oobr-3.pcapng', 'icmp-cksum-oobr-3.out'],
  ['icmp-length-zero.pcapng', 'icmp-length-zero.out'],
  ['ipv4_invalid_hdr_length.pcap', 'ipv4_invalid_hdr_length.out'],
  ['ipv4_invalid_length.pcap', 'ipv4_invalid_length.out'],
  ['ipv4_invalid_total_length.pcap', 'ipv4_invalid_total_length.out'],
  ['ipv4_invalid_total_length_2.pcap', 'ipv4_invalid_total_length_2.out'],
  ['ipv6-bad-version.pcap', 'ipv6-bad-version.out'],
  ['ipv6_invalid_length.pcap', 'ipv6_invalid_length.out'],
  ['LINKTYPE_IPV4_invalid.pcap', 'LINKTYPE_IPV4_invalid.out'],
  ['LINKTYPE_IPV6_invalid.pcap', 'LINKTYPE_IPV6_invalid.out'],
];

const ECHO_TYPES: Record<number, 'request' | 'reply'> = { 8: 'request', 0: 'reply', 128: 'request', 129: 'reply' };

/** Puts what we decoded and what tcpdump printed side by side, field for field. */
function compare(decoded: ShownDecoded, facts: TcpdumpFacts, text: string): { ours: object; theirs: object } {
  if ('skip' in decoded || facts.endpoints.length === 0) {
    const version = text.includes(' IP6 ') ? 'ipv6 ' : 'ipv4 ';
    const theirs = facts.invalid ? version + facts.invalid : /ethertype ARP/.test(text) ? 'arp' : 'no IP packet';
    return { ours: { skip: 'skip' in decoded ? decoded.skip : 'decoded a packet' }, theirs: { skip: theirs } };
  }
  const { ip, encap } = decoded;
  const tunnels = encap.filter((e) => e.startsWith('vxlan')).length;
  const ours: Record<string, unknown> = {};
  const theirs: Record<string, unknown> = {};
  const put = (key: string, mine: unknown, printed: unknown) => {
    if (printed === undefined) return;
    ours[key] = mine;
    theirs[key] = printed;
  };
  addIpFields(put, ip, facts, tunnels, 'ip');
  if (ip.l4.kind === 'icmp' && ip.l4.quoted) addIpFields(put, ip.l4.quoted, facts, tunnels + 1, 'quoted');
  if (ip.l4.kind === 'icmp' && ECHO_TYPES[ip.l4.type] && facts.echo.length > 0) {
    put('echo', { type: ECHO_TYPES[ip.l4.type], id: ip.l4.id, seq: ip.l4.seq }, facts.echo[0]);
  }
  if (ip.l4.kind === 'tcp') addTcpFields(put, ip.l4, facts);
  if (ip.l4.kind === 'udp' && !ip.fragment) put('udp payload', ip.l4.payloadLen, facts.udpLength);
  if (facts.vlans.length > 0) put('vlans', encap.filter((e) => e.startsWith('vlan')), facts.vlans.map((v) => `vlan ${v}`));
  put('vnis', encap.filter((e) => e.startsWith('vxlan')), facts.vnis.map((v) => `vxlan ${v}`));
  return { ours, theirs };
}

type Put = (key: string, mine: unknown, printed: unknown) => void;

function addIpFields(put: Put, ip: ShownPacket, facts: TcpdumpFacts, layer: number, name: string): void {
  const ends = facts.endpoints[layer];
  if (ends) {
    const ports = ip.l4.kind === 'tcp' || ip.l4.kind === 'udp' ? { sport: ip.l4.sport, dport: ip.l4.dport } : {};
    put(`${name} endpoints`, { src: ip.src, dst: ip.dst, ...(ends.sport === undefined ? {} : ports) }, { src: ends.src, dst: ends.dst, ...(ends.sport === undefined ? {} : { sport: ends.sport, dport: ends.dport }) });
  }
  const v4 = ip.version === 4 ? facts.ipv4[layer] : undefined;
  if (v4) put(`${name} ipv4`, { ttl: ip.ttl, id: ip.ipId, offset: ip.fragment?.offset ?? 0, proto: ip.proto, length: ip.length }, { ttl: v4.ttl, id: v4.id, offset: v4.offset, proto: v4.proto, length: v4.length });
  const v6 = ip.version === 6 ? facts.ipv6[layer] : undefined;
  if (v6) put(`${name} ipv6`, { hlim: ip.ttl, payloadLength: v6.payloadLength === 0 ? 0 : ip.length - 40 }, { hlim: v6.hlim, payloadLength: v6.payloadLength });
}

function addTcpFields(put: Put, tcp: Extract<ShownPacket['l4'], { kind: 'tcp' }>, facts: TcpdumpFacts): void {
  const line = facts.tcp[0];
  put('tcp payload', tcp.payloadLen, facts.quietTcpLength);
  if (!line) return;
  // tcpdump prints sequence numbers relative to the connection's first, except on a SYN.
  const syn = line.flags.includes('S');
  put('tcp', { flags: tcpdumpFlags(tcp.flags), win: tcp.window, ...(syn ? { seq: tcp.seq } : {}), ...(syn && line.ack !== undefined ? { ack: tcp.ack } : {}), length: tcp.payloadLen },
    { flags: line.flags, win: line.win, ...(syn ? { seq: line.seq } : {}), ...(syn && line.ack !== undefined ? { ack: line.ack } : {}), length: line.length });
}

describe('decoded fields agree with tcpdump', () => {
  for (const [capture, out] of CASES) {
    const pinned = isPinned(`tcpdump/${capture}`);
    it.skipIf(!pinned && !HAVE_CORPUS)(`${capture} (${out})${pinned ? ' [pinned]' : ''}`, () => {
      const frames = readFrames(corpusFile(`tcpdump/${capture}`));
      const printed = readTcpdumpOut(corpusFile(`tcpdump/${out}`));
      expect(frames.length).toBe(printed.length);
      frames.forEach((f, i) => {
        const { ours, theirs } = compare(decodeShown(f.linkType, f.data, f.origLen), tcpdumpFacts(printed[i]), printed[i]);
        expect({ packet: i + 1, ...ours }).toEqual({ packet: i + 1, ...theirs });
      });
    });
  }
});
