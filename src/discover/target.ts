import { ExitCode, FatalError } from '../errors.js';
import { DEFAULT_DOCKER_TIMEOUT_MS, firstAnswer, type DockerWait, dockerClient, inspectContainer, networkDriver, type ContainerFacts } from './docker.js';
import { hostSideOf, type HostSide } from './host-netns.js';
import { netnsFromArg, netnsOfPid, type Netns } from './netns.js';
import type Docker from 'dockerode';

/** What the user asked to trace: a Docker container, a process, or a bare namespace. */
export type TargetSpec =
  | { kind: 'docker'; ref: string; hostNetns?: string; dockerTimeoutMs?: number }
  | { kind: 'pid'; pid: number; hostNetns?: string }
  | { kind: 'netns'; ref: string; hostNetns?: string };

/** The two namespaces a path runs through, and what Docker says about the container. */
export interface ResolvedTarget {
  /** Short name used in hop names, e.g. "c1". */
  name: string;
  /** How the report names it, e.g. "container c1 (f99d783ac2b8)". */
  description: string;
  netns: Netns;
  hostNetns: Netns;
  /** Where the host netns came from, said in the notes. */
  hostNetnsReason: string;
  container?: ContainerFacts;
  /** Docker's network drivers by network name (bridge, macvlan, overlay...). */
  drivers: Record<string, string>;
  docker?: Docker;
}

/** Told when Docker keeps discovery waiting (default: a line on stderr, before any capture or UI). */
export type DockerWaitNotice = (endpoint: string) => void;
export const sayWaiting: DockerWaitNotice = (endpoint) => process.stderr.write(`hoptrace: connecting to Docker at ${endpoint} ...\n`);

/**
 * `onNetns` hears of each namespace of the path as soon as it is known (the host side first,
 * then the container's, once Docker has answered): a live trace starts its captures there.
 */
export async function resolveTarget(spec: TargetSpec, onDockerWait: DockerWaitNotice = sayWaiting, onNetns: (ns: Netns) => void = () => undefined): Promise<ResolvedTarget> {
  const host = hostSideOf(spec);
  onNetns(host.hostNetns);
  if (spec.kind === 'pid') {
    const netns = netnsOfPid(spec.pid, `pid:${spec.pid}`);
    onNetns(netns);
    return { name: `pid ${spec.pid}`, description: `process ${spec.pid}`, netns, ...host, drivers: {} };
  }
  if (spec.kind === 'netns') {
    const short = spec.ref.split('/').pop() ?? spec.ref;
    const netns = netnsFromArg(spec.ref, `netns:${short}`);
    onNetns(netns);
    return { name: short, description: `network namespace ${spec.ref}`, netns, ...host, drivers: {} };
  }
  return resolveContainer(spec.ref, host, { timeoutMs: spec.dockerTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS, onWait: onDockerWait }, onNetns);
}

async function resolveContainer(ref: string, host: HostSide, wait: DockerWait, onNetns: (ns: Netns) => void): Promise<ResolvedTarget> {
  const docker = dockerClient(wait.timeoutMs);
  const container = await firstAnswer(inspectContainer(docker, ref), wait);
  if (!container.running || container.pid <= 0) {
    throw new FatalError(`container ${container.name} is not running`, ExitCode.ENVIRONMENT, `start it first: docker start ${container.name}`);
  }
  const netns = netnsOfPid(container.pid, `container:${container.name}`);
  onNetns(netns);
  const drivers: Record<string, string> = {};
  for (const network of container.networks) drivers[network.name] = await networkDriver(docker, network.id);
  return {
    name: container.name,
    description: `container ${container.name} (${container.id.slice(0, 12)})`,
    netns,
    ...host,
    container,
    drivers,
    docker,
  };
}
