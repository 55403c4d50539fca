import { inPrefix, parseAddress, parsePrefix, type IpAddress, type Prefix } from '../addresses.js';
import type { Hop } from '../model.js';

/** An address as path.json may give it: "198.18.0.2" or "198.18.0.2/24" (undefined: not an address). */
export function bareAddress(addr: string): IpAddress | undefined {
  return parseAddress(addr.split('/')[0]!);
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
  readonly tracedAddrs = new Set<IpAddress>();
  /** Addresses that are a hop's own and where packets start or end (gateway, container). */
  private readonly endpointHop = new Map<IpAddress, number>();
  readonly uplinks: ReadonlySet<number>;
  /** Bridge subnets, from bridge addresses given with their prefix. */
  readonly subnets: Prefix[] = [];

  constructor(readonly hops: Hop[]) {
    this.size = hops.length;
    const roles = hops.map((h) => h.role);
    const priv = new Set<number>();
    hops.forEach((hop, i) => {
      if (hop.role === 'container' || hop.role === 'veth') priv.add(i);
      const addrs = hop.addrs.map(bareAddress).filter((a): a is IpAddress => a !== undefined);
      if (hop.role === 'container' || hop.role === 'bridge') for (const a of addrs) this.endpointHop.set(a, i);
      if (hop.role === 'container') for (const a of addrs) this.tracedAddrs.add(a);
      if (hop.role === 'bridge') {
        for (const a of hop.addrs) {
          const prefix = a.includes('/') ? parsePrefix(a) : undefined;
          if (prefix) this.subnets.push(prefix);
        }
      }
    });
    // No container or veth among the hops (roles unknown, or host mode): the first hop is the traced one's.
    if (priv.size === 0) priv.add(0);
    if (!roles.includes('container')) {
      for (const a of hops[0]?.addrs ?? []) {
        const value = bareAddress(a);
        if (value !== undefined) this.tracedAddrs.add(value);
      }
    }
    this.privateHops = priv;
    this.uplinks = new Set(hops.flatMap((h, i) => (h.role === 'uplink' ? [i] : [])));
  }

  /** The hop whose own address this is, when packets to or from it start or end there. */
  hopOwning(addr: IpAddress): number | undefined {
    return this.endpointHop.get(addr);
  }
}
