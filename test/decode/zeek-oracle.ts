// Zeek's recorded outputs (btest baselines) turned into per-packet fields.
import { readFileSync } from 'node:fs';

export interface ZeekRawPacket {
  vlan?: number;
  innerVlan?: number;
  ethType: number;
  ip?: { len: number; id: number; df: boolean; mf: boolean; offset: number; ttl: number; p: number; src: string; dst: string };
  tcp?: { sport: number; dport: number; seq: number; ack: number; dl: number; flags: number; win: number };
  udp?: { sport: number; dport: number; ulen: number };
  icmpType?: number;
}

function field(rec: string, name: string): string | undefined {
  const m = new RegExp(`(?:^|[\\[ ])${name}=([^,\\]]*)`).exec(rec);
  return m && m[1] !== '<uninitialized>' ? m[1] : undefined;
}

const n = (s: string | undefined) => Number.parseInt(s ?? '', 10);

/** One line per packet of `print p` for raw_packet events (Baseline/core.raw_packet/output). */
export function readZeekRawPackets(path: string): ZeekRawPacket[] {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.startsWith('[l2=')).map((line) => {
    const l2 = /l2=\[([^\]]*)\]/.exec(line)![1];
    const ip = /ip=\[([^\]]*)\]/.exec(line)?.[1];
    const tcp = /tcp=\[([^\]]*)\]/.exec(line)?.[1];
    const udp = /udp=\[([^\]]*)\]/.exec(line)?.[1];
    const icmp = /icmp=\[([^\]]*)\]/.exec(line)?.[1];
    return {
      vlan: field(l2, 'vlan') === undefined ? undefined : n(field(l2, 'vlan')),
      innerVlan: field(l2, 'inner_vlan') === undefined ? undefined : n(field(l2, 'inner_vlan')),
      ethType: n(field(l2, 'eth_type')),
      ip: ip === undefined ? undefined : {
        len: n(field(ip, 'len')), id: n(field(ip, 'id')), df: field(ip, 'DF') === 'T', mf: field(ip, 'MF') === 'T',
        offset: n(field(ip, 'offset')), ttl: n(field(ip, 'ttl')), p: n(field(ip, 'p')), src: field(ip, 'src')!, dst: field(ip, 'dst')!,
      },
      tcp: tcp === undefined ? undefined : {
        sport: n(field(tcp, 'sport')), dport: n(field(tcp, 'dport')), seq: n(field(tcp, 'seq')), ack: n(field(tcp, 'ack')),
        dl: n(field(tcp, 'dl')), flags: n(field(tcp, 'flags')), win: n(field(tcp, 'win')),
      },
      udp: udp === undefined ? undefined : { sport: n(field(udp, 'sport')), dport: n(field(udp, 'dport')), ulen: n(field(udp, 'ulen')) },
      icmpType: icmp === undefined ? undefined : n(field(icmp, 'icmp_type')),
    };
  });
}

export interface ZeekIcmpEvent {
  event: string;
  origH: string;
  respH: string;
  v6: boolean;
  itype: number;
  icode: number;
  ttl: number;
  echo?: { id: number; seq: number };
  context?: { src: string; sport: number; dst: string; dport: number; len: number; fragOffset: number; mf: boolean; df: boolean };
}

/** The event blocks printed by tests/core/icmp/icmp{,6}-events.test, in packet order. */
export function readZeekIcmpEvents(path: string): ZeekIcmpEvent[] {
  const events: ZeekIcmpEvent[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const head = /^(icmp_\w+)(?: \((.*)\))?$/.exec(line);
    if (head) {
      const echo = /id=(\d+), seq=(\d+)/.exec(head[2] ?? '');
      events.push({ event: head[1], origH: '', respH: '', v6: false, itype: -1, icode: -1, ttl: -1, echo: echo ? { id: +echo[1], seq: +echo[2] } : undefined });
      continue;
    }
    const ev = events[events.length - 1];
    const conn = /^ {2}conn_id: \[orig_h=([^,]*), .*resp_h=([^,]*),/.exec(line);
    if (conn) Object.assign(ev, { origH: conn[1], respH: conn[2] });
    const info = /^ {2}icmp_info: \[v6=(T|F), itype=(\d+), icode=(\d+), len=\d+, ttl=(\d+)\]/.exec(line);
    if (info) Object.assign(ev, { v6: info[1] === 'T', itype: +info[2], icode: +info[3], ttl: +info[4] });
    const ctx = /^ {2}icmp_context: \[id=\[orig_h=([^,]*), orig_p=(\d+)\/\w+, resp_h=([^,]*), resp_p=(\d+)\/\w+, .*\], len=(\d+), proto=\d+, frag_offset=(\d+), bad_hdr_len=\w, bad_checksum=\w, MF=(T|F), DF=(T|F)\]/.exec(line);
    if (ctx) ev.context = { src: ctx[1], sport: +ctx[2], dst: ctx[3], dport: +ctx[4], len: +ctx[5], fragOffset: +ctx[6], mf: ctx[7] === 'T', df: ctx[8] === 'T' };
  }
  return events;
}
