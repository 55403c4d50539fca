// Path discovery on a Docker overlay (swarm VXLAN) network, on one host.
//   container eth0 -> veth into the overlay's own namespace (<exec-root>/netns/1-<net id[:10]>)
//   -> br0 -> vxlan0 (VNI, UDP port) -> the host uplink that routes to the peer's underlay address;
//   for destinations outside the overlay: eth1 -> host veth -> docker_gwbridge -> uplink (MASQUERADE).
// The facts are read once (netlink JSON, bridge fdb, Docker's verbose network inspect) by
// collectOverlayFacts; everything after that is pure, so it is tested on output saved from a lab.
import { dirname } from 'node:path';
import type Docker from 'dockerode';
import type { Hop } from '../model.js';
import { inCidr } from '../addresses.js';
import { addrsOf, networkOf, parseLinks, type Link } from './links.js';
import { filterNatRules } from './nat.js';
import { runIn, type Netns, type RunResult } from './netns.js';

/** A command to run in a namespace of the host being examined (locally: nsenter; remotely: in a helper). */
export interface NsCommand {
  ns: Netns;
  cmd: string;
  args: string[];
}
export type CommandRunner = (commands: NsCommand[]) => Promise<RunResult[]>;

/** Everything read on one host, as the tools print it; saved verbatim for the unit tests. */
export interface OverlayFacts {
  container: { Id: string; Name: string; State: { Pid: number }; NetworkSettings: { SandboxKey: string; Networks: Record<string, { NetworkID: string; IPAddress: string }> } };
  /** GET /networks/<id>?verbose=true */
  network: NetworkInspect;
  containerLinks: unknown[];
  containerRoutes: RouteRow[];
  overlayLinks: unknown[];
  /** `bridge -j fdb show dev vxlan0` and `ip -j neigh show dev vxlan0` in the overlay namespace. */
  fdb: FdbRow[];
  neigh: NeighRow[];
  hostLinks: unknown[];
  hostRoutes: RouteRow[];
  /** `iptables-save -t nat` on the host; undefined when it could not be read. */
  hostNat?: string;
}

interface NetworkInspect {
  Id: string;
  Name: string;
  Driver: string;
  Options?: Record<string, string>;
  IPAM?: { Config?: { Subnet?: string }[] };
  Containers?: Record<string, { Name: string; MacAddress: string; IPv4Address: string }>;
  Services?: Record<string, { Tasks?: { Name: string; EndpointIP: string; Info?: Record<string, string> }[] }>;
}
interface RouteRow { dst: string; dev?: string; gateway?: string }
interface FdbRow { mac: string; dst?: string; master?: string; state?: string }
interface NeighRow { dst: string; lladdr?: string }

export interface OverlayPeer {
  /** The endpoint's address on the overlay. */
  addr: string;
  mac?: string;
  /** The underlay address of the host that holds it (VXLAN destination). */
  underlay: string;
  /** Where the mapping was read: the kernel's forwarding database, Docker's network inspect, or both. */
  sources: ('fdb' | 'inspect')[];
  /** Container (task) name, when Docker named it. */
  name?: string;
  /** Docker's network inspect names another host than the kernel's fdb (which is what the kernel uses). */
  inspectUnderlay?: string;
}

export interface OverlayPath {
  /**
   * `encrypted`: created with `--opt encrypted` (Docker's inspect lists an "encrypted" option):
   * between the hosts the VXLAN travels inside IPsec ESP, so no capture at an uplink can see the
   * inner packet (or even its VNI).
   */
  network: { id: string; name: string; subnet?: string; vni: number; udpPort: number; encrypted: boolean };
  container: { id: string; name: string; addr: string };
  /** container eth0, its veth in the overlay namespace, br0, vxlan0, the uplink towards the peers. */
  hops: Hop[];
  /** The namespace file each hop's interface is in, same order as hops. */
  where: Netns[];
  /** Endpoints on other hosts, and the underlay address their frames are sent to. */
  peers: OverlayPeer[];
  /** Endpoints on this host (reached through br0, never through vxlan0). */
  local: { addr: string; name: string }[];
  /** The way out of the overlay: eth1 -> docker_gwbridge -> uplink, with the NAT rules that match it (undefined: not read). */
  outside?: { hops: Hop[]; where: Netns[]; subnet: string; natRules?: string[] };
  notes: string[];
}

export interface OverlayNamespaces {
  container: Netns;
  overlay: Netns;
  host: Netns;
}

/** The overlay network's own namespace: <dir of the container's SandboxKey>/1-<first 10 chars of the network id>. */
export function overlayNetnsPath(sandboxKey: string, networkId: string): string {
  return `${dirname(sandboxKey)}/1-${networkId.slice(0, 10)}`;
}

/** Peers from the kernel (neigh: IP -> MAC, fdb: MAC -> underlay) merged with Docker's view (task -> host IP). */
export function overlayPeers(facts: Pick<OverlayFacts, 'fdb' | 'neigh' | 'network'>): OverlayPeer[] {
  const byAddr = new Map<string, OverlayPeer>();
  for (const n of facts.neigh) {
    const entry = facts.fdb.find((f) => f.mac === n.lladdr && f.dst !== undefined);
    if (entry?.dst) byAddr.set(n.dst, { addr: n.dst, mac: n.lladdr, underlay: entry.dst, sources: ['fdb'] });
  }
  const locals = new Set(localEndpoints(facts.network).map((e) => e.addr));
  for (const task of Object.values(facts.network.Services ?? {}).flatMap((s) => s.Tasks ?? [])) {
    const underlay = task.Info?.['Host IP'];
    if (!underlay || locals.has(task.EndpointIP)) continue;
    const known = byAddr.get(task.EndpointIP);
    if (known && known.underlay === underlay) {
      known.sources.push('inspect');
      known.name = task.Name;
    } else if (known) {
      known.inspectUnderlay = underlay;
    } else {
      byAddr.set(task.EndpointIP, { addr: task.EndpointIP, underlay, sources: ['inspect'], name: task.Name });
    }
  }
  return [...byAddr.values()].sort((a, b) => a.addr.localeCompare(b.addr, 'en', { numeric: true }));
}

function localEndpoints(network: NetworkInspect): { addr: string; name: string }[] {
  return Object.values(network.Containers ?? {}).map((c) => ({ addr: c.IPv4Address.split('/')[0]!, name: c.Name }));
}

/** The route a host takes to `dest`: longest matching prefix of its main table. */
export function routeFor(routes: RouteRow[], dest: string): RouteRow | undefined {
  const prefixLen = (r: RouteRow): number => (r.dst === 'default' ? 0 : Number(r.dst.split('/')[1] ?? 32));
  return routes
    .filter((r) => r.dev && (r.dst === 'default' || inCidr(dest, r.dst)))
    .sort((a, b) => prefixLen(b) - prefixLen(a))[0];
}

const hopOf = (name: string, role: Hop['role'], ns: Netns, link: Link): Hop =>
  ({ name, role, netns: ns.label, iface: link.name, addrs: addrsOf(link), mtu: link.mtu });

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new OverlayDiscoveryError(what);
  return value;
}

/** The overlay is not as expected (no vxlan0, no veth peer...): says what is missing, where. */
export class OverlayDiscoveryError extends Error {}

/** The overlay path of `facts.container` on network `facts.network`, from the facts alone. */
export function overlayPath(facts: OverlayFacts, ns: OverlayNamespaces): OverlayPath {
  const net = facts.network;
  const name = facts.container.Name.replace(/^\//, '');
  const attachment = Object.values(facts.container.NetworkSettings.Networks).find((n) => n.NetworkID === net.Id);
  const addr = need(attachment, `${name} is not attached to network ${net.Name}`).IPAddress;
  const cLinks = parseLinks(facts.containerLinks as never);
  const oLinks = parseLinks(facts.overlayLinks as never);
  const hLinks = parseLinks(facts.hostLinks as never);
  const eth0 = need(cLinks.find((l) => l.cidrs.some((c) => c.split('/')[0] === addr)), `${name} has no interface with ${addr}`);
  const veth = need(oLinks.find((l) => l.ifindex === eth0.peerIndex), `no veth peer of ${name} ${eth0.name} (ifindex ${eth0.peerIndex}) in ${ns.overlay.label}`);
  const br = need(oLinks.find((l) => l.name === veth.master), `${veth.name} in ${ns.overlay.label} is on no bridge`);
  const vxlan = need(oLinks.find((l) => l.kind === 'vxlan' && l.master === br.name), `no vxlan link on ${br.name} in ${ns.overlay.label}`);
  const info = vxlanInfo(facts.overlayLinks, vxlan.name);
  const peers = overlayPeers(facts);
  const notes: string[] = [];
  const uplinkRoute = peers[0] ? routeFor(facts.hostRoutes, peers[0].underlay) : undefined;
  const uplink = uplinkRoute ? hLinks.find((l) => l.name === uplinkRoute.dev) : undefined;
  if (!uplink) notes.push(peers.length === 0 ? `no endpoint of ${net.Name} on another host: nothing leaves through ${vxlan.name}` : `no route to ${peers[0]!.underlay} on the host`);
  const hops = [
    hopOf(`${name} ${eth0.name}`, 'container', ns.container, eth0),
    hopOf(`${ns.overlay.label} ${veth.name}`, 'veth', ns.overlay, veth),
    hopOf(`${ns.overlay.label} ${br.name}`, 'bridge', ns.overlay, br),
    hopOf(`${ns.overlay.label} ${vxlan.name}`, 'tunnel', ns.overlay, vxlan),
    ...(uplink ? [hopOf(uplink.name, 'uplink', ns.host, uplink)] : []),
  ];
  for (const p of peers.filter((p) => p.inspectUnderlay)) notes.push(`${p.addr}: the kernel fdb sends it to ${p.underlay}, Docker's network inspect says ${p.inspectUnderlay}`);
  for (const p of peers.filter((p) => p.sources.length === 1 && !p.inspectUnderlay)) notes.push(`${p.addr} -> ${p.underlay} known only from ${p.sources[0] === 'fdb' ? 'the kernel fdb' : "Docker's network inspect"}`);
  return {
    network: { id: net.Id, name: net.Name, subnet: net.IPAM?.Config?.[0]?.Subnet, vni: info.vni, udpPort: info.port, encrypted: isEncrypted(net) },
    container: { id: facts.container.Id, name, addr },
    hops,
    where: [ns.container, ns.overlay, ns.overlay, ns.overlay, ...(uplink ? [ns.host] : [])],
    peers,
    local: localEndpoints(net).filter((e) => e.addr !== addr),
    outside: outsidePath(facts, ns, name, cLinks, hLinks),
    notes,
  };
}

/** Docker keeps `--opt encrypted` as an option of that name (its value is empty). */
export function isEncrypted(network: Pick<NetworkInspect, 'Options'>): boolean {
  return Object.prototype.hasOwnProperty.call(network.Options ?? {}, 'encrypted');
}

function vxlanInfo(rows: unknown[], name: string): { vni: number; port: number } {
  const row = (rows as { ifname: string; linkinfo?: { info_data?: { id?: number; port?: number } } }[]).find((r) => r.ifname === name);
  const data = row?.linkinfo?.info_data;
  if (data?.id === undefined) throw new OverlayDiscoveryError(`${name}: no VXLAN id in ip -d link (run ip with -d)`);
  // Linux's default VXLAN port is 8472 when none is given; Docker always sets one (4789 unless --data-path-port).
  return { vni: data.id, port: data.port ?? 8472 };
}

function outsidePath(facts: OverlayFacts, ns: OverlayNamespaces, name: string, cLinks: Link[], hLinks: Link[]): OverlayPath['outside'] {
  const route = routeFor(facts.containerRoutes, '0.0.0.0');
  const eth = route ? cLinks.find((l) => l.name === route.dev) : undefined;
  const veth = eth ? hLinks.find((l) => l.ifindex === eth.peerIndex && l.kind === 'veth') : undefined;
  const bridge = veth ? hLinks.find((l) => l.name === veth.master) : undefined;
  const hostDefault = routeFor(facts.hostRoutes, '0.0.0.0');
  const uplink = hostDefault ? hLinks.find((l) => l.name === hostDefault.dev) : undefined;
  if (!eth || !veth || !bridge || !uplink) return undefined;
  const subnet = networkOf(eth.cidrs.find((c) => c.includes('.')) ?? '');
  return {
    hops: [
      hopOf(`${name} ${eth.name}`, 'container', ns.container, eth),
      hopOf(veth.name, 'veth', ns.host, veth),
      hopOf(bridge.name, 'bridge', ns.host, bridge),
      hopOf(uplink.name, 'uplink', ns.host, uplink),
    ],
    where: [ns.container, ns.host, ns.host, ns.host],
    subnet,
    natRules: facts.hostNat === undefined ? undefined : filterNatRules(facts.hostNat, { addrs: addrsOf(eth), subnets: [subnet], bridge: bridge.name }),
  };
}

/** The commands discovery runs, all at once (remotely they share one helper container). */
export const localRunner: CommandRunner = (commands) => Promise.all(commands.map((c) => runIn(c.ns, c.cmd, c.args)));

/** Reads the facts on one host: the container and network from its engine, the rest from netlink. */
export async function collectOverlayFacts(
  docker: Docker, containerRef: string, networkRef: string, host: Netns, run: CommandRunner = localRunner,
): Promise<{ facts: OverlayFacts; namespaces: OverlayNamespaces }> {
  const container = (await docker.getContainer(containerRef).inspect()) as unknown as OverlayFacts['container'];
  // Typed without options in @types/dockerode; the engine reads ?verbose=true for the peers' tasks.
  const handle = docker.getNetwork(networkRef);
  const network = await (handle.inspect as unknown as (opts: object) => Promise<NetworkInspect>).call(handle, { verbose: true });
  if (network.Driver !== 'overlay') throw new OverlayDiscoveryError(`network ${network.Name} uses driver ${network.Driver}, not overlay`);
  const name = container.Name.replace(/^\//, '');
  const namespaces: OverlayNamespaces = {
    container: { label: `container:${name}`, path: `/proc/${container.State.Pid}/ns/net` },
    overlay: { label: `overlay:${network.Name}`, path: overlayNetnsPath(container.NetworkSettings.SandboxKey, network.Id) },
    host,
  };
  const { container: c, overlay: o } = namespaces;
  const commands: NsCommand[] = [
    [c, 'ip', ['-d', 'addr', 'show']], [c, 'ip', ['route', 'show']], [o, 'ip', ['-d', 'addr', 'show']],
    [o, 'bridge', ['fdb', 'show', 'dev', 'vxlan0']], [o, 'ip', ['neigh', 'show', 'dev', 'vxlan0']],
    [host, 'ip', ['-d', 'addr', 'show']], [host, 'ip', ['route', 'show']],
  ].map(([ns, cmd, args]) => ({ ns: ns as Netns, cmd: cmd as string, args: ['-j', ...(args as string[])] }));
  const results = await run([...commands, { ns: host, cmd: 'iptables-save', args: ['-t', 'nat'] }]);
  const json = (i: number): never => {
    const { ns, cmd, args } = commands[i]!;
    const r = results[i]!;
    if (r.code !== 0) throw new OverlayDiscoveryError(`${cmd} ${args.join(' ')} in ${ns.label} failed: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
    return (r.stdout.trim() === '' ? [] : JSON.parse(r.stdout)) as never;
  };
  const nat = results[commands.length]!;
  const facts: OverlayFacts = {
    container, network,
    containerLinks: json(0), containerRoutes: json(1), overlayLinks: json(2), fdb: json(3), neigh: json(4),
    hostLinks: json(5), hostRoutes: json(6),
    hostNat: nat.code === 0 ? nat.stdout : undefined,
  };
  return { facts, namespaces };
}
