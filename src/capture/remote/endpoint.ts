// Docker's own endpoint forms (as in DOCKER_HOST / `docker -H`) turned into dockerode options.
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export class EndpointError extends Error {}

/** unix:///path, tcp://host[:port] (2375, or 2376 with TLS), ssh://[user@]host[:port]. */
export function dockerOptions(endpoint: string, env: NodeJS.ProcessEnv = process.env): Docker.DockerOptions {
  const scheme = /^([a-z]+):\/\//.exec(endpoint)?.[1];
  if (scheme === 'unix') {
    const socketPath = endpoint.slice('unix://'.length);
    if (!socketPath.startsWith('/')) throw new EndpointError(`${endpoint}: a unix endpoint needs an absolute socket path`);
    return { socketPath };
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new EndpointError(`${endpoint}: not a Docker endpoint (unix:///path, tcp://host:port or ssh://user@host)`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new EndpointError(`${endpoint}: no host`);
  if (scheme === 'tcp') {
    const tls = Boolean(env.DOCKER_TLS_VERIFY);
    return { host, port: Number(url.port || (tls ? 2376 : 2375)), protocol: tls ? 'https' : 'http' };
  }
  if (scheme === 'ssh') {
    // docker-modem runs `docker system dial-stdio` on the far side, as the docker CLI does.
    const sshOptions = sshIdentity(env);
    return { protocol: 'ssh', host, port: Number(url.port || 22), username: decodeURIComponent(url.username) || undefined, sshOptions } as Docker.DockerOptions;
  }
  throw new EndpointError(`${endpoint}: unknown scheme ${scheme ?? '(none)'}; use unix://, tcp:// or ssh://`);
}

/**
 * How we prove who we are to an ssh:// node, as ssh would by default: the agent when
 * SSH_AUTH_SOCK is set, else the first of ~/.ssh/id_ed25519, id_ecdsa, id_rsa (unencrypted).
 */
export function sshIdentity(env: NodeJS.ProcessEnv): { agent?: string; privateKey?: Buffer } {
  if (env.SSH_AUTH_SOCK) return { agent: env.SSH_AUTH_SOCK };
  if (!env.HOME) return {};
  for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
    try {
      return { privateKey: readFileSync(join(env.HOME, '.ssh', name)) };
    } catch {
      // not there: try the next
    }
  }
  return {};
}
