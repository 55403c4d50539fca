import { dockerdPid, dockerSocketPath } from './docker-host.js';
import { netnsFromArg, netnsOfPid, OWN_NETNS, type Netns } from './netns.js';

export interface HostSide {
  /** The namespace holding the container's veth peer, the bridge and the uplink. */
  hostNetns: Netns;
  /** Where it came from, said in the notes. */
  hostNetnsReason: string;
}

/**
 * The host side of a target's path, known before Docker is asked anything (so a live trace can
 * start capturing there early): --host-netns, else for a container the namespace of the dockerd
 * serving DOCKER_HOST, else ours.
 */
export function hostSideOf(spec: { kind: 'docker' | 'pid' | 'netns'; hostNetns?: string }): HostSide {
  if (spec.hostNetns) return { hostNetns: netnsFromArg(spec.hostNetns, 'host'), hostNetnsReason: `--host-netns ${spec.hostNetns}` };
  if (spec.kind === 'docker') return dockerdSide();
  return { hostNetns: OWN_NETNS, hostNetnsReason: "hoptrace's own network namespace" };
}

/**
 * The veths and bridges Docker makes live in dockerd's own network namespace. On a normal
 * host that is ours; a dockerd started inside another namespace (as in hoptrace's lab) is
 * found through the unix socket it serves.
 */
function dockerdSide(): HostSide {
  const socket = dockerSocketPath();
  const pid = socket ? dockerdPid(socket) : undefined;
  if (pid === undefined) return { hostNetns: OWN_NETNS, hostNetnsReason: "hoptrace's own network namespace (dockerd's pid not found)" };
  return { hostNetns: netnsOfPid(pid, 'host'), hostNetnsReason: `the namespace of dockerd (pid ${pid}) serving ${socket}` };
}
