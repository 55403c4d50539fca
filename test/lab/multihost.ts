// TypeScript side of the multi-host lab (test/lab/multihost.sh): two dockerds in their own
// network namespaces joined by a swarm overlay. Everything goes through multihost.sh, the one
// place that knows how the lab is built and torn down.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const multihostScript = join(dirname(fileURLToPath(import.meta.url)), 'multihost.sh');

export type HostName = 'h1' | 'h2';

export interface MultihostHost {
  name: HostName;
  /** Network namespace of this Docker host (ht-<id>-h1). */
  ns: string;
  /** How the engine is reached: h1 over its unix socket, h2 over TCP on the underlay. */
  dockerHost: string;
  /** dockerd's --exec-root: overlay namespaces are under <execRoot>/netns. */
  execRoot: string;
  /** The host's underlay address, on its eth0. */
  addr: string;
}

export interface MultihostEnv {
  id: string;
  stateDir: string;
  hosts: Record<HostName, MultihostHost>;
  nsUnderlay: string;
  /** The outside host, on the underlay: the only namespace that reaches h2's TCP engine. */
  nsOutside: string;
  outsideAddr: string;
  internetAddr: string;
  overlayNet: string;
  overlaySubnet: string;
  image: string;
  dockerCli: string;
  /** ssh://root@203.0.113.3 when sshd runs in h2's namespace (openssh-server installed), else ''. */
  h2Ssh: string;
  /** A HOME whose .ssh/id_ed25519 logs in there. */
  sshHome: string;
}

export interface Multihost {
  env: MultihostEnv;
  up(opts?: { timeoutSeconds?: number }): MultihostEnv;
  down(): void;
  status(): boolean;
  /** The docker CLI against one host (h2 from the outside namespace, over TCP). */
  docker(host: HostName, ...args: string[]): string;
  /** A command in a lab namespace (a name under /var/run/netns or a path); returns stdout. */
  exec(ns: string, argv: string[], opts?: { timeoutMs?: number }): string;
  /** Network namespace file of a running container on a host. */
  containerNetns(host: HostName, name: string): string;
  /** A container's address on the lab's overlay network. */
  overlayAddress(host: HostName, container: string): string;
  /** The ids of hoptrace's capture helpers on a host, one per line ('' when none is left). */
  helperIds(host: HostName): string;
}

/** The ten hops of a trace from c1 on h1 to c2 on h2 across the lab's overlay (ht-overlay), in path order. */
export const OVERLAY_PATH = [
  'h1 c1 eth0', 'h1 overlay:ht-overlay veth1', 'h1 overlay:ht-overlay br0', 'h1 overlay:ht-overlay vxlan0', 'h1 eth0',
  'h2 eth0', 'h2 overlay:ht-overlay vxlan0', 'h2 overlay:ht-overlay br0', 'h2 overlay:ht-overlay veth1', 'h2 c2 eth0',
];

/**
 * The tunnel steps of an echo from c1 (h1) to c2 (h2) and its reply, as the report gives them:
 * each way encapsulated at the sender's vxlan0 and decapsulated at the receiver's, the VXLAN
 * carried between the hosts' underlay addresses. `vni` is what the VNI must match.
 */
export function overlayTunnelSteps(h1Addr: string, h2Addr: string, vni: unknown): object[] {
  const carrier = (src: string, dst: string) => ({ kind: 'vxlan', vni, outer: { src, dst, dport: 4789 } });
  return [
    { between: ['h1 overlay:ht-overlay vxlan0', 'h1 eth0'], direction: 'request', ...carrier(h1Addr, h2Addr), action: 'encapsulated' },
    { between: ['h2 eth0', 'h2 overlay:ht-overlay vxlan0'], direction: 'request', ...carrier(h1Addr, h2Addr), action: 'decapsulated' },
    { between: ['h2 overlay:ht-overlay vxlan0', 'h2 eth0'], direction: 'reply', ...carrier(h2Addr, h1Addr), action: 'encapsulated' },
    { between: ['h1 eth0', 'h1 overlay:ht-overlay vxlan0'], direction: 'reply', ...carrier(h2Addr, h1Addr), action: 'decapsulated' },
  ];
}

function run(file: string, args: string[], what: string, env?: NodeJS.ProcessEnv, timeoutMs = 120_000): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; status?: number | null; message: string };
    throw new Error(`${what} failed (exit ${e.status ?? '?'}): ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

function runScript(id: string, sub: string, extra: Record<string, string> = {}): string {
  return run('bash', [multihostScript, sub], `multihost.sh ${sub} (HT_LAB_ID=${id})`, { ...process.env, HT_LAB_ID: id, ...extra }, 300_000);
}

function parseEnv(text: string): MultihostEnv {
  const kv = new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const));
  const get = (k: string): string => kv.get(k) ?? '';
  const host = (name: HostName, key: 'H1' | 'H2'): MultihostHost => ({
    name, ns: get(`HT_NS_${key}`), dockerHost: get(`HT_${key}_DOCKER_HOST`), execRoot: get(`HT_${key}_EXEC_ROOT`), addr: get(`HT_${key}_ADDR`),
  });
  return {
    id: get('HT_LAB_ID'), stateDir: get('HT_MH_DIR'), hosts: { h1: host('h1', 'H1'), h2: host('h2', 'H2') },
    nsUnderlay: get('HT_NS_UNDERLAY'), nsOutside: get('HT_NS_OUTSIDE'), outsideAddr: get('HT_OUTSIDE_ADDR'),
    internetAddr: get('HT_INTERNET_ADDR'), overlayNet: get('HT_OVERLAY_NET'), overlaySubnet: get('HT_OVERLAY_SUBNET'),
    image: get('HT_IMAGE'), dockerCli: get('HT_DOCKER_CLI'), h2Ssh: get('HT_H2_SSH'), sshHome: get('HT_SSH_HOME'),
  };
}

const nsPath = (ns: string): string => (ns.startsWith('/') ? ns : `/var/run/netns/${ns}`);

/** A handle on the multi-host lab named by `id` (default $HT_LAB_ID, else "mh"). */
export function createMultihost(id: string = process.env.HT_LAB_ID || 'mh'): Multihost {
  const env = parseEnv(runScript(id, 'env'));
  const docker = (host: HostName, ...args: string[]): string => {
    const h = env.hosts[host];
    const argv = ['-H', h.dockerHost, ...args];
    // h2's engine is only reachable over the underlay, so its CLI runs in the outside namespace.
    if (host === 'h2') return run('nsenter', [`--net=${nsPath(env.nsOutside)}`, env.dockerCli, ...argv], `docker@h2 ${args.join(' ')}`);
    return run(env.dockerCli, argv, `docker@h1 ${args.join(' ')}`);
  };
  return {
    env,
    up: (opts = {}) => {
      runScript(id, 'up', opts.timeoutSeconds === undefined ? {} : { HT_LAB_TIMEOUT: String(opts.timeoutSeconds) });
      return env;
    },
    down: () => void runScript(id, 'down'),
    status: () => {
      try {
        runScript(id, 'status');
        return true;
      } catch {
        return false;
      }
    },
    docker,
    exec: (ns, argv, opts = {}) => run('nsenter', [`--net=${nsPath(ns)}`, ...argv], `[${ns}] ${argv.join(' ')}`, undefined, opts.timeoutMs ?? 60_000),
    containerNetns: (host, name) => {
      const pid = docker(host, 'inspect', '-f', '{{.State.Pid}}', name).trim();
      if (!/^[1-9]\d*$/.test(pid)) throw new Error(`container ${name} on ${host} is not running (pid '${pid}')`);
      return `/proc/${pid}/ns/net`;
    },
    overlayAddress: (host, container) => docker(host, 'inspect', '-f', `{{(index .NetworkSettings.Networks "${env.overlayNet}").IPAddress}}`, container).trim(),
    helperIds: (host) => docker(host, 'ps', '-aq', '--filter', 'label=org.hoptrace.helper').trim(),
  };
}
