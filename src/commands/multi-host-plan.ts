// The decisions of a trace across Docker hosts (commands/multi-host-trace.ts), apart from the
// Docker calls that gather what they decide on: which host's container is meant, which overlay
// network, where the far end of the path is, each leg's hops, the capture filters, the notes
// and the trace's description. Tested on paths discovered from the lab's saved output.
import type { Hop } from '../model.js';
import { EnvironmentError, InputError } from '../errors.js';
import type { LiveTraceRequest } from './live-trace.js';
import type { OverlayPath, OverlayPeer } from '../discover/overlay.js';
import type { ClockOffset } from '../capture/remote/transport.js';
import type { RemoteTap } from '../capture/remote/transport.js';
import { inCidr } from '../addresses.js';

/** A host of the trace, as far as these decisions need it. */
export interface Named {
  readonly name: string;
}

export interface Leg<N extends Named = Named> {
  node: N;
  hops: Hop[];
  netns: (string | undefined)[];
}

/** What a host's engine said of the container reference (undefined: not there). */
export interface Found<N extends Named = Named> {
  node: N;
  container: { Id: string; Name: string; NetworkSettings: { Networks: Record<string, { NetworkID: string; IPAddress: string }> } };
}

/** As Docker resolves a reference: a full id or a name before an id prefix ("c1" may also begin another host's container id). */
export function choosePlaced<P extends Found>(found: (P | undefined)[], ref: string, nodes: Named[]): P {
  const any = found.filter((f): f is P => f !== undefined);
  const exact = any.filter((f) => f.container.Id === ref || f.container.Name === `/${ref}`);
  const hits = exact.length > 0 ? exact : any;
  if (hits.length === 0) throw new EnvironmentError(`container ${ref} runs on none of the hosts ${nodes.map((n) => n.name).join(', ')}`);
  if (hits.length > 1) throw new InputError(`container ${ref} is on several hosts (${hits.map((h) => h.node.name).join(', ')}): name it by id`);
  return hits[0]!;
}

/** A network the container is on, if it is an overlay (from the engine's network inspect). */
export function overlayEntry(id: string, info: { Driver?: string; IPAM?: { Config?: { Subnet?: string }[] } } | undefined): { id: string; subnet?: string } | undefined {
  return info?.Driver === 'overlay' ? { id, subnet: info.IPAM?.Config?.[0]?.Subnet } : undefined;
}

/** The container's overlay network: the one whose subnet holds the destination, else its only overlay network. */
export function chooseOverlay(overlays: { id: string; subnet?: string }[], destination: string | undefined, placed: Found): string {
  const name = placed.container.Name.replace(/^\//, '');
  const holding = destination ? overlays.find((o) => o.subnet && inCidr(destination, o.subnet)) : undefined;
  if (holding) return holding.id;
  if (overlays.length === 0) throw new EnvironmentError(`container ${name} on host ${placed.node.name} is on no overlay network: trace it without --host`);
  return overlays[0]!.id;
}

/** The container holding `addr`, as the peer's engine lists the network's containers. */
export function containerHolding(containers: Record<string, { IPv4Address?: string }> | undefined, addr: string): string | undefined {
  return Object.entries(containers ?? {}).find(([, c]) => c.IPv4Address?.split('/')[0] === addr)?.[0];
}

/**
 * Where the path ends: outside the overlay (a destination beyond its subnet, through eth1 and
 * docker_gwbridge), at a peer on the overlay, at the one peer a watch follows, or on this host.
 */
export type FarEnd = { kind: 'outside' } | { kind: 'peer'; peer: OverlayPeer } | { kind: 'watch' } | { kind: 'here' };

export function farEnd(path: OverlayPath, dest: string | undefined, host: Named): FarEnd {
  const peer = dest ? path.peers.find((p) => p.addr === dest) : undefined;
  if (dest && !peer && path.network.subnet && !inCidr(dest, path.network.subnet)) {
    if (!path.outside) throw new EnvironmentError(`${path.container.name} on host ${host.name}: no way out of the overlay found (eth1 -> docker_gwbridge)`);
    return { kind: 'outside' };
  }
  if (peer) return { kind: 'peer', peer };
  return dest ? { kind: 'here' } : { kind: 'watch' };
}

/** --host traces a container: its reference, or bad usage. */
export function containerRef(target: LiveTraceRequest['target']): string {
  if (target.kind !== 'docker') throw new InputError('--host traces a container: give its name or id, not --pid/--netns');
  return target.ref;
}

/** The path's legs: out of the overlay, or this host's overlay leg and the far one (none when the destination is on this host). */
export async function legsFor<N extends Named>(
  end: FarEnd,
  node: N,
  path: OverlayPath,
  farLeg: (end: Extract<FarEnd, { kind: 'peer' | 'watch' }>) => Promise<Leg<N> | undefined>,
): Promise<{ legs: Leg<N>[]; outside: boolean }> {
  if (end.kind === 'outside') return { legs: [outsideLeg(node, path)], outside: true };
  const first = overlayLeg(node, path, false);
  const far = end.kind === 'here' ? undefined : await farLeg(end);
  return { legs: far ? [first, far] : [first], outside: false };
}

/** Whether a host's engine (`docker info`) is the swarm node at this underlay address. */
export function isSwarmNode(info: { Swarm?: { NodeAddr?: string } } | undefined, underlay: string): boolean {
  return info?.Swarm?.NodeAddr === underlay;
}

/** The way out of the overlay on the container's host (farEnd said there is one). */
export function outsideLeg<N extends Named>(node: N, path: OverlayPath): Leg<N> {
  const out = path.outside!;
  return { node, hops: out.hops, netns: out.where.map((w) => w.path) };
}

/** The peer is on none of the hosts given. */
export function unknownPeerHost(peer: OverlayPeer, dest: string | undefined): EnvironmentError {
  return new EnvironmentError(`${dest ?? peer.addr} is on the host at ${peer.underlay} (from the overlay), which is none of the hosts given: add --host name=endpoint for it`);
}

/** The peer's host lists no container with its address on the overlay. */
export function noPeerContainer(host: Named, peer: OverlayPeer, path: OverlayPath): EnvironmentError {
  return new EnvironmentError(`host ${host.name} lists no container with ${peer.addr} on ${path.network.name}`);
}

/** Containers only: Docker names them as tasks; the kernel's fdb also holds each host's load-balancer endpoint (lb-<network>). */
export function watchCandidates(path: OverlayPath): OverlayPeer[] {
  return path.peers.filter((p) => p.sources.includes('inspect'));
}

/** A path is a line, so a watch follows one peer: with endpoints on several hosts, or several on the other host, the user names it. */
export function watchedPeer<N extends Named>(placed: { peer: OverlayPeer; node: N }[], path: OverlayPath, nodes: Named[]): { peer: OverlayPeer; node: N } {
  if (placed.length === 0) throw new EnvironmentError(`${path.network.name} has no endpoint on the other hosts given (${nodes.map((n) => n.name).join(', ')})`);
  if (placed.length > 1) {
    const listed = placed.map((p) => `${p.peer.addr} on host ${p.node.name}`).join(', ');
    throw new InputError(`watch across hosts follows one peer, and ${path.network.name} has ${placed.length} on the hosts given (${listed}): trace one with ping/tcp/udp to its address`);
  }
  return placed[0]!;
}

/**
 * One host's part of an overlay path (the far host's reversed). On an encrypted overlay the
 * uplinks carry only IPsec ESP, where no packet of the flow can be matched: they are left out,
 * so the path goes from one host's vxlan0 to the other's, and a packet lost between them is
 * said to be lost there (in the encrypted tunnel), never at an uplink that could not see it.
 */
export function overlayLeg<N extends Named>(node: N, path: OverlayPath, reversed: boolean): Leg<N> {
  const keep = path.hops.map((hop) => !(path.network.encrypted && hop.role === 'uplink'));
  const hops = path.hops.filter((_, i) => keep[i]);
  const netns = path.where.map((w) => w.path).filter((_, i) => keep[i]);
  return { node, hops: reversed ? hops.reverse() : hops, netns: reversed ? netns.reverse() : netns };
}

/** A leg's hops, named with their host so two hosts' eth0 never share a name. */
export function onHost(leg: Leg, offset: number): { hops: Hop[]; taps: { hop: number; iface: string; netns?: string }[] } {
  const hops = leg.hops.map((hop) => ({ ...hop, name: `${leg.node.name} ${hop.name}`, host: leg.node.name }));
  const taps = hops.map((hop, i) => ({ hop: offset + i, iface: hop.iface ?? hop.name, netns: leg.netns[i] }));
  return { hops, taps };
}

/** What the reader must know about an encrypted overlay's path. */
export function encryptedNote(path: OverlayPath, legs: Leg[]): string[] {
  if (!path.network.encrypted || legs.length < 2) return [];
  const ends = legs.map((leg) => `${leg.node.name} ${leg.hops.find((h) => h.role === 'tunnel')?.name ?? 'vxlan0'}`);
  return [`${path.network.name} is an encrypted overlay (--opt encrypted: IPsec ESP between the hosts' underlay addresses): its packets cannot be matched at the uplinks, which are left out of the path; between ${ends[0]} and ${ends[1]} they travel encrypted, and a packet lost there is not placed more precisely`];
}

type PlanRequest = Pick<LiveTraceRequest, 'selector' | 'destination' | 'commandLine'>;

/** Inside the overlay every packet carries the traced address; an uplink only sees the tunnel's UDP. */
export function legFilter(hop: Hop, request: Pick<LiveTraceRequest, 'selector' | 'destination'>, path: OverlayPath, outside: boolean, uplinkAddrs: string[]): string {
  const sel = request.selector;
  const own = `host ${path.container.addr}`;
  const flow = sel.proto === 'icmp' ? 'icmp' : sel.proto === 'any' ? '' : `(${[sel.proto, sel.port ? `port ${sel.port}` : ''].filter(Boolean).join(' and ')}) or icmp`;
  if (hop.role === 'uplink' && !outside) return `udp port ${path.network.udpPort}`;
  if (hop.role === 'uplink') {
    const dest = request.destination ? `host ${request.destination}` : '';
    return [dest, ...uplinkAddrs.map((a) => `host ${a}`)].filter(Boolean).join(' or ') || 'ip';
  }
  const eth1 = path.outside?.hops[0]?.addrs[0]?.split('/')[0];
  const ownOnLeg = outside && eth1 ? `host ${eth1}` : own;
  // watch's pcap filter: on every hop that sees the inner packet (an uplink sees only the tunnel).
  const narrowed = sel.userFilter ? [flow, sel.userFilter].filter(Boolean).map((f) => `(${f})`).join(' and ') : flow;
  return narrowed ? `${ownOnLeg} and (${narrowed})` : ownOnLeg;
}

export interface TracePlan {
  /** Every leg's hops in path order, named with their host. */
  hops: Hop[];
  /** Each leg's taps (same order as the legs), `hop` indexing `hops`. */
  taps: RemoteTap[][];
  notes: string[];
  description: string;
  /** Uplinks whose tunnel packets are kept only when their inner conversation was seen inside. */
  gatedUplinks: number[];
  caveats: string[];
}

/** The whole path across the hosts, its capture filters and what the report says about them. */
export function tracePlan(legs: Leg[], clocks: Map<string, ClockOffset>, request: PlanRequest, path: OverlayPath, outside: boolean): TracePlan {
  const hops: Hop[] = [];
  const taps: RemoteTap[][] = [];
  for (const leg of legs) {
    const placed = onHost(leg, hops.length);
    const clock = clocks.get(leg.node.name)!;
    for (const hop of placed.hops) hop.clockUncertaintyUs = Math.ceil(Number(clock.uncertaintyNs) / 1000);
    hops.push(...placed.hops);
    taps.push(placed.taps.map((t) => ({ ...t, filter: '' })));
  }
  const uplinkAddrs = hops.filter((h) => h.role === 'uplink').flatMap((h) => h.addrs.map((a) => a.split('/')[0]!));
  for (const legTaps of taps) for (const tap of legTaps) tap.filter = legFilter(hops[tap.hop]!, request, path, outside, uplinkAddrs);
  const notes = [
    ...legs.map((leg) => `host ${leg.node.name}: clock offset ${Number(clocks.get(leg.node.name)!.offsetNs) / 1e6} ms +- ${Number(clocks.get(leg.node.name)!.uncertaintyNs) / 1e6} ms (tightest of 8 round trips over its Docker API)`),
    ...taps.flatMap((legTaps) => legTaps.map((t) => `capture filter at ${hops[t.hop]!.name}: ${t.filter}`)),
    ...path.notes,
  ];
  const description = `hoptrace ${request.commandLine.replace(/^hoptrace /, '')}: ${path.container.name} on host ${legs[0]!.node.name}${request.destination ? ` to ${request.destination}` : ''}, recorded live on ${legs.map((l) => l.node.name).join(' and ')}`;
  const gatedUplinks = outside ? [] : hops.flatMap((h, i) => (h.role === 'uplink' ? [i] : []));
  if (gatedUplinks.length > 0) notes.push(`at ${gatedUplinks.map((i) => hops[i]!.name).join(' and ')} only tunnel packets whose inner packet's conversation was seen at a hop inside the overlay are kept: the kernel filter there cannot look inside the tunnel`);
  return { hops, taps, notes, description, gatedUplinks, caveats: encryptedNote(path, legs) };
}

/** The traffic's command in the container, started by a shell that says its pid first (so it can be ended). */
export function execCommand(cmd: string[]): string[] {
  return ['sh', '-c', 'echo $$; exec "$@"', 'sh', ...cmd];
}

/** The shell's pid, once its first line is complete. */
export function shellPid(text: string): string | undefined {
  return /^(\d+)\n/.exec(text)?.[1];
}

/** What the traffic run in the container did, said when it ends. */
export function execExitLine(cmd: string[], container: string, host: Named, exitCode: number | null): string {
  return `${cmd.join(' ')} in ${container.slice(0, 12)} on host ${host.name}: exit ${exitCode}`;
}

/** The traffic could not be run in the container. */
export function execFailedLine(cmd: string[], host: Named, error: Error): string {
  return `warning: could not run ${cmd[0]} in the container on host ${host.name}: ${error.message}`;
}
