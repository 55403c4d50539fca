import { ExitCode, FatalError } from '../errors.js';
import {
  DEFAULT_DOCKER_TIMEOUT_MS,
  firstAnswer,
  type DockerWait,
  dockerClient,
  dockerdPid,
  dockerSocketPath,
  inspectContainer,
  networkDriver,
  type ContainerFacts,
} from './docker.js';
import { netnsFromArg, netnsOfPid, OWN_NETNS, type Netns } from './netns.js';
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
const sayWaiting: DockerWaitNotice = (endpoint) => process.stderr.write(`hoptrace: connecting to Docker at ${endpoint} ...\n`);

export async function resolveTarget(spec: TargetSpec, onDockerWait: DockerWaitNotice = sayWaiting): Promise<ResolvedTarget> {
  if (spec.kind === 'pid') {
    const host = explicitHost(spec.hostNetns);
    return { name: `pid ${spec.pid}`, description: `process ${spec.pid}`, netns: netnsOfPid(spec.pid, `pid:${spec.pid}`), ...host, drivers: {} };
  }
  if (spec.kind === 'netns') {
    const host = explicitHost(spec.hostNetns);
    const short = spec.ref.split('/').pop() ?? spec.ref;
    return { name: short, description: `network namespace ${spec.ref}`, netns: netnsFromArg(spec.ref, `netns:${short}`), ...host, drivers: {} };
  }
  return resolveContainer(spec.ref, spec.hostNetns, { timeoutMs: spec.dockerTimeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS, onWait: onDockerWait });
}

function explicitHost(hostNetns: string | undefined): { hostNetns: Netns; hostNetnsReason: string } {
  if (hostNetns) return { hostNetns: netnsFromArg(hostNetns, 'host'), hostNetnsReason: `--host-netns ${hostNetns}` };
  return { hostNetns: OWN_NETNS, hostNetnsReason: "hoptrace's own network namespace" };
}

async function resolveContainer(ref: string, hostNetnsArg: string | undefined, wait: DockerWait): Promise<ResolvedTarget> {
  const docker = dockerClient(wait.timeoutMs);
  const container = await firstAnswer(inspectContainer(docker, ref), wait);
  if (!container.running || container.pid <= 0) {
    throw new FatalError(`container ${container.name} is not running`, ExitCode.ENVIRONMENT, `start it first: docker start ${container.name}`);
  }
  const drivers: Record<string, string> = {};
  for (const network of container.networks) drivers[network.name] = await networkDriver(docker, network.id);
  return {
    name: container.name,
    description: `container ${container.name} (${container.id.slice(0, 12)})`,
    netns: netnsOfPid(container.pid, `container:${container.name}`),
    ...dockerHost(hostNetnsArg),
    container,
    drivers,
    docker,
  };
}

/**
 * The veths and bridges Docker makes live in dockerd's own network namespace. On a normal
 * host that is ours; a dockerd started inside another namespace (as in hoptrace's lab) is
 * found through the unix socket it serves.
 */
function dockerHost(hostNetnsArg: string | undefined): { hostNetns: Netns; hostNetnsReason: string } {
  if (hostNetnsArg) return explicitHost(hostNetnsArg);
  const socket = dockerSocketPath();
  const pid = socket ? dockerdPid(socket) : undefined;
  if (pid === undefined) return { hostNetns: OWN_NETNS, hostNetnsReason: "hoptrace's own network namespace (dockerd's pid not found)" };
  return { hostNetns: netnsOfPid(pid, 'host'), hostNetnsReason: `the namespace of dockerd (pid ${pid}) serving ${socket}` };
}
