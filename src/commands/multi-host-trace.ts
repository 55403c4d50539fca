// A live trace across Docker hosts (`--host name=endpoint`): the container is found on
// whichever host runs it, the overlay path discovered there and, for a destination on the
// overlay, on the peer's host too; a capture helper runs on each host through its Docker
// API, and their frames feed the one pipeline (runTrace) like any other source.
import type Docker from 'dockerode';
import { PassThrough } from 'node:stream';
import type { Hop, Report } from '../model.js';
import { EnvironmentError, InputError } from '../errors.js';
import { runTrace } from '../pipeline/run-trace.js';
import type { LiveTraceRequest, Presenter } from './live-trace.js';
import type { Interrupt } from './interrupt.js';
import { DockerCaptureNode, NodeError } from '../capture/remote/docker-node.js';
import { EndpointError } from '../capture/remote/endpoint.js';
import { packageVersion, planHelperImage } from '../capture/remote/image.js';
import { remoteSource, type NodeCapture } from '../capture/remote/source.js';
import { collectOverlayFacts, OverlayDiscoveryError, overlayPath, type OverlayPath, type OverlayPeer } from '../discover/overlay.js';
import { inCidr } from '../addresses.js';

export interface HostSpec {
  name: string;
  endpoint: string;
}

/** `--host h2=tcp://203.0.113.3:2375`, or `--host h1` for DOCKER_HOST (else the local socket). */
export function parseHostSpecs(values: string[], env: NodeJS.ProcessEnv = process.env): HostSpec[] {
  const specs = values.map((value) => {
    const at = value.indexOf('=');
    const name = at < 0 ? value : value.slice(0, at);
    const endpoint = at < 0 ? env.DOCKER_HOST || 'unix:///var/run/docker.sock' : value.slice(at + 1);
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/.test(name)) throw new InputError(`--host ${value}: the name must be letters, digits, '.', '_' or '-' (e.g. --host h2=tcp://203.0.113.3:2375)`);
    if (!/^(unix|tcp|ssh):\/\/./.test(endpoint)) throw new InputError(`--host ${value}: the endpoint must be unix:///path, tcp://host:port or ssh://user@host`);
    return { name, endpoint };
  });
  const names = new Set<string>();
  for (const spec of specs) {
    if (names.has(spec.name)) throw new InputError(`--host ${spec.name} is given twice`);
    names.add(spec.name);
  }
  return specs;
}

/** Every host answers and has the helper image, or the trace does not start (exit 4, naming the host). */
async function prepareNodes(specs: HostSpec[]): Promise<DockerCaptureNode[]> {
  // Planned once: its files are hashed for the tag, and every node gets the same image.
  const plan = planHelperImage(packageVersion());
  plan.catch(() => undefined);
  const nodes = specs.map((spec) => {
    try {
      return new DockerCaptureNode(spec.name, spec.endpoint, plan);
    } catch (error) {
      if (error instanceof EndpointError) throw new InputError(`--host ${spec.name}: ${error.message}`);
      throw error;
    }
  });
  const prepared = await Promise.allSettled(nodes.map(async (node) => {
    await node.prepare();
    await node.removeLeftovers();
  }));
  const failed = prepared.flatMap((r) => (r.status === 'rejected' ? [(r.reason as Error).message] : []));
  if (failed.length > 0) throw new EnvironmentError(failed.join('; '));
  return nodes;
}

interface Placed {
  node: DockerCaptureNode;
  container: { Id: string; Name: string; NetworkSettings: { Networks: Record<string, { NetworkID: string; IPAddress: string }> } };
}

async function findContainer(nodes: DockerCaptureNode[], ref: string): Promise<Placed> {
  const found = await Promise.all(nodes.map((node) => node.docker.getContainer(ref).inspect().then((c) => ({ node, container: c as unknown as Placed['container'] }), () => undefined)));
  const any = found.filter((f): f is Placed => f !== undefined);
  // As Docker resolves a reference: a full id or a name before an id prefix ("c1" may also begin another host's container id).
  const exact = any.filter((f) => f.container.Id === ref || f.container.Name === `/${ref}`);
  const hits = exact.length > 0 ? exact : any;
  if (hits.length === 0) throw new EnvironmentError(`container ${ref} runs on none of the hosts ${nodes.map((n) => n.name).join(', ')}`);
  if (hits.length > 1) throw new InputError(`container ${ref} is on several hosts (${hits.map((h) => h.node.name).join(', ')}): name it by id`);
  return hits[0]!;
}

/** The container's overlay network: the one whose subnet holds the destination, else its only overlay network. */
async function overlayNetwork(placed: Placed, destination: string | undefined): Promise<string> {
  const overlays: { id: string; subnet?: string }[] = [];
  for (const net of Object.values(placed.container.NetworkSettings.Networks)) {
    const info = (await placed.node.docker.getNetwork(net.NetworkID).inspect().catch(() => undefined)) as { Driver?: string; IPAM?: { Config?: { Subnet?: string }[] } } | undefined;
    if (info?.Driver === 'overlay') overlays.push({ id: net.NetworkID, subnet: info.IPAM?.Config?.[0]?.Subnet });
  }
  const name = placed.container.Name.replace(/^\//, '');
  const holding = destination ? overlays.find((o) => o.subnet && inCidr(destination, o.subnet)) : undefined;
  if (holding) return holding.id;
  if (overlays.length === 0) throw new EnvironmentError(`container ${name} on host ${placed.node.name} is on no overlay network: trace it without --host`);
  return overlays[0]!.id;
}

async function discoverOn(node: DockerCaptureNode, container: string, network: string): Promise<OverlayPath> {
  const { facts, namespaces } = await collectOverlayFacts(node.docker, container, network, { label: node.name }, node.commandRunner);
  return overlayPath(facts, namespaces);
}

/** The host whose swarm data-path address is the peer's underlay address. */
async function hostWithUnderlay(nodes: DockerCaptureNode[], underlay: string): Promise<DockerCaptureNode | undefined> {
  for (const node of nodes) {
    const info = (await node.docker.info().catch(() => undefined)) as { Swarm?: { NodeAddr?: string } } | undefined;
    if (info?.Swarm?.NodeAddr === underlay) return node;
  }
  return undefined;
}

/** The container holding `addr` on `network`, as the peer's engine lists it. */
async function containerWithAddress(docker: Docker, network: string, addr: string): Promise<string | undefined> {
  const info = (await docker.getNetwork(network).inspect()) as { Containers?: Record<string, { IPv4Address?: string }> };
  return Object.entries(info.Containers ?? {}).find(([, c]) => c.IPv4Address?.split('/')[0] === addr)?.[0];
}

interface Leg {
  node: DockerCaptureNode;
  hops: Hop[];
  netns: (string | undefined)[];
}

/** A leg's hops, named with their host so two hosts' eth0 never share a name. */
function onHost(leg: Leg, offset: number): { hops: Hop[]; taps: { hop: number; iface: string; netns?: string }[] } {
  const hops = leg.hops.map((hop) => ({ ...hop, name: `${leg.node.name} ${hop.name}`, host: leg.node.name }));
  const taps = hops.map((hop, i) => ({ hop: offset + i, iface: hop.iface ?? hop.name, netns: leg.netns[i] }));
  return { hops, taps };
}

async function discoverLegs(nodes: DockerCaptureNode[], request: LiveTraceRequest): Promise<{ legs: Leg[]; path: OverlayPath; outside: boolean }> {
  if (request.target.kind !== 'docker') throw new InputError('--host traces a container: give its name or id, not --pid/--netns');
  const placed = await findContainer(nodes, request.target.ref);
  const network = await overlayNetwork(placed, request.destination);
  const path = await discoverOn(placed.node, placed.container.Id, network);
  const dest = request.destination;
  const peer = dest ? path.peers.find((p) => p.addr === dest) : undefined;
  if (dest && !peer && path.network.subnet && !inCidr(dest, path.network.subnet)) {
    const out = path.outside;
    if (!out) throw new EnvironmentError(`${path.container.name} on host ${placed.node.name}: no way out of the overlay found (eth1 -> docker_gwbridge)`);
    return { legs: [{ node: placed.node, hops: out.hops, netns: out.where.map((w) => w.path) }], path, outside: true };
  }
  const first = overlayLeg(placed.node, path, false);
  const far = peer ? await peerLeg(nodes, path, peer, dest) : dest ? undefined : await watchedPeerLeg(nodes, path);
  return { legs: far ? [first, far] : [first], path, outside: false };
}

/** The far end of the overlay path: the peer's host (by its underlay address), the peer container's path there, reversed. */
async function peerLeg(nodes: DockerCaptureNode[], path: OverlayPath, peer: OverlayPeer, dest: string | undefined): Promise<Leg> {
  const peerNode = await hostWithUnderlay(nodes, peer.underlay);
  if (!peerNode) throw new EnvironmentError(`${dest ?? peer.addr} is on the host at ${peer.underlay} (from the overlay), which is none of the hosts given: add --host name=endpoint for it`);
  const peerContainer = await containerWithAddress(peerNode.docker, path.network.id, peer.addr);
  if (!peerContainer) throw new EnvironmentError(`host ${peerNode.name} lists no container with ${peer.addr} on ${path.network.name}`);
  const far = await discoverOn(peerNode, peerContainer, path.network.id);
  return overlayLeg(peerNode, far, true);
}

/**
 * `watch` names no destination: the far end is the overlay's one endpoint on the other host
 * given. A path is a line, so a watch follows one peer: with endpoints on several hosts, or
 * several on the other host, the user names it (ping/tcp/udp to its address).
 */
async function watchedPeerLeg(nodes: DockerCaptureNode[], path: OverlayPath): Promise<Leg | undefined> {
  if (nodes.length < 2) return undefined;
  const placed: { peer: OverlayPeer; node: DockerCaptureNode }[] = [];
  // Containers only: Docker names them as tasks; the kernel's fdb also holds each host's load-balancer endpoint (lb-<network>).
  for (const peer of path.peers.filter((p) => p.sources.includes('inspect'))) {
    const node = await hostWithUnderlay(nodes, peer.underlay);
    if (node) placed.push({ peer, node });
  }
  if (placed.length === 0) throw new EnvironmentError(`${path.network.name} has no endpoint on the other hosts given (${nodes.map((n) => n.name).join(', ')})`);
  if (placed.length > 1) {
    const listed = placed.map((p) => `${p.peer.addr} on host ${p.node.name}`).join(', ');
    throw new InputError(`watch across hosts follows one peer, and ${path.network.name} has ${placed.length} on the hosts given (${listed}): trace one with ping/tcp/udp to its address`);
  }
  return peerLeg(nodes, path, placed[0]!.peer, undefined);
}

/**
 * One host's part of an overlay path (the far host's reversed). On an encrypted overlay the
 * uplinks carry only IPsec ESP, where no packet of the flow can be matched: they are left out,
 * so the path goes from one host's vxlan0 to the other's, and a packet lost between them is
 * said to be lost there (in the encrypted tunnel), never at an uplink that could not see it.
 */
function overlayLeg(node: DockerCaptureNode, path: OverlayPath, reversed: boolean): Leg {
  const keep = path.hops.map((hop) => !(path.network.encrypted && hop.role === 'uplink'));
  const hops = path.hops.filter((_, i) => keep[i]);
  const netns = path.where.map((w) => w.path).filter((_, i) => keep[i]);
  return { node, hops: reversed ? hops.reverse() : hops, netns: reversed ? netns.reverse() : netns };
}

/** What the reader must know about an encrypted overlay's path. */
function encryptedNote(path: OverlayPath, legs: Leg[]): string[] {
  if (!path.network.encrypted || legs.length < 2) return [];
  const ends = legs.map((leg) => `${leg.node.name} ${leg.hops.find((h) => h.role === 'tunnel')?.name ?? 'vxlan0'}`);
  return [`${path.network.name} is an encrypted overlay (--opt encrypted: IPsec ESP between the hosts' underlay addresses): its packets cannot be matched at the uplinks, which are left out of the path; between ${ends[0]} and ${ends[1]} they travel encrypted, and a packet lost there is not placed more precisely`];
}

/** Inside the overlay every packet carries the traced address; an uplink only sees the tunnel's UDP. */
function legFilter(hop: Hop, request: LiveTraceRequest, path: OverlayPath, outside: boolean, uplinkAddrs: string[]): string {
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

export async function runMultiHostTrace(request: LiveTraceRequest & { hosts: string[] }, present: Presenter, interrupt: Interrupt): Promise<Report> {
  const nodes = await interrupt.before(prepareNodes(parseHostSpecs(request.hosts)));
  const { legs, path, outside } = await interrupt.before(discoverLegs(nodes, request)).catch((error: Error) => {
    // A host that stops answering or a namespace that cannot be read: the environment, exit 4.
    throw error instanceof NodeError || error instanceof OverlayDiscoveryError ? new EnvironmentError(error.message) : error;
  });
  const clocks = new Map<string, Awaited<ReturnType<DockerCaptureNode['measureClock']>>>();
  // Each host's clock over its own connection, all at once: one host's round trips do not delay another's.
  await Promise.all(legs.map(async (leg) => clocks.set(leg.node.name, await leg.node.measureClock(8))));
  const hops: Hop[] = [];
  const captures: NodeCapture[] = [];
  for (const leg of legs) {
    const placed = onHost(leg, hops.length);
    const clock = clocks.get(leg.node.name)!;
    for (const hop of placed.hops) hop.clockUncertaintyUs = Math.ceil(Number(clock.uncertaintyNs) / 1000);
    hops.push(...placed.hops);
    captures.push({ node: leg.node, taps: [], clock });
    captures[captures.length - 1]!.taps.push(...placed.taps.map((t) => ({ ...t, filter: '' })));
  }
  const uplinkAddrs = hops.filter((h) => h.role === 'uplink').flatMap((h) => h.addrs.map((a) => a.split('/')[0]!));
  for (const capture of captures) for (const tap of capture.taps) tap.filter = legFilter(hops[tap.hop]!, request, path, outside, uplinkAddrs);
  const notes = [
    ...legs.map((leg) => `host ${leg.node.name}: clock offset ${Number(clocks.get(leg.node.name)!.offsetNs) / 1e6} ms +- ${Number(clocks.get(leg.node.name)!.uncertaintyNs) / 1e6} ms (tightest of 8 round trips over its Docker API)`),
    ...captures.flatMap((c) => c.taps.map((t) => `capture filter at ${hops[t.hop]!.name}: ${t.filter}`)),
    ...path.notes,
  ];
  const description = `hoptrace ${request.commandLine.replace(/^hoptrace /, '')}: ${path.container.name} on host ${legs[0]!.node.name}${request.destination ? ` to ${request.destination}` : ''}, recorded live on ${legs.map((l) => l.node.name).join(' and ')}`;
  const gatedUplinks = outside ? [] : hops.flatMap((h, i) => (h.role === 'uplink' ? [i] : []));
  if (gatedUplinks.length > 0) notes.push(`at ${gatedUplinks.map((i) => hops[i]!.name).join(' and ')} only tunnel packets whose inner packet's conversation was seen at a hop inside the overlay are kept: the kernel filter there cannot look inside the tunnel`);
  const source = remoteSource({
    gatedUplinks, hops, nodes: captures, ringPackets: request.ringPackets, recordDir: request.recordDir, notes, description, caveats: encryptedNote(path, legs),
    onProblem: (line) => request.say(`warning: ${line}`),
  });
  for (const caveat of encryptedNote(path, legs)) request.say(`warning: ${caveat}`);
  const session = await runTrace(source, { ...request.trace, ...request.exports?.(source.hops, description), onRetired: request.onRetired });
  interrupt.onStop(() => session.stop());
  const traffic = request.inContainer && !interrupt.requested ? execInContainer(legs[0]!.node, path.container.id, request.inContainer, request, session.stop) : undefined;
  try {
    return await present(session);
  } finally {
    await traffic?.stop();
    session.stop();
    await session.report.catch(() => undefined);
  }
}

/**
 * The traffic, run inside the container through its own engine (docker exec), then a short
 * linger for late packets. Started by a shell that says its pid first, so that a trace ended
 * early (Ctrl-C) can end the traffic too instead of leaving it running in the container.
 */
function execInContainer(node: DockerCaptureNode, container: string, cmd: string[], request: LiveTraceRequest, stop: () => void): { stop: () => Promise<void> } {
  let pid: string | undefined;
  let done = false;
  let stream: NodeJS.ReadWriteStream | undefined;
  const run = (async () => {
    const exec = await node.docker.getContainer(container).exec({ Cmd: ['sh', '-c', 'echo $$; exec "$@"', 'sh', ...cmd], AttachStdout: true, AttachStderr: true });
    stream = (await exec.start({})) as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    node.docker.modem.demuxStream(stream, out, new PassThrough().resume());
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
      pid ??= /^(\d+)\n/.exec(text)?.[1];
    });
    await new Promise((resolve) => stream!.on('end', resolve).on('close', resolve).on('error', resolve));
    done = true;
    const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
    request.say(`${cmd.join(' ')} in ${container.slice(0, 12)} on host ${node.name}: exit ${ExitCode}`);
  })().catch((error: Error) => request.say(`warning: could not run ${cmd[0]} in the container on host ${node.name}: ${error.message}`));
  void run.then(() => setTimeout(stop, request.lingerMs).unref());
  return {
    stop: async () => {
      if (done) return;
      done = true;
      if (pid) {
        const kill = await node.docker.getContainer(container).exec({ Cmd: ['kill', pid] }).catch(() => undefined);
        await kill?.start({}).then((s: NodeJS.ReadableStream) => new Promise((resolve) => s.on('end', resolve).on('close', resolve).resume())).catch(() => undefined);
      }
      (stream as unknown as { destroy?: () => void } | undefined)?.destroy?.();
    },
  };
}
