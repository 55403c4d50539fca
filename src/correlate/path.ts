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
  /** Bridge subnets, from bridge addresses given with their prefix. */
  readonly subnets: string[] = [];

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
      if (hop.role === 'bridge') for (const a of hop.addrs) if (a.includes('/')) this.subnets.push(a);
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
}
