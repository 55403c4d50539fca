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
import {
  choosePlaced, chooseOverlay, containerHolding, containerRef, execCommand, execExitLine, execFailedLine, farEnd, isSwarmNode, legsFor, noPeerContainer,
  overlayEntry, overlayLeg, shellPid, tracePlan, unknownPeerHost, watchCandidates, watchedPeer, type Found, type Leg as PlanLeg,
} from './multi-host-plan.js';

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

type Placed = Found<DockerCaptureNode>;

async function findContainer(nodes: DockerCaptureNode[], ref: string): Promise<Placed> {
  const found = await Promise.all(nodes.map((node) => node.docker.getContainer(ref).inspect().then((c) => ({ node, container: c as unknown as Placed['container'] }), () => undefined)));
  return choosePlaced(found, ref, nodes);
}

/** The container's overlay network: the one whose subnet holds the destination, else its only overlay network. */
async function overlayNetwork(placed: Placed, destination: string | undefined): Promise<string> {
  const overlays: { id: string; subnet?: string }[] = [];
  for (const net of Object.values(placed.container.NetworkSettings.Networks)) {
    const info = (await placed.node.docker.getNetwork(net.NetworkID).inspect().catch(() => undefined)) as Parameters<typeof overlayEntry>[1];
    const overlay = overlayEntry(net.NetworkID, info);
    if (overlay) overlays.push(overlay);
  }
  return chooseOverlay(overlays, destination, placed);
}

async function discoverOn(node: DockerCaptureNode, container: string, network: string): Promise<OverlayPath> {
  const { facts, namespaces } = await collectOverlayFacts(node.docker, container, network, { label: node.name }, node.commandRunner);
  return overlayPath(facts, namespaces);
}

/** The host whose swarm data-path address is the peer's underlay address. */
async function hostWithUnderlay(nodes: DockerCaptureNode[], underlay: string): Promise<DockerCaptureNode | undefined> {
  for (const node of nodes) {
    const info = (await node.docker.info().catch(() => undefined)) as { Swarm?: { NodeAddr?: string } } | undefined;
    if (isSwarmNode(info, underlay)) return node;
  }
  return undefined;
}

/** The container holding `addr` on `network`, as the peer's engine lists it. */
async function containerWithAddress(docker: Docker, network: string, addr: string): Promise<string | undefined> {
  const info = (await docker.getNetwork(network).inspect()) as { Containers?: Record<string, { IPv4Address?: string }> };
  return containerHolding(info.Containers, addr);
}

type Leg = PlanLeg<DockerCaptureNode>;

async function discoverLegs(nodes: DockerCaptureNode[], request: LiveTraceRequest): Promise<{ legs: Leg[]; path: OverlayPath; outside: boolean }> {
  const placed = await findContainer(nodes, containerRef(request.target));
  const network = await overlayNetwork(placed, request.destination);
  const path = await discoverOn(placed.node, placed.container.Id, network);
  const end = farEnd(path, request.destination, placed.node);
  const { legs, outside } = await legsFor(end, placed.node, path, (far) => (far.kind === 'peer' ? peerLeg(nodes, path, far.peer, request.destination) : watchedPeerLeg(nodes, path)));
  return { legs, path, outside };
}

/** The far end of the overlay path: the peer's host (by its underlay address), the peer container's path there, reversed. */
async function peerLeg(nodes: DockerCaptureNode[], path: OverlayPath, peer: OverlayPeer, dest: string | undefined): Promise<Leg> {
  const peerNode = await hostWithUnderlay(nodes, peer.underlay);
  if (!peerNode) throw unknownPeerHost(peer, dest);
  const peerContainer = await containerWithAddress(peerNode.docker, path.network.id, peer.addr);
  if (!peerContainer) throw noPeerContainer(peerNode, peer, path);
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
  for (const peer of watchCandidates(path)) {
    const node = await hostWithUnderlay(nodes, peer.underlay);
    if (node) placed.push({ peer, node });
  }
  const one = watchedPeer(placed, path, nodes);
  return peerLeg(nodes, path, one.peer, undefined);
}

/** A host that stops answering or a namespace that cannot be read: the environment, exit 4. */
export function hostTrouble(error: Error): Error {
  return error instanceof NodeError || error instanceof OverlayDiscoveryError ? new EnvironmentError(error.message) : error;
}

export async function runMultiHostTrace(request: LiveTraceRequest & { hosts: string[] }, present: Presenter, interrupt: Interrupt): Promise<Report> {
  const nodes = await interrupt.before(prepareNodes(parseHostSpecs(request.hosts)));
  const { legs, path, outside } = await interrupt.before(discoverLegs(nodes, request)).catch((error: Error) => {
    throw hostTrouble(error);
  });
  const clocks = new Map<string, Awaited<ReturnType<DockerCaptureNode['measureClock']>>>();
  // Each host's clock over its own connection, all at once: one host's round trips do not delay another's.
  await Promise.all(legs.map(async (leg) => clocks.set(leg.node.name, await leg.node.measureClock(8))));
  const plan = tracePlan(legs, clocks, request, path, outside);
  const captures: NodeCapture[] = legs.map((leg, i) => ({ node: leg.node, taps: plan.taps[i]!, clock: clocks.get(leg.node.name)! }));
  const { hops, notes, description, gatedUplinks, caveats } = plan;
  const source = remoteSource({
    gatedUplinks, hops, nodes: captures, ringPackets: request.ringPackets, recordDir: request.recordDir, notes, description, caveats,
    onProblem: (line) => request.say(`warning: ${line}`),
  });
  for (const caveat of caveats) request.say(`warning: ${caveat}`);
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
    const exec = await node.docker.getContainer(container).exec({ Cmd: execCommand(cmd), AttachStdout: true, AttachStderr: true });
    stream = (await exec.start({})) as NodeJS.ReadWriteStream;
    const out = new PassThrough();
    node.docker.modem.demuxStream(stream, out, new PassThrough().resume());
    let text = '';
    out.on('data', (d: Buffer) => {
      text += d.toString();
      pid ??= shellPid(text);
    });
    await new Promise((resolve) => stream!.on('end', resolve).on('close', resolve).on('error', resolve));
    done = true;
    const { ExitCode } = (await exec.inspect()) as { ExitCode: number | null };
    request.say(execExitLine(cmd, container, node, ExitCode));
  })().catch((error: Error) => request.say(execFailedLine(cmd, node, error)));
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
