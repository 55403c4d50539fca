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

/**
 * Whether a packet leaving the host's uplink with this source and no SNAT is a problem
 * (`no-snat`). IPv4: a private address, or one of the container's bridge subnets, which the
 * wider network does not route back. IPv6: only ULA, link-local and the like; a globally
 * routable subnet (2001:db8::/32 counts as global in the lab) is meant to leave as it is,
 * since Docker does not NAT it unless NAT66 is turned on.
 */
export function sourceNeedsSnat(addr: string, bridgeSubnets: string[]): boolean {
  if (isPrivateAddress(addr)) return true;
  if (ipv4Value(addr) === undefined) return false;
  return bridgeSubnets.some((cidr) => inCidr(addr, cidr));
}
