// Byte builders for decoder tests, in the style of foxglove/mcap's testUtils: each returns
// the exact bytes of one layer, so a test states the packet it means layer by layer.

export type Bytes = Uint8Array;

export function concat(...parts: ArrayLike<number>[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function be16(v: number): number[] {
  return [(v >> 8) & 0xff, v & 0xff];
}

export function be32(v: number): number[] {
  return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
}

export function ipv4Bytes(addr: string): number[] {
  return addr.split('.').map(Number);
}

export function ipv6Bytes(addr: string): number[] {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const groups = (s: string | undefined) => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const h = groups(head);
  const t = groups(tail);
  const all = tail === undefined ? h : [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  return all.flatMap(be16);
}

export const MAC_A = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x02];
export const MAC_B = [0x02, 0x42, 0xc6, 0x12, 0x00, 0x01];

export interface VlanTag { tpid?: number; id: number; pcp?: number }

/** Ethernet II, with any stack of VLAN tags (outermost first) before the ethertype. */
export function ethernet(type: number, payload: Bytes, vlans: VlanTag[] = []): Bytes {
  const tags = vlans.flatMap((v) => [...be16(v.tpid ?? 0x8100), ...be16(((v.pcp ?? 0) << 13) | v.id)]);
  return concat(MAC_B, MAC_A, tags, be16(type), payload);
}

export interface Ipv4Options {
  src?: string; dst?: string; ttl?: number; id?: number; proto: number;
  df?: boolean; more?: boolean; fragOffset?: number; options?: number[];
  /** Override the computed total length, header length (bytes) or version, for malformed packets. */
  totalLength?: number; headerLength?: number; version?: number;
}

export function ipv4(o: Ipv4Options, payload: Bytes): Bytes {
  const options = o.options ?? [];
  const headerLength = o.headerLength ?? 20 + options.length;
  const flags = (o.df ? 0x4000 : 0) | (o.more ? 0x2000 : 0) | ((o.fragOffset ?? 0) / 8);
  return concat(
    [((o.version ?? 4) << 4) | (headerLength / 4), 0],
    be16(o.totalLength ?? 20 + options.length + payload.length),
    be16(o.id ?? 0), be16(flags), [o.ttl ?? 64, o.proto], [0, 0],
    ipv4Bytes(o.src ?? '198.18.0.2'), ipv4Bytes(o.dst ?? '203.0.113.9'), options, payload,
  );
}

export interface Ipv6Options { src?: string; dst?: string; hopLimit?: number; next: number; payloadLength?: number; version?: number }

export function ipv6(o: Ipv6Options, payload: Bytes): Bytes {
  return concat(
    [(o.version ?? 6) << 4, 0, 0, 0], be16(o.payloadLength ?? payload.length), [o.next, o.hopLimit ?? 64],
    ipv6Bytes(o.src ?? '2001:db8::2'), ipv6Bytes(o.dst ?? '2001:db8:1::9'), payload,
  );
}

/** A hop-by-hop, routing or destination options header: `body` is padded to a multiple of 8 with PadN. */
export function ipv6Options(next: number, body: number[], payload: Bytes): Bytes {
  const len = Math.ceil((body.length + 2) / 8) * 8;
  const pad = len - 2 - body.length;
  const padding = pad === 0 ? [] : pad === 1 ? [0] : [1, pad - 2, ...new Array(pad - 2).fill(0)];
  return concat([next, len / 8 - 1], body, padding, payload);
}

export function ipv6Fragment(next: number, offset: number, more: boolean, id: number, payload: Bytes): Bytes {
  return concat([next, 0], be16(offset | (more ? 1 : 0)), be32(id), payload);
}

/** IPsec AH: its length field counts 4-byte words minus 2; a 12-byte ICV here. */
export function authHeader(next: number, payload: Bytes): Bytes {
  return concat([next, 4, 0, 0], be32(0x100), be32(1), new Array(12).fill(0xab), payload);
}

export interface TcpOptions {
  sport: number; dport: number; seq?: number; ack?: number; flags?: number; window?: number;
  options?: number[]; dataOffset?: number;
}

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

export function tcp(o: TcpOptions, payload: Bytes = new Uint8Array()): Bytes {
  const options = o.options ?? [];
  const dataOffset = o.dataOffset ?? (20 + options.length) / 4;
  return concat(
    be16(o.sport), be16(o.dport), be32(o.seq ?? 0), be32(o.ack ?? 0),
    [dataOffset << 4, o.flags ?? 0], be16(o.window ?? 64240), [0xde, 0xad], [0, 0], options, payload,
  );
}

export function udp(o: { sport: number; dport: number; length?: number }, payload: Bytes = new Uint8Array()): Bytes {
  return concat(be16(o.sport), be16(o.dport), be16(o.length ?? 8 + payload.length), [0xbe, 0xef], payload);
}

/** ICMP or ICMPv6 echo: type 8/0 (v4) or 128/129 (v6). */
export function icmpEcho(type: number, id: number, seq: number, data: Bytes = new Uint8Array()): Bytes {
  return concat([type, 0, 0x12, 0x34], be16(id), be16(seq), data);
}

/** An ICMP error quoting `quoted` after the 4 unused/MTU/pointer bytes. */
export function icmpError(type: number, code: number, quoted: Bytes, rest: number[] = [0, 0, 0, 0]): Bytes {
  return concat([type, code, 0x56, 0x78], rest, quoted);
}

export function vxlan(vni: number, inner: Bytes, flags = 0x08): Bytes {
  return concat([flags, 0, 0, 0], [(vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0], inner);
}

/** Linux cooked capture v1 header (16 bytes) before `payload`. */
export function linuxSll(protocol: number, payload: Bytes, arphrd = 1): Bytes {
  return concat(be16(0), be16(arphrd), be16(6), MAC_A, [0, 0], be16(protocol), payload);
}

/** Linux cooked capture v2 header (20 bytes) before `payload`. */
export function linuxSll2(protocol: number, ifindex: number, payload: Bytes, arphrd = 1): Bytes {
  return concat(be16(protocol), [0, 0], be32(ifindex), be16(arphrd), [4, 6], MAC_A, [0, 0], payload);
}

/** BSD loopback: the address family as 4 bytes, little-endian (a NULL capture on x86) or big-endian (LOOP). */
export function loopback(family: number, payload: Bytes, bigEndian = false): Bytes {
  const fam = be32(family);
  return concat(bigEndian ? fam : fam.reverse(), payload);
}

export function bytes(n: number, fill = (i: number) => i & 0xff): Bytes {
  return Uint8Array.from({ length: n }, (_, i) => fill(i));
}
