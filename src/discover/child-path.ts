// Paths of macvlan/ipvlan children (see macvlan.ts): the child, its parent on the host and,
// for an 802.1Q parent, the trunk under it; or, to another child, just the two children.
import { addrsOf, defaultRouteDev, listLinks, type Link } from './links.js';
import { childHolding, hostRoute, isChildLink, parentChain, type ChildKind, type ChildOnHost } from './macvlan.js';
import { netnsOfPid } from './netns.js';
import { inspectContainer } from './docker.js';
import { hopOf } from './hops.js';
import type { DiscoveredPath } from './discovered-path.js';

/** container's child interface -> its parent (-> the trunk under a VLAN parent). */
export async function followParent(path: DiscoveredPath, own: Link & { kind: ChildKind }): Promise<void> {
  const host = path.target.hostNetns;
  const hostLinks = await listLinks(host);
  const chain = parentChain(own, hostLinks, host.label);
  path.mode = own.kind;
  const mode = own.mode ? ` (mode ${own.mode})` : '';
  path.notes.push(`${path.target.name}'s ${own.name} is a ${own.kind} child${mode} of ${chain.parent.name} on the host: no veth, no bridge, no NAT on this path`);
  const dest = path.destination;
  const sibling = dest ? await siblingChild(path, dest) : undefined;
  if (sibling) return;
  path.hops.push(hopOf(chain.parent.name, 'host', host, chain.parent));
  path.where.push(host);
  if (chain.trunk && chain.vlanId !== undefined) {
    path.hops.push(hopOf(chain.trunk.name, 'host', host, chain.trunk));
    path.where.push(host);
    path.facts.push({ kind: 'vlan-tag-expected', vlanId: chain.vlanId, trunk: chain.trunk.name, parent: chain.parent.name });
  }
  if (dest && hostLinks.some((l) => addrsOf(l).includes(dest))) {
    path.facts.push({
      kind: 'parent-child-isolation', driver: own.kind, parent: chain.parent.name,
      child: { name: path.target.name, addr: path.addrs[0] ?? '' }, peer: 'host', from: 'child', childRange: await ownRange(path),
    });
  }
}

/** To another child of the same engine: the macvlan driver switches the frames between children, the parent never sees them. */
async function siblingChild(path: DiscoveredPath, dest: string): Promise<boolean> {
  const { docker } = path.target;
  const child = await childHolding(docker, dest);
  if (!docker || !child) return false;
  const other = await inspectContainer(docker, child.name);
  const otherNs = netnsOfPid(other.pid, `container:${other.name}`);
  const otherOwn = (await listLinks(otherNs)).find((l) => isChildLink(l) && addrsOf(l).includes(dest));
  if (!otherOwn) return false;
  path.hops.push(hopOf(`${other.name} ${otherOwn.name}`, 'container', otherNs, otherOwn));
  path.where.push(otherNs);
  path.notes.push(`${dest} is container ${other.name}, a ${child.driver} child of the same engine: frames between children are switched inside the ${child.driver} driver, so its parent does not see them and is not captured`);
  return true;
}

/**
 * The host (or a container it routes) sends to a macvlan/ipvlan child through the child's own
 * parent: the kernel filters that traffic. Recorded as a fact when the route's device is the parent.
 */
export async function noteParentToChild(path: DiscoveredPath, routeDev: string | undefined): Promise<void> {
  const dest = path.destination;
  if (!dest || !routeDev) return;
  const child: ChildOnHost | undefined = await childHolding(path.target.docker, dest);
  if (!child) return;
  // No parent option: Docker took the device of the host's default route.
  const parent = child.parent || (await defaultRouteDev(path.target.hostNetns));
  if (parent !== routeDev) return;
  path.facts.push({
    kind: 'parent-child-isolation', driver: child.driver, parent: routeDev,
    child: { name: child.name, addr: dest }, peer: path.mode === 'host' ? 'host' : 'container', from: 'peer', childRange: child.range ?? hostRoute(dest),
  });
}

/** The traced child's --ip-range, else its own address. */
async function ownRange(path: DiscoveredPath): Promise<string> {
  const addr = path.addrs[0] ?? '';
  const child = await childHolding(path.target.docker, addr);
  return child?.range ?? hostRoute(addr);
}
