// What tcpdump printed about one packet, pulled out of its text: the fields the decoder must
// agree on. Layers appear in print order: outer before inner (VXLAN), the ICMP error before
// the packet it quotes.

export interface Endpoints { src: string; dst: string; sport?: number; dport?: number }
export interface Ipv4Line { ttl: number; id: number; offset: number; df: boolean; proto: number; length: number }
export interface Ipv6Line { hlim: number; next: number; payloadLength: number }
export interface TcpLine { flags: string; seq?: number; ack?: number; win: number; length?: number }

export interface TcpdumpFacts {
  endpoints: Endpoints[];
  ipv4: Ipv4Line[];
  ipv6: Ipv6Line[];
  echo: { type: 'request' | 'reply'; id: number; seq: number }[];
  tcp: TcpLine[];
  udpLength?: number;
  quietTcpLength?: number;
  vlans: number[];
  vnis: number[];
  invalid?: string;
}

const MAC_PAIR = /(?:[0-9a-f]{2}:){5}[0-9a-f]{2} > (?:[0-9a-f]{2}:){5}[0-9a-f]{2}/g;
const V4_ENDPOINTS = /(\d+\.\d+\.\d+\.\d+)(?:\.(\d+))? > (\d+\.\d+\.\d+\.\d+)(?:\.(\d+))?:/g;
const V6_ENDPOINTS = /([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?:\.(\d+))? > ([0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7})(?:\.(\d+))?:/g;
const IPV4_LINE = /ttl (\d+), id (\d+), offset (\d+), flags \[([^\]]*)\], proto [^(]*\((\d+)\), length (\d+)/g;
const IPV6_LINE = /hlim (\d+), next-header [^(]*\((\d+)\), payload length (\d+)/g;
const ECHO = /echo (request|reply), id (\d+), seq (\d+)/g;
const TCP_LINE = /Flags \[([^\]]*)\],(?: cksum 0x[0-9a-f]+ \([^)]*\),)?(?: seq (\d+)(?::\d+)?,)?(?: ack (\d+),)?(?: win (\d+))(?:, urg \d+)?(?:, options \[[^\][]*(?:\[[^\]]*\][^\][]*)*\])?(?:, length (\d+))?/g;

export function tcpdumpFacts(text: string): TcpdumpFacts {
  const t = text.replace(MAC_PAIR, '');
  const num = (s: string | undefined) => (s === undefined ? undefined : Number(s));
  const endpoints = [...t.matchAll(V4_ENDPOINTS), ...t.matchAll(V6_ENDPOINTS)]
    .sort((a, b) => a.index! - b.index!)
    .map((m) => ({ src: m[1], dst: m[3], sport: num(m[2]), dport: num(m[4]) }));
  return {
    endpoints,
    ipv4: [...t.matchAll(IPV4_LINE)].map((m) => ({ ttl: +m[1], id: +m[2], offset: +m[3], df: m[4].includes('DF'), proto: +m[5], length: +m[6] })),
    ipv6: [...t.matchAll(IPV6_LINE)].map((m) => ({ hlim: +m[1], next: +m[2], payloadLength: +m[3] })),
    echo: [...t.matchAll(ECHO)].map((m) => ({ type: m[1] as 'request' | 'reply', id: +m[2], seq: +m[3] })),
    tcp: [...t.matchAll(TCP_LINE)].map((m) => ({ flags: m[1], seq: num(m[2]), ack: num(m[3]), win: +m[4], length: num(m[5]) })),
    udpLength: num(/UDP, length (\d+)/.exec(t)?.[1]),
    quietTcpLength: num(/: tcp (\d+)/.exec(t)?.[1]),
    vlans: [...t.matchAll(/vlan (\d+), p \d/g)].map((m) => +m[1]),
    vnis: [...t.matchAll(/vni (\d+)/g)].map((m) => +m[1]),
    invalid: /\[([^\]]+)\] \(invalid\)/.exec(t)?.[1],
  };
}

/** tcpdump's flag letters, in the order it prints them (print-tcp.c tcp_flag_values). */
const FLAG_LETTERS: [number, string][] = [
  [0x01, 'F'], [0x02, 'S'], [0x04, 'R'], [0x08, 'P'], [0x10, '.'], [0x20, 'U'], [0x40, 'E'], [0x80, 'W'], [0x100, 'e'],
];

export function tcpdumpFlags(flags: number): string {
  const s = FLAG_LETTERS.filter(([bit]) => flags & bit).map(([, c]) => c).join('');
  return s === '' ? 'none' : s;
}
