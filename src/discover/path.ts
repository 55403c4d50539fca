import type { Hop } from '../model.js';
import { ExitCode, FatalError } from '../errors.js';
import { addrsOf, defaultRouteDev, defaultRoutes, listLinks, networkOf, routeTo, type DefaultRoute, type Link, type RouteChoice } from './links.js';
import { readNatRules, type NatRules } from './nat.js';
import { isOwnNetns, netnsInode, netnsOfPid, type Netns } from './netns.js';
import { containerByIp, inspectContainer } from './docker.js';
import type { ResolvedTarget } from './target.js';
import { isChildLink, type PathFact } from './macvlan.js';
import { followParent, noteParentToChild } from './child-path.js';
import { hopOf } from './hops.js';
import type { DiscoveredPath } from './discovered-path.js';

export type { DiscoveredPath, PathMode } from './discovered-path.js';

export async function discoverPath(target: ResolvedTarget, destination?: string): Promise<DiscoveredPath> {
  const mode = target.container?.networkMode;
  if (mode === 'host' || netnsInode(target.netns) === netnsInode(target.hostNetns)) return hostModePath(target, destination);
  const links = await listLinks(target.netns);
  const outward = links.filter((l) => l.name !== 'lo' && l.kind !== 'loopback');
  if (mode === 'none' || outward.length === 0) return noneModePath(target, destination);
  const containerRoute = destination ? await routeTo(target.netns, destination) : undefined;
  const routeDev = containerRoute?.dev ?? (await defaultRouteDev(target.netns));
  const own = outward.find((l) => l.name === routeDev) ?? outward.find((l) => l.cidrs.length > 0) ?? outward[0]!;
  refuseUnsupported(target, own);
  const base = emptyPath(target, destination, own);
  base.containerRoute = containerRoute;
  base.notes.push(`host side: ${target.hostNetnsReason}`);
  if (containerRoute?.type === 'local') base.notes.push(`${destination} is an address of ${target.name} itself: no packet leaves it`);
  if (isChildLink(own)) {
    await followParent(base, own);
    return base;
  }
  await followVeth(base, own);
  if (!destination) base.defaultRoutes = await defaultRoutes(target.hostNetns);
  // Only traffic that leaves by the uplink needs SNAT; delivered on the host or to a neighbour, it does not.
  const out = base.hops.find((h) => h.role === 'uplink')?.iface;
  base.nat = await readNatRules(target.hostNetns, { addrs: base.addrs, subnets: base.subnets, bridge: bridgeName(base), out });
  return base;
}

function emptyPath(target: ResolvedTarget, destination: string | undefined, own: Link): DiscoveredPath {
  return {
    target,
    mode: 'veth',
    hops: [hopOf(`${target.name} ${own.name}`, 'container', target.netns, own)],
    where: [target.netns],
    destination,
    nat: { rules: [] },
    addrs: addrsOf(own),
    subnets: own.cidrs.map(networkOf),
    uplinkAddrs: [],
    notes: [],
    facts: [],
  };
}

function bridgeName(path: DiscoveredPath): string | undefined {
  return path.hops.find((h) => h.role === 'bridge')?.iface;
}

/** Overlay and other paths have no veth or parent to follow: say so instead of guessing. */
function refuseUnsupported(target: ResolvedTarget, own: Link): void {
  const followed = ['bridge', 'host', 'null', 'macvlan', 'ipvlan'];
  const driver = Object.values(target.drivers).find((d) => !followed.includes(d));
  const kind = own.kind || 'unknown';
  if ((kind === 'veth' || isChildLink(own)) && !driver) return;
  const what = driver ? `Docker network driver ${driver}` : `interface type ${kind} (${own.name})`;
  throw new FatalError(
    `${target.description}: ${what} is not supported yet: hoptrace follows veth, bridge, macvlan and ipvlan paths only`,
    ExitCode.ENVIRONMENT,
  );
}

/** container iface -> its veth peer on the host -> the bridge it is enslaved to -> the way out. */
async function followVeth(path: DiscoveredPath, own: Link): Promise<void> {
  const host = path.target.hostNetns;
  const hostLinks = await listLinks(host);
  const peer = hostLinks.find((l) => l.ifindex === own.peerIndex && l.kind === 'veth' && l.peerIndex === own.ifindex);
  if (!peer) {
    throw new FatalError(
      `the host side of ${path.target.name}'s ${own.name} (veth peer ifindex ${own.peerIndex ?? '?'}) is not in network namespace ${host.label}`,
      ExitCode.ENVIRONMENT,
      'pass --host-netns <name|path> for the namespace that holds the veth peer',
    );
  }
  path.hops.push(hopOf(peer.name, 'veth', host, peer));
  path.where.push(host);
  const bridge = peer.master ? hostLinks.find((l) => l.name === peer.master) : undefined;
  if (bridge) {
    path.mode = 'bridge';
    path.hops.push(hopOf(bridge.name, 'bridge', host, bridge));
    path.where.push(host);
  }
  await addWayOut(path, hostLinks, bridge ?? peer);
}

async function addWayOut(path: DiscoveredPath, hostLinks: Link[], inner: Link): Promise<void> {
  const host = path.target.hostNetns;
  const dest = path.destination;
  const route = dest ? await routeTo(host, dest) : undefined;
  path.route = route;
  if (route?.type === 'local') {
    path.notes.push(`${dest} is an address of the host (${route.dev === 'lo' ? 'delivered locally' : route.dev}): the path ends at ${inner.name}`);
    return;
  }
  if (dest && !route) path.notes.push(`the host has no route to ${dest}: the path ends at ${inner.name}`);
  if (route?.dev === inner.name) return addNeighbourContainer(path, hostLinks, inner);
  const uplinkName = route?.dev ?? (dest ? undefined : await inboundUplink(path, hostLinks));
  const uplink = hostLinks.find((l) => l.name === uplinkName);
  if (!uplink) {
    if (!dest) path.notes.push(`the host has no default route: the path ends at ${inner.name}`);
    return;
  }
  path.hops.push(hopOf(uplink.name, 'uplink', host, uplink));
  path.where.push(host);
  path.uplinkAddrs = addrsOf(uplink);
  if (!dest) addLoopback(path, hostLinks);
  await noteParentToChild(path, route?.dev);
}

/**
 * watch of a container with published TCP ports: the host's lo too, where docker-proxy accepts
 * the connections made from the host itself before relaying them from the bridge's address
 * (src/evidence/relay-source.ts keeps it off the path: it only ties the two connections).
 */
function addLoopback(path: DiscoveredPath, hostLinks: Link[]): void {
  const lo = hostLinks.find((l) => l.name === 'lo');
  if (!lo || !(path.target.container?.ports ?? []).some((p) => p.containerPort.endsWith('/tcp'))) return;
  path.hops.push(hopOf('lo', 'host', path.target.hostNetns, lo));
  path.where.push(path.target.hostNetns);
  path.notes.push("lo of the host is captured too, off the path: a connection to a published port made from the host itself goes to Docker's userland proxy (docker-proxy), when it runs, which opens its own from the bridge's address");
}

/** Without a destination: the interface owning a published port's address, else the default route's. */
async function inboundUplink(path: DiscoveredPath, hostLinks: Link[]): Promise<string | undefined> {
  const bound = (path.target.container?.ports ?? []).map((p) => p.hostIp).filter((ip) => ip && ip !== '0.0.0.0' && ip !== '::');
  const owner = hostLinks.find((l) => addrsOf(l).some((a) => bound.includes(a)));
  if (owner) return owner.name;
  return defaultRouteDev(path.target.hostNetns);
}

/** A destination on the same bridge: when Docker knows the container holding it, follow its veth too. */
async function addNeighbourContainer(path: DiscoveredPath, hostLinks: Link[], bridge: Link): Promise<void> {
  const { docker, container } = path.target;
  const dest = path.destination!;
  const network = container?.networks.find((n) => n.ip === path.addrs[0]) ?? container?.networks[0];
  const otherId = docker && network ? await containerByIp(docker, network.id, dest) : undefined;
  if (!docker || !otherId) {
    path.notes.push(`${dest} is on ${bridge.name} but no container holding it was found: the path ends at ${bridge.name}`);
    return;
  }
  const other = await inspectContainer(docker, otherId);
  const otherNs = netnsOfPid(other.pid, `container:${other.name}`);
  const otherLinks = await listLinks(otherNs);
  const otherOwn = otherLinks.find((l) => addrsOf(l).includes(dest));
  const otherPeer = hostLinks.find((l) => otherOwn && l.ifindex === otherOwn.peerIndex && l.kind === 'veth');
  if (!otherOwn || !otherPeer) {
    path.notes.push(`${dest} is container ${other.name}, whose veth was not found: the path ends at ${bridge.name}`);
    return;
  }
  path.hops.push(hopOf(otherPeer.name, 'veth', path.target.hostNetns, otherPeer));
  path.hops.push(hopOf(`${other.name} ${otherOwn.name}`, 'container', otherNs, otherOwn));
  path.where.push(path.target.hostNetns, otherNs);
  path.notes.push(`${dest} is container ${other.name} on the same bridge: no NAT on this path`);
}

/**
 * Network mode host: the container's packets are the host's own. One hop, the interface the
 * route takes (lo for a local destination), filtered to the flow's addresses and port.
 */
async function hostModePath(target: ResolvedTarget, destination?: string): Promise<DiscoveredPath> {
  const host = target.hostNetns;
  const links = await listLinks(host);
  const route = destination ? await routeTo(host, destination) : undefined;
  const dev = route?.type === 'local' ? 'lo' : (route?.dev ?? (await defaultRouteDev(host)));
  const link = links.find((l) => l.name === dev);
  const own = route?.prefsrc ? [route.prefsrc] : route?.type === 'local' ? [destination!] : link ? addrsOf(link) : [];
  const path: DiscoveredPath = {
    target,
    mode: 'host',
    hops: link ? [{ ...hopOf(link.name, 'host', host, link), addrs: own }] : [],
    where: link ? [host] : [],
    destination,
    route,
    nat: { rules: [] },
    addrs: own,
    subnets: [],
    uplinkAddrs: [],
    notes: [
      `${target.description} uses the host's network stack (network mode host): the path has one hop, ${dev ?? 'none found'}, and no NAT (no veth, no bridge)`,
    ],
    facts: [],
  };
  if (route?.type === 'local') path.notes.push(`${destination} is an address of the host: its packets go over lo`);
  if (!isOwnNetns(host)) path.notes.push(`host side: ${target.hostNetnsReason}`);
  if (route?.type !== 'local') await noteParentToChild(path, route?.dev);
  return path;
}

function noneModePath(target: ResolvedTarget, destination?: string): DiscoveredPath {
  return {
    target,
    mode: 'none',
    hops: [],
    where: [],
    destination,
    nat: { rules: [] },
    addrs: [],
    subnets: [],
    uplinkAddrs: [],
    notes: [`${target.description} has only a loopback interface (network mode none): nothing can leave it`],
    facts: [],
  };
}

/**
 * A path nothing can be traced on, said before any capture starts: network mode none (exit 1,
 * the flow cannot be ok, with the fix), or no interface found to capture on (exit 4).
 */
export function refuseUntraceable(path: DiscoveredPath): void {
  if (path.mode === 'none') {
    throw new FatalError(
      `${path.target.description} has network mode none: it has only a loopback interface, so no packet can leave it`,
      ExitCode.NOT_OK,
      path.target.container
        ? `connect it to a network: docker network disconnect none ${path.target.container.name} && docker network connect bridge ${path.target.container.name} (or run it again with --network bridge)`
        : 'give the namespace an interface with a route out',
    );
  }
  if (path.hops.length === 0) throw new FatalError(`${path.target.description}: no interface to capture on`, ExitCode.ENVIRONMENT);
}
