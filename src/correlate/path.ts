import type { Hop } from '../model.js';

/** An address as path.json may give it: "198.18.0.2" or "198.18.0.2/24". */
export function bareAddress(addr: string): string {
  const slash = addr.indexOf('/');
  return slash < 0 ? addr : addr.slice(0, slash);
}

/**
 * What the correlator needs to know of the path: the hops, which of them belong to the
 * traced container alone (so other hosts' flows on the shared bridge and uplink can be left
 * out) and which addresses end a packet's travel at a hop.
 */
export class PathModel {
  readonly size: number;
  /** Hops that only the traced container's traffic crosses. */
  readonly privateHops: ReadonlySet<number>;
  /** The traced container's own addresses: given in path.json, or learned from its hops. */
  readonly tracedAddrs = new Set<string>();
  /** Addresses that are a hop's own and where packets start or end (gateway, container). */
  private readonly endpointHop = new Map<string, number>();
  readonly uplinks: ReadonlySet<number>;
  readonly subnets: Array<{ base: number; mask: number }> = [];

  constructor(readonly hops: Hop[]) {
    this.size = hops.length;
    const roles = hops.map((h) => h.role);
    const known = roles.some((r) => r !== 'other');
    const priv = new Set<number>();
    hops.forEach((hop, i) => {
      if (hop.role === 'container' || hop.role === 'veth') priv.add(i);
      if (hop.role === 'container' || hop.role === 'bridge') {
        for (const a of hop.addrs) this.endpointHop.set(bareAddress(a), i);
      }
      if (hop.role === 'container') for (const a of hop.addrs) this.tracedAddrs.add(bareAddress(a));
      if (hop.role === 'bridge') for (const a of hop.addrs) this.addSubnet(a);
    });
    if (!known || priv.size === 0) priv.add(0);
    if (!roles.includes('container')) for (const a of hops[0]?.addrs ?? []) this.tracedAddrs.add(bareAddress(a));
    this.privateHops = priv;
    this.uplinks = new Set(hops.flatMap((h, i) => (h.role === 'uplink' ? [i] : [])));
  }

  /** The hop whose own address this is, when packets to or from it start or end there. */
  hopOwning(addr: string): number | undefined {
    return this.endpointHop.get(addr);
  }

  /** A bridge subnet (from a bridge address given with its prefix) holds this IPv4 address. */
  inBridgeSubnet(addr: string): boolean {
    const value = ipv4Value(addr);
    return value !== undefined && this.subnets.some((s) => ((value & s.mask) >>> 0) === s.base);
  }

  private addSubnet(cidr: string): void {
    const [addr, prefix] = cidr.split('/');
    const value = ipv4Value(addr);
    const bits = Number(prefix);
    if (value === undefined || !prefix || !(bits >= 0 && bits <= 32)) return;
    const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
    this.subnets.push({ base: (value & mask) >>> 0, mask });
  }
}

export function ipv4Value(addr: string): number | undefined {
  const parts = addr.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0 || n > 255) return undefined;
    value = value * 256 + n;
  }
  return value;
}

const PRIVATE_V4: Array<[number, number]> = [
  [0x0a000000, 8], // 10/8
  [0xac100000, 12], // 172.16/12
  [0xc0a80000, 16], // 192.168/16
  [0x64400000, 10], // 100.64/10 carrier-grade NAT
  [0xa9fe0000, 16], // 169.254/16 link-local
  [0xc6120000, 15], // 198.18/15 benchmarking: not routed on the internet either
];

/** An address that no reply from the wider network can be routed back to. */
export function isPrivateAddress(addr: string): boolean {
  const value = ipv4Value(addr);
  if (value === undefined) {
    const lower = addr.toLowerCase();
    return lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80:');
  }
  return PRIVATE_V4.some(([base, bits]) => ((value & ((~0 << (32 - bits)) >>> 0)) >>> 0) === base);
}
