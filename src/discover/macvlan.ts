// macvlan and ipvlan: the container's interface is a child of a parent device of the host (its
// lower device, IFLA_LINK), with no veth, no bridge and no NAT between them. A parent that is
// an 802.1Q sub-interface (Docker's `-o parent=eth0.N`) sits on a trunk that carries the tag.
import type Docker from 'dockerode';
import { ExitCode, FatalError } from '../errors.js';
import type { Link } from './links.js';

export type ChildKind = 'macvlan' | 'ipvlan';

export function isChildLink(link: Link): link is Link & { kind: ChildKind } {
  return link.kind === 'macvlan' || link.kind === 'ipvlan';
}

/** The parent of a child, then the trunk under it when the parent is a VLAN sub-interface. */
export interface ParentChain {
  parent: Link;
  /** The device a VLAN parent is stacked on, where frames carry the 802.1Q tag. */
  trunk?: Link;
  vlanId?: number;
}

/**
 * Follows the child's IFLA_LINK into the host's links. The child reports it as an ifindex in
 * the namespace `link_netnsid` names; the host namespace is the one Docker made the child in.
 */
export function parentChain(child: Link, hostLinks: Link[], hostLabel: string): ParentChain {
  const parent = hostLinks.find((l) => l.ifindex === child.peerIndex);
  if (!parent || child.peerIndex === undefined) {
    throw new FatalError(
      `the parent of ${child.kind} interface ${child.name} (ifindex ${child.peerIndex ?? '?'}) is not in network namespace ${hostLabel}`,
      ExitCode.ENVIRONMENT,
      'pass --host-netns <name|path> for the namespace that holds the parent interface',
    );
  }
  if (parent.kind !== 'vlan') return { parent };
  const trunk = hostLinks.find((l) => (parent.linkName ? l.name === parent.linkName : l.ifindex === parent.peerIndex));
  return { parent, trunk, vlanId: parent.vlanId };
}

/**
 * The kernel does not pass frames between a macvlan (or ipvlan) parent and its own children:
 * the host cannot reach its children through the parent, nor they the host. A fact about the
 * path, worded by whoever shows it (see `describeFact`).
 */
export interface ParentChildIsolation {
  kind: 'parent-child-isolation';
  /** The driver of the child's network. */
  driver: ChildKind;
  /** The parent device on the host, e.g. eth0 or eth0.10. */
  parent: string;
  /** The child: its container name (when Docker knows it) and address. */
  child: { name?: string; addr: string };
  /** Who talks to the child: the host itself, or a container whose traffic the host routes. */
  peer: 'host' | 'container';
  /** Which end starts the traced flow. */
  from: 'peer' | 'child';
  /** The children's address range (Docker's --ip-range), else the child's own address: the route of the fix. */
  childRange: string;
}

/** The "every trunk frame is tagged" fact: expected, not a rewrite. */
export interface VlanTagExpected {
  kind: 'vlan-tag-expected';
  vlanId: number;
  /** The trunk hop, where frames carry the tag, and the sub-interface, where they do not. */
  trunk: string;
  parent: string;
}

export type PathFact = ParentChildIsolation | VlanTagExpected;

/** A container of a macvlan/ipvlan network of this Docker engine, by address. */
export interface ChildOnHost {
  name: string;
  addr: string;
  driver: ChildKind;
  parent: string;
  /** The network's --ip-range for this family, when it has one. */
  range?: string;
}

interface NetworkInspect {
  Driver?: string;
  Options?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string; IPRange?: string }[] };
  Containers?: Record<string, { Name: string; IPv4Address?: string; IPv6Address?: string }>;
}

/** Finds the macvlan/ipvlan child of this engine that holds `addr`, if one does. */
export async function childHolding(docker: Docker | undefined, addr: string): Promise<ChildOnHost | undefined> {
  if (!docker) return undefined;
  const networks = (await docker.listNetworks().catch(() => [])) as { Id: string; Driver?: string }[];
  for (const summary of networks.filter((n) => n.Driver === 'macvlan' || n.Driver === 'ipvlan')) {
    const info = (await docker.getNetwork(summary.Id).inspect().catch(() => ({}))) as NetworkInspect;
    const hit = childInNetwork(info, addr);
    if (hit) return hit;
  }
  return undefined;
}

/** Pure part of childHolding: the network's container holding `addr`. */
export function childInNetwork(info: NetworkInspect, addr: string): ChildOnHost | undefined {
  const driver = info.Driver;
  if (driver !== 'macvlan' && driver !== 'ipvlan') return undefined;
  const entry = Object.values(info.Containers ?? {}).find((c) =>
    [c.IPv4Address ?? '', c.IPv6Address ?? ''].some((cidr) => cidr.split('/')[0] === addr),
  );
  if (!entry) return undefined;
  const family = addr.includes(':') ? ':' : '.';
  const range = (info.IPAM?.Config ?? []).map((c) => c.IPRange ?? '').find((s) => s.includes(family));
  // Docker's default parent, when none is given, is the device of the host's default route;
  // it names no parent option then and the caller compares with the route's device.
  return { name: entry.Name, addr, driver, parent: info.Options?.parent ?? '', range };
}

/** A single address as a route destination. */
export function hostRoute(addr: string): string {
  return `${addr}${addr.includes(':') ? '/128' : '/32'}`;
}

/** The hops whose frames carry an 802.1Q tag, for the capture filters. */
export function vlanTaggedHops(facts: PathFact[]): string[] {
  return facts.flatMap((f) => (f.kind === 'vlan-tag-expected' ? [f.trunk] : []));
}
