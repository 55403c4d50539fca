// Where Docker is and which namespace its daemon runs in, without loading the Docker client
// (dockerode and its ssh2, gRPC and protobuf modules take a few hundred milliseconds to load):
// a live trace knows from this alone where the host-side capture helper goes.
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { request as httpRequest } from 'node:http';

/** Where the Docker Engine API is, as the user would recognise it (DOCKER_HOST or the default). */
export function dockerEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function dockerSocketPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const endpoint = dockerEndpoint(env);
  return endpoint.startsWith('unix://') ? endpoint.slice('unix://'.length) || '/var/run/docker.sock' : undefined;
}

/**
 * The pid of the dockerd serving `socketPath`: the veths and bridges it makes live in its
 * network namespace, which is not always ours (a dockerd started inside another namespace).
 * A unix socket is listed in /proc/PID/net/unix of the namespace it was bound in.
 */
export function dockerdPid(socketPath: string): number | undefined {
  const wanted = canonical(socketPath);
  const daemons = listPids().filter((pid) => readText(`/proc/${pid}/comm`).trim() === 'dockerd');
  const serving = daemons.filter((pid) =>
    readText(`/proc/${pid}/net/unix`)
      .split('\n')
      .some((line) => {
        const path = line.trim().split(/\s+/)[7];
        return path !== undefined && canonical(path) === wanted;
      }),
  );
  if (serving.length > 0) return ownerOfSocket(serving, wanted) ?? serving[0];
  return undefined;
}

/** Several dockerds in one namespace all list the path: keep the one whose cmdline names it. */
function ownerOfSocket(pids: number[], socketPath: string): number | undefined {
  if (pids.length === 1) return pids[0];
  return pids.find((pid) => readText(`/proc/${pid}/cmdline`).split('\0').some((arg) => arg.includes(socketPath)));
}

function canonical(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path.replace(/^\/var\/run\//, '/run/');
  }
}

function listPids(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * The pid and name of a running container, asked of a Docker listening on a unix socket with
 * one plain HTTP request, without the Docker client: a live trace starts capturing in the
 * container's namespace from this while the client still loads. Any failure (another kind of
 * DOCKER_HOST, no answer within `timeoutMs`, no such container) is undefined; the trace's own
 * `docker inspect` reports it.
 */
export function peekContainer(ref: string, timeoutMs = 2_000): Promise<{ pid: number; name: string } | undefined> {
  const socketPath = dockerSocketPath();
  if (!socketPath) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const request = httpRequest({ socketPath, path: `/containers/${encodeURIComponent(ref)}/json`, timeout: timeoutMs }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(response.statusCode === 200 ? runningPid(body) : undefined));
      response.on('error', () => resolve(undefined));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
    request.end();
  });
}

function runningPid(body: string): { pid: number; name: string } | undefined {
  try {
    const info = JSON.parse(body) as { Name?: string; State?: { Running?: boolean; Pid?: number } };
    const pid = info.State?.Pid ?? 0;
    return info.State?.Running && pid > 0 ? { pid, name: (info.Name ?? `pid ${pid}`).replace(/^\//, '') } : undefined;
  } catch {
    return undefined;
  }
}
