// The decoder against Zeek's recorded outputs (zeek testing/btest baselines, a13de64f):
// per-packet IP/TCP/UDP/ICMP fields, ICMP error contexts, SLL2 pings, VLAN tags, tunnels and
// how each snaplen-truncation trace must come out.
import { describe, expect, it } from 'vitest';
import { decodeShown, type ShownPacket, type ShownDecoded } from './decode-helpers.js';
import { corpusFile, HAVE_CORPUS, isPinned, readFrames } from './corpus.js';
import { readZeekIcmpEvents, readZeekRawPackets, type ZeekIcmpEvent, type ZeekRawPacket } from './zeek-oracle.js';

const Z = 'zeek';
const available = (...files: string[]) => HAVE_CORPUS || files.every((f) => isPinned(`${Z}/${f}`));
const frames = (...traces: string[]) => traces.flatMap((t) => readFrames(corpusFile(`${Z}/Traces/${t}`)));

function ours(p: ShownDecoded): object {
  if ('skip' in p) return { skip: p.skip };
  const { ip, encap } = p;
  const vlans = encap.filter((e) => e.startsWith('vlan')).map((e) => Number(e.slice(5)));
  return {
    vlan: vlans[0], innerVlan: vlans[1],
    ip: { len: ip.length, id: ip.ipId, mf: ip.fragment?.more ?? false, offset: ip.fragment?.offset ?? 0, ttl: ip.ttl, p: ip.proto, src: ip.src, dst: ip.dst },
    l4: ip.l4.kind === 'tcp' ? { sport: ip.l4.sport, dport: ip.l4.dport, seq: ip.l4.seq, ack: ip.l4.ack, dl: ip.l4.payloadLen, flags: ip.l4.flags, win: ip.l4.window }
      : ip.l4.kind === 'udp' ? { sport: ip.l4.sport, dport: ip.l4.dport, ulen: ip.l4.length }
      : ip.l4.kind === 'icmp' ? { icmpType: ip.l4.type } : undefined,
  };
}

function theirs(z: ZeekRawPacket): object {
  if (!z.ip) return { skip: z.ethType === 2054 ? 'arp' : z.ethType < 0x600 ? 'llc' : `ethertype 0x${z.ethType.toString(16)}` };
  const { df: _df, ...ip } = z.ip;
  return { vlan: z.vlan, innerVlan: z.innerVlan, ip, l4: z.tcp ?? z.udp ?? (z.icmpType === undefined ? undefined : { icmpType: z.icmpType }) };
}

describe('decoded fields agree with Zeek', () => {
  it.skipIf(!available('Traces/raw_packets.pcap', 'Traces/icmp_dot1q.pcap', 'Baseline/core.raw_packet/output'))(
    'raw_packets.pcap and icmp_dot1q.pcap: every IP, TCP, UDP, ICMP and VLAN field of core.raw_packet', () => {
      const expected = readZeekRawPackets(corpusFile(`${Z}/Baseline/core.raw_packet/output`));
      const got = frames('raw_packets.pcap', 'icmp_dot1q.pcap');
      expect(got.length).toBe(48);
      expect(expected.length).toBe(48);
      got.forEach((f, i) => expect({ packet: i + 1, ...ours(decodeShown(f.linkType, f.data, f.origLen)) }).toEqual({ packet: i + 1, ...theirs(expected[i]) }));
    });

  it.skipIf(!available('Traces/linux_dlt_sll2.pcap', 'Baseline/core.linuxsll2/.stdout'))('linux_dlt_sll2.pcap: ICMP and ICMPv6 echo over LINUX_SLL2, then ARP and RARP', () => {
    const got = frames('linux_dlt_sll2.pcap').map((f) => decodeShown(f.linkType, f.data, f.origLen));
    expect(got.map((d) => ('skip' in d ? d.skip : echoLine(d.ip)))).toEqual([
      // Baseline/core.linuxsll2/.stdout: orig_h, resp_h, v6, itype, ttl, id, seq
      '192.0.2.1 > 192.0.2.1 v6=F itype=8 ttl=64 id=8 seq=1',
      '192.0.2.1 > 192.0.2.1 v6=F itype=0 ttl=64 id=8 seq=1',
      'fe80::8c36:6ff:fe44:acaf > fe80::8c36:6ff:fe44:acaf v6=T itype=128 ttl=64 id=9 seq=1',
      'fe80::8c36:6ff:fe44:acaf > fe80::8c36:6ff:fe44:acaf v6=T itype=129 ttl=64 id=9 seq=1',
      'arp',
      'rarp',
    ]);
  });

  const icmpTraces = ['icmp/icmp-destunreach-udp.pcap', 'icmp/icmp-timeexceeded.pcap', 'icmp/icmp-ping.pcap'];
  it.skipIf(!available(...icmpTraces.map((t) => `Traces/${t}`), 'Baseline/core.icmp.icmp-events/output'))('ICMP echo and errors with their quoted packets (core.icmp.icmp-events)', () => {
    compareIcmpEvents(icmpTraces, 'core.icmp.icmp-events');
  });

  const icmp6Traces = ['destunreach-ip6ext-udp', 'toobig', 'timeexceeded', 'paramprob', 'ping', 'redirect', 'router-advert', 'neighbor-advert', 'router-solicit', 'neighbor-solicit'].map((t) => `icmp/icmp6-${t}.pcap`);
  it.skipIf(!HAVE_CORPUS)('ICMPv6 echo, errors quoting packets with extension headers, NDP (core.icmp.icmp6-events)', () => {
    compareIcmpEvents(icmp6Traces, 'core.icmp.icmp6-events');
  });
});

function echoLine(ip: ShownPacket): string {
  if (ip.l4.kind !== 'icmp') return `not icmp: ${ip.l4.kind}`;
  return `${ip.src} > ${ip.dst} v6=${ip.l4.v6 ? 'T' : 'F'} itype=${ip.l4.type} ttl=${ip.ttl} id=${ip.l4.id} seq=${ip.l4.seq}`;
}

function compareIcmpEvents(traces: string[], baseline: string): void {
  const events = readZeekIcmpEvents(corpusFile(`${Z}/Baseline/${baseline}/output`));
  const got = frames(...traces).map((f) => decodeShown(f.linkType, f.data, f.origLen));
  expect(got.length).toBe(events.length);
  got.forEach((d, i) => {
    if ('skip' in d) expect.fail(`packet ${i + 1} skipped: ${d.skip}`);
    expect({ packet: i + 1, ...icmpFacts(d.ip, events[i]) }).toEqual({ packet: i + 1, ...zeekFacts(events[i]) });
  });
}

function zeekFacts(e: ZeekIcmpEvent): object {
  const reply = e.itype === 0 || e.itype === 129;
  return { hosts: reply ? [e.respH, e.origH] : [e.origH, e.respH], v6: e.v6, type: e.itype, code: e.icode, ttl: e.ttl, echo: e.echo, quoted: e.context };
}

function icmpFacts(ip: ShownPacket, e: ZeekIcmpEvent): object {
  if (ip.l4.kind !== 'icmp') return { kind: ip.l4.kind };
  const q = ip.l4.quoted;
  const qPorts = q && (q.l4.kind === 'tcp' || q.l4.kind === 'udp') ? q.l4 : undefined;
  return {
    hosts: [ip.src, ip.dst], v6: ip.l4.v6, type: ip.l4.type, code: ip.l4.code, ttl: ip.ttl,
    echo: ip.l4.id === undefined ? undefined : { id: ip.l4.id, seq: ip.l4.seq },
    // Zeek leaves DF out of the quoted header for IPv6; we only compare what it printed.
    quoted: q && e.context ? { src: q.src, sport: qPorts?.sport, dst: q.dst, dport: qPorts?.dport, len: q.length, fragOffset: q.fragment?.offset ?? 0, mf: q.fragment?.more ?? false, df: e.context.df } : undefined,
  };
}
