import Docker from 'dockerode';
import { ExitCode, FatalError } from '../errors.js';
import { dockerEndpoint } from './docker-host.js';

// Kept in docker-host.ts, which does not load dockerode.
export { dockerEndpoint, dockerdPid, dockerSocketPath } from './docker-host.js';

/** What discovery needs from `docker inspect`. */
export interface ContainerFacts {
  id: string;
  name: string;
  running: boolean;
  pid: number;
  /** default, bridge, host, none, container:<id>, or a user network's name. */
  networkMode: string;
  networks: { name: string; id: string; ip: string; prefixLen: number; gateway: string }[];
  /** Published ports, e.g. { containerPort: "80/tcp", hostIp: "0.0.0.0", hostPort: "8080" }. */
  ports: { containerPort: string; hostIp: string; hostPort: string }[];
}

/** How long the first answer from Docker may take (`--docker-timeout`). */
export const DEFAULT_DOCKER_TIMEOUT_MS = 10_000;
/** After this long without an answer, say what is awaited. */
const SAY_WAITING_AFTER_MS = 1_000;

export function dockerClient(timeoutMs = DEFAULT_DOCKER_TIMEOUT_MS): Docker {
  // dockerode's modem reads DOCKER_HOST itself (unix://, tcp://, ssh://). Its connection
  // timeout only frees the socket a little after firstAnswer has given up with a clear error.
  return new Docker({ connectionTimeout: timeoutMs + 1_000 } as Docker.DockerOptions);
}

export interface DockerWait {
  timeoutMs: number;
  /** Told once, after a second without an answer, with the endpoint awaited. */
  onWait: (endpoint: string) => void;
}

/**
 * The first call to Docker, bounded: a daemon that never answers (a tcp:// address that drops
 * packets) ends in one error after `timeoutMs`, exit 4, instead of a hang of minutes.
 */
export async function firstAnswer<T>(call: Promise<T>, wait: DockerWait): Promise<T> {
  const endpoint = dockerEndpoint();
  let sayTimer: NodeJS.Timeout | undefined;
  let giveUpTimer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<never>((_, reject) => {
    if (wait.timeoutMs > SAY_WAITING_AFTER_MS) sayTimer = setTimeout(() => wait.onWait(endpoint), SAY_WAITING_AFTER_MS);
    giveUpTimer = setTimeout(() => {
      const seconds = Number((wait.timeoutMs / 1000).toFixed(1));
      reject(new FatalError(`Docker at ${endpoint} did not answer within ${seconds} s`, ExitCode.ENVIRONMENT, 'is dockerd listening there? --docker-timeout <seconds> waits longer'));
    }, wait.timeoutMs);
  });
  try {
    return await Promise.race([call, giveUp]);
  } finally {
    clearTimeout(sayTimer);
    clearTimeout(giveUpTimer);
  }
}

function unreachable(error: unknown): FatalError {
  const code = (error as { code?: string }).code ?? (error as Error).message;
  const endpoint = dockerEndpoint();
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    const host = (error as { hostname?: string }).hostname ?? endpoint;
    const why = code === 'ENOTFOUND' ? 'does not resolve' : 'could not be looked up: no name server answered';
    return new FatalError(`cannot reach Docker at ${endpoint}: host name ${host} ${why} (${code})`, ExitCode.ENVIRONMENT, 'check DOCKER_HOST');
  }
  const hint =
    code === 'EACCES' ? 'run as root, or as a member of the docker group' : 'is dockerd running? set DOCKER_HOST to its socket';
  return new FatalError(`cannot reach Docker at ${endpoint}: ${code}`, ExitCode.ENVIRONMENT, hint);
}

function isHttpError(error: unknown, status: number): boolean {
  return (error as { statusCode?: number }).statusCode === status;
}

export async function inspectContainer(docker: Docker, ref: string): Promise<ContainerFacts> {
  let info: Docker.ContainerInspectInfo;
  try {
    info = await docker.getContainer(ref).inspect();
  } catch (error) {
    if (isHttpError(error, 404)) throw new FatalError(`no such container: ${ref}`, ExitCode.ENVIRONMENT);
    if ((error as { statusCode?: number }).statusCode) {
      throw new FatalError(`docker inspect ${ref}: ${(error as Error).message}`, ExitCode.ENVIRONMENT);
    }
    throw unreachable(error);
  }
  return containerFacts(info);
}

export function containerFacts(info: Docker.ContainerInspectInfo): ContainerFacts {
  const networks = Object.entries(info.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({
    name,
    id: n.NetworkID,
    ip: n.IPAddress,
    prefixLen: n.IPPrefixLen,
    gateway: n.Gateway,
  }));
  const ports = Object.entries(info.NetworkSettings?.Ports ?? {}).flatMap(([containerPort, bindings]) =>
    (bindings ?? []).map((b) => ({ containerPort, hostIp: b.HostIp, hostPort: b.HostPort })),
  );
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ''),
    running: info.State.Running,
    pid: info.State.Pid,
    networkMode: info.HostConfig.NetworkMode ?? 'default',
    networks,
    ports,
  };
}

export async function networkDriver(docker: Docker, id: string): Promise<string> {
  try {
    const info = (await docker.getNetwork(id).inspect()) as { Driver?: string };
    return info.Driver ?? 'unknown';
  } catch (error) {
    if (isHttpError(error, 404)) return 'unknown';
    throw unreachable(error);
  }
}

/** The container on a Docker network that holds `ip`, for container-to-container paths. */
export async function containerByIp(docker: Docker, networkId: string, ip: string): Promise<string | undefined> {
  const info = (await docker.getNetwork(networkId).inspect()) as {
    Containers?: Record<string, { Name: string; IPv4Address: string; IPv6Address?: string }>;
  };
  const holds = (c: { IPv4Address: string; IPv6Address?: string }): boolean =>
    [c.IPv4Address, c.IPv6Address ?? ''].some((cidr) => cidr.split('/')[0] === ip);
  const hit = Object.entries(info.Containers ?? {}).find(([, c]) => holds(c));
  return hit?.[0];
}
