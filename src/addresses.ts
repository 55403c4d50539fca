// Address arithmetic shared by path discovery, the correlator and the flow filter.

/** An IPv4 address as a 32-bit number, or undefined if the text is not one. */
export function ipv4Value(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!/^\d{1,3}$/.test(part) || octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** An IPv6 address as its eight 16-bit groups, or undefined if the text is not one (zone ids refused). */
export function ipv6Groups(addr: string): number[] | undefined {
  if (!addr.includes(':') || addr.includes('%')) return undefined;
  const lastColon = addr.lastIndexOf(':');
  const dotted = addr.slice(lastColon + 1);
  if (dotted.includes('.')) {
    // ::ffff:198.18.0.2 and kin: the last 32 bits written as IPv4
    const v4 = ipv4Value(dotted);
    if (v4 === undefined) return undefined;
    return ipv6Groups(`${addr.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`);
  }
  const halves = addr.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const groups = part.split(':').map((g) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : NaN));
    return groups.some(Number.isNaN) ? undefined : groups;
  };
  const head = parse(halves[0]!);
  const rest = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length;
  if (halves.length === 1 ? known !== 8 : known > 7) return undefined;
  return [...head, ...new Array<number>(8 - known).fill(0), ...rest];
}

/** Whether an address lies in a CIDR ("198.18.0.0/24", "fd00:18:1::/64"; no prefix: one address). */
export function inCidr(addr: string, cidr: string): boolean {
  const [net, lenText] = cidr.split('/');
  const a = ipv4Value(addr);
  if (a !== undefined) {
    const n = ipv4Value(net ?? '');
    const len = lenText === undefined ? 32 : Number(lenText);
    if (n === undefined || !(len >= 0 && len <= 32)) return false;
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    return ((a & mask) >>> 0) === ((n & mask) >>> 0);
  }
  const a6 = ipv6Groups(addr);
  const n6 = ipv6Groups(net ?? '');
  const len = lenText === undefined ? 128 : Number(lenText);
  if (!a6 || !n6 || !(len >= 0 && len <= 128)) return addr === net;
  for (let i = 0, left = len; i < 8 && left > 0; i++, left -= 16) {
    const mask = left >= 16 ? 0xffff : (0xffff << (16 - left)) & 0xffff;
    if ((a6[i]! & mask) !== (n6[i]! & mask)) return false;
  }
  return true;
}

/** Ranges no reply from the wider network can be routed back to. */
const UNROUTABLE_V4 = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10', // carrier-grade NAT
  '169.254.0.0/16', // link-local
  '198.18.0.0/15', // benchmarking: not routed on the internet either
];

/** Unique local (fc00::/7), link-local (fe80::/10), site-local (fec0::/10, deprecated), loopback. */
const UNROUTABLE_V6 = ['fc00::/7', 'fe80::/10', 'fec0::/10', '::1/128'];

export function isPrivateAddress(addr: string): boolean {
  if (ipv4Value(addr) === undefined) return UNROUTABLE_V6.some((cidr) => inCidr(addr, cidr));
  return UNROUTABLE_V4.some((cidr) => inCidr(addr, cidr));
}

// Addresses as values (what decode hands on and the report carries) and their text, made
// only where something is printed or read from a file.

/** An IP address: IPv4 as an unsigned 32-bit number, IPv6 as a 128-bit bigint (the type is the family). */
export type IpAddress = number | bigint;

export function familyOf(addr: IpAddress): 4 | 6 {
  return typeof addr === 'bigint' ? 6 : 4;
}

/** "0." to "255.": three concatenations per address instead of seven, and no number formatting. */
const OCTET_DOT: readonly string[] = Array.from({ length: 256 }, (_, i) => i + '.');
const OCTET: readonly string[] = Array.from({ length: 256 }, (_, i) => String(i));

function ipv4Text(a: number): string {
  return OCTET_DOT[(a >>> 24) & 0xff] + OCTET_DOT[(a >>> 16) & 0xff] + OCTET_DOT[(a >>> 8) & 0xff] + OCTET[a & 0xff];
}

/** The address as text: dotted quad, or RFC 5952 canonical IPv6 (IPv4-mapped with a dotted tail). */
export function formatAddress(addr: IpAddress): string {
  if (typeof addr === 'number') return ipv4Text(addr);
  const groups = Array.from({ length: 8 }, (_, i) => Number((addr >> BigInt(112 - 16 * i)) & 0xffffn));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) return '::ffff:' + ipv4Text(Number(addr & 0xffffffffn));
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    if (groups[i] !== 0) {
      runStart = -1;
      continue;
    }
    if (runStart < 0) runStart = i;
    if (i - runStart + 1 > bestLen) [bestStart, bestLen] = [runStart, i - runStart + 1];
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += groups[i]!.toString(16);
    if (i < 7) s += ':';
  }
  return s;
}

/** An address read from text ("198.18.0.2", "2001:db8::1", "::ffff:1.2.3.4"), or undefined. */
export function parseAddress(text: string): IpAddress | undefined {
  const v4 = ipv4Value(text);
  if (v4 !== undefined) return v4;
  return ipv6Value(text);
}

function ipv6Value(text: string): bigint | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  let groups: number[] = [];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const fields = part.split(':');
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes('.')) {
        const tail = ipv4Value(f);
        if (tail === undefined) return undefined;
        out.push(tail >>> 16, tail & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(f)) out.push(parseInt(f, 16));
      else return undefined;
    }
    return out;
  };
  const head = parse(halves[0]!);
  const tail = halves.length === 2 ? parse(halves[1]!) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    if (head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else groups = head;
  if (groups.length !== 8) return undefined;
  return groups.reduce((v, g) => (v << 16n) | BigInt(g), 0n);
}

/** A prefix as a value: "198.18.0.0/24" (no prefix: the whole address). */
export interface Prefix {
  net: IpAddress;
  bits: number;
}

export function parsePrefix(cidr: string): Prefix | undefined {
  const [addr, bitsText] = cidr.split('/');
  const net = parseAddress(addr ?? '');
  if (net === undefined) return undefined;
  const max = familyOf(net) === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
  return bits >= 0 && bits <= max ? { net, bits } : undefined;
}

export function inPrefix(addr: IpAddress, prefix: Prefix): boolean {
  if (typeof addr !== typeof prefix.net) return false;
  if (typeof addr === 'number') {
    const mask = prefix.bits === 0 ? 0 : (0xffffffff << (32 - prefix.bits)) >>> 0;
    return ((addr & mask) >>> 0) === (((prefix.net as number) & mask) >>> 0);
  }
  const shift = BigInt(128 - prefix.bits);
  return addr >> shift === (prefix.net as bigint) >> shift;
}

const UNROUTABLE_V4_PREFIXES: readonly Prefix[] = UNROUTABLE_V4.map((cidr) => parsePrefix(cidr)!);
const UNROUTABLE_V6_PREFIXES: readonly Prefix[] = ['fc00::/7', 'fe80::/16'].map((cidr) => parsePrefix(cidr)!);

/** isPrivateAddress for an address value. */
export function isPrivateValue(addr: IpAddress): boolean {
  return (typeof addr === 'number' ? UNROUTABLE_V4_PREFIXES : UNROUTABLE_V6_PREFIXES).some((p) => inPrefix(addr, p));
}

/**
 * Whether a packet leaving the host's uplink with this source and no SNAT is a problem
 * (`no-snat`). IPv4: a private address, or one of the container's bridge subnets, which the
 * wider network does not route back. IPv6: only ULA, link-local and the like; a globally
 * routable subnet (2001:db8::/32 counts as global in the lab) is meant to leave as it is,
 * since Docker does not NAT it unless NAT66 is turned on.
 */
export function sourceNeedsSnat(addr: IpAddress, bridgeSubnets: readonly Prefix[]): boolean {
  if (isPrivateValue(addr)) return true;
  if (typeof addr !== 'number') return false;
  return bridgeSubnets.some((prefix) => inPrefix(addr, prefix));
}
