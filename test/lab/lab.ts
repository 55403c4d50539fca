// TypeScript side of the Docker lab (test/lab/lab.sh): lets live-mode tests bring up a real
// dockerd in its own network namespace, run commands in the lab's namespaces and talk to the
// lab's Docker engine. Everything goes through lab.sh so that the shell script stays the one
// place that knows how the lab is built and torn down.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const labDir = dirname(fileURLToPath(import.meta.url));
export const labScript = join(labDir, 'lab.sh');

/** Names and addresses of one lab, as printed by `lab.sh env`. */
export interface LabEnv {
  id: string;
  /** 20.10 (Debian bookworm's docker.io) or 28 (docker.io 28.5 unpacked in /opt/ht-engine-28). */
  engine: LabEngine;
  nsHost: string; // network namespace of the Docker host, e.g. ht-dockerhost
  nsOutside: string; // the "outside" host, e.g. ht-outside
  stateDir: string; // /run/ht-lab[-id]: dockerd/containerd state, sockets, logs
  dockerHost: string; // unix:///run/ht-lab[-id]/docker.sock (for DOCKER_HOST / dockerode)
  dockerCli: string;
  image: string; // hoptrace-busybox
  uplinkAddr: string; // 203.0.113.1, the Docker host's eth0
  outsideAddr: string; // 203.0.113.2, the outside host's eth0
  internetAddr: string; // 198.19.0.1, on the outside host's lo
  bridgeCidr: string; // 198.18.0.1/24 (docker0, --bip)
  userSubnet: string; // 198.18.1.0/24, for a user-defined network
  uplinkAddr6: string; // 2001:db8::1
  outsideAddr6: string; // 2001:db8::2
  internetAddr6: string; // 2001:db8:ff::1, on the outside host's lo
  v6GlobalSubnet: string; // 2001:db8:1::/64: the outside routes it back to the Docker host
  v6UlaSubnet: string; // fd00:18:1::/64: nobody routes it, it needs NAT66
  docker0V6: string; // fd00:18::/64, docker0's IPv6 subnet with docker0Ipv6
}

export type LabEngine = '20.10' | '28';

export interface LabOptions {
  /** The default bridge docker0 gets IPv6 too (HT_LAB_DOCKER0_V6=1, subnet fd00:18::/64). */
  docker0Ipv6?: boolean;
}
export const ENGINE28_DIR = '/opt/ht-engine-28';

/** The engine asked for by $HT_ENGINE (default 20.10). */
export function labEngine(env: NodeJS.ProcessEnv = process.env): LabEngine {
  return env.HT_ENGINE === '28' ? '28' : '20.10';
}

/** Where a lab command runs: the Docker host, the outside host, a container, or a netns path. */
export type LabNs = 'host' | 'outside' | `container:${string}` | `/${string}`;

export interface Lab {
  env: LabEnv;
  /** Bring the lab up (idempotent). Throws with lab.sh's output when it fails. */
  up(opts?: { timeoutSeconds?: number }): LabEnv;
  /** Tear everything down; throws, listing what is left, when the teardown is not clean. */
  down(): void;
  /** True when the namespaces, containerd, dockerd and the image are all there. */
  status(): boolean;
  /** Run a command (argv, or a string for `sh -c`) in a lab namespace; returns stdout. */
  exec(ns: LabNs, cmd: string[] | string, opts?: { timeoutMs?: number; input?: string }): string;
  /** The docker CLI against the lab's engine; returns stdout. */
  docker(...args: string[]): string;
  /** The network namespace path of a running container of the lab. */
  containerNetns(name: string): string;
  /** Wait until something listens on TCP `port` in `ns` (throws after timeoutMs). */
  waitForListen(ns: LabNs, port: number, timeoutMs?: number): void;
}

const sleepMs = (ms: number): void => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms) as unknown as void;

const MISSING_TOOL_HINT = 'apt-get install docker.io busybox-static tcpdump iptables iproute2 jq';

function onPath(tool: string): boolean {
  const dirs = (process.env.PATH ?? '').split(delimiter).concat(['/usr/sbin', '/sbin']);
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, tool), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Why the lab cannot run here (not root, a tool missing), or null when it can. */
export function labUnavailableReason(engine: LabEngine = labEngine()): string | null {
  if (process.platform !== 'linux') return 'the Docker lab needs Linux';
  if (process.getuid?.() !== 0) return 'the Docker lab needs root (network namespaces, dockerd): run the tests with sudo';
  const tools = ['dockerd', 'containerd', 'runc', 'docker', 'nsenter', 'ip', 'iptables', 'tcpdump', 'busybox', 'jq'];
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length) return `missing ${missing.join(', ')} (${MISSING_TOOL_HINT})`;
  if (engine === '28' && !executable(join(ENGINE28_DIR, 'usr/sbin/dockerd'))) {
    return `HT_ENGINE=28 needs ${ENGINE28_DIR}/usr/sbin/dockerd: run scripts/setup.sh as root`;
  }
  return null;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Root, docker.io, nsenter and the rest are present: the lab can be brought up. */
export function labAvailable(engine: LabEngine = labEngine()): boolean {
  return labUnavailableReason(engine) === null;
}

function runLabScript(id: string, engine: LabEngine, sub: string, extraEnv: Record<string, string> = {}, timeoutMs = 240_000): string {
  try {
    return execFileSync('bash', [labScript, sub], {
      env: { ...process.env, HT_LAB_ID: id, HT_ENGINE: engine, ...extraEnv },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: timeoutMs,
    });
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`lab.sh ${sub} (HT_LAB_ID=${id || '""'}) failed: ${(e.stderr || e.stdout || e.message).trim()}`);
  }
}

function parseEnv(text: string): LabEnv {
  const kv = new Map(text.split('\n').filter((l) => l.includes('=')).map((l) => {
    const i = l.indexOf('=');
    return [l.slice(0, i), l.slice(i + 1)] as [string, string];
  }));
  const get = (k: string): string => kv.get(k) ?? '';
  return {
    id: get('HT_LAB_ID'), engine: get('HT_ENGINE') === '28' ? '28' : '20.10', nsHost: get('HT_NS_HOST'), nsOutside: get('HT_NS_OUTSIDE'),
    stateDir: get('HT_LAB_DIR'), dockerHost: get('DOCKER_HOST'), dockerCli: get('HT_DOCKER_CLI'),
    image: get('HT_IMAGE'), uplinkAddr: get('HT_UPLINK_ADDR'), outsideAddr: get('HT_OUTSIDE_ADDR'),
    internetAddr: get('HT_INTERNET_ADDR'), bridgeCidr: get('HT_DOCKER_BIP'), userSubnet: get('HT_USER_SUBNET'),
    uplinkAddr6: get('HT_UPLINK_ADDR6'), outsideAddr6: get('HT_OUTSIDE_ADDR6'), internetAddr6: get('HT_INTERNET_ADDR6'),
    v6GlobalSubnet: get('HT_V6_GLOBAL_SUBNET'), v6UlaSubnet: get('HT_V6_ULA_SUBNET'), docker0V6: get('HT_DOCKER0_V6'),
  };
}

function run(file: string, args: string[], what: string, opts: { timeoutMs?: number; input?: string } = {}): string {
  try {
    return execFileSync(file, args, {
      encoding: 'utf8',
      input: opts.input,
      stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
  } catch (err) {
    const e = err as { stderr?: string; status?: number | null; signal?: string | null; message: string };
    const how = e.status != null ? `exit ${e.status}` : `signal ${e.signal ?? '?'}`;
    throw new Error(`${what} failed (${how}): ${(e.stderr || e.message).trim()}`);
  }
}

/**
 * A handle on lab HT_LAB_ID=id (default: $HT_LAB_ID, else the default lab "ht-dockerhost"),
 * running `engine` (default: $HT_ENGINE, else 20.10).
 */
export function createLab(id: string = process.env.HT_LAB_ID ?? '', engine: LabEngine = labEngine(), options: LabOptions = {}): Lab {
  const extraEnv: Record<string, string> = options.docker0Ipv6 ? { HT_LAB_DOCKER0_V6: '1' } : {};
  const runLabSh = (labId: string, eng: LabEngine, sub: string, extra: Record<string, string> = {}, timeoutMs?: number): string =>
    runLabScript(labId, eng, sub, { ...extraEnv, ...extra }, timeoutMs);
  const env = parseEnv(runLabSh(id, engine, 'env'));
  const docker = (...args: string[]): string =>
    run(env.dockerCli, ['-H', env.dockerHost, ...args], `docker ${args.join(' ')}`, { timeoutMs: 120_000 });
  const containerNetns = (name: string): string => {
    const pid = docker('inspect', '-f', '{{.State.Pid}}', name).trim();
    if (!/^[1-9]\d*$/.test(pid)) throw new Error(`container ${name} is not running (pid '${pid}')`);
    return `/proc/${pid}/ns/net`;
  };
  const nsPath = (ns: LabNs): string => {
    if (ns === 'host') return `/var/run/netns/${env.nsHost}`;
    if (ns === 'outside') return `/var/run/netns/${env.nsOutside}`;
    if (ns.startsWith('container:')) return containerNetns(ns.slice('container:'.length));
    return ns;
  };
  return {
    env,
    up: (opts = {}) => {
      const extra: Record<string, string> = {};
      if (opts.timeoutSeconds !== undefined) extra.HT_LAB_TIMEOUT = String(opts.timeoutSeconds);
      runLabSh(id, engine, 'up', extra);
      return env;
    },
    down: () => void runLabSh(id, engine, 'down'),
    status: () => {
      try {
        runLabSh(id, engine, 'status', {}, 60_000);
        return true;
      } catch {
        return false;
      }
    },
    exec: (ns, cmd, opts = {}) => {
      const argv = typeof cmd === 'string' ? ['sh', '-c', cmd] : cmd;
      return run('nsenter', [`--net=${nsPath(ns)}`, ...argv], `[${ns}] ${argv.join(' ')}`, opts);
    },
    docker,
    containerNetns,
    waitForListen: (ns, port, timeoutMs = 10_000) => {
      const path = nsPath(ns);
      const deadline = Date.now() + timeoutMs;
      const listening = (): boolean =>
        run('nsenter', [`--net=${path}`, 'ss', '-Hltn', `sport = :${port}`], 'ss').trim() !== '';
      while (!listening()) {
        if (Date.now() > deadline) throw new Error(`nothing listens on TCP port ${port} in ${ns} after ${timeoutMs} ms`);
        sleepMs(100);
      }
    },
  };
}

// Convenience functions on the lab chosen by $HT_LAB_ID (default lab when unset).
export const labUp = (opts?: { timeoutSeconds?: number }): LabEnv => createLab().up(opts);
export const labDown = (): void => createLab().down();
export const labExec = (ns: LabNs, cmd: string[] | string, opts?: { timeoutMs?: number; input?: string }): string =>
  createLab().exec(ns, cmd, opts);
export const docker = (...args: string[]): string => createLab().docker(...args);
