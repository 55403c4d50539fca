// Reads a namespace's state: the one place in src/evidence that runs commands. Read-only:
// only *-save, `nft list`, `conntrack -L`, `sysctl` reads, `ip route get` and `ip neigh`.
// Whatever cannot be read goes into `gaps` with the reason; nothing fails the trace.
import type Dockerode from 'dockerode';
import { type Netns, runIn } from '../discover/netns.js';
import { parseIptablesSave } from './iptables.js';
import { handlesByChain, parseNftRuleset } from './nft.js';
import { parseConntrack } from './conntrack.js';
import type { Chain, DockerNetwork, Family, HostSnapshot, LinkState, Listener, Neighbour, PublishedPort, RouteProbe, Rule, RuleSource, Ruleset } from './types.js';

/** A route the caller wants looked up: the flow's destination, from its source, arriving on `iif`. */
export interface RouteQuestion {
  family: Family;
  dst: string;
  from?: string;
  iif?: string;
}

export interface CollectOptions {
  /** Interfaces of the path in this namespace (for rp_filter, forwarding per interface). */
  interfaces: string[];
  routes: RouteQuestion[];
  /** The Docker engine to ask about networks and published ports, when this is its host. */
  docker?: Pick<Dockerode, 'listNetworks' | 'listContainers'>;
}

const SAVERS: [string, RuleSource, Family][] = [
  ['iptables-nft-save', 'iptables-nft', 4], ['ip6tables-nft-save', 'iptables-nft', 6],
  ['iptables-legacy-save', 'iptables-legacy', 4], ['ip6tables-legacy-save', 'iptables-legacy', 6],
];

async function readRuleset(ns: Netns, gaps: string[]): Promise<Ruleset> {
  const chains: Chain[] = [];
  const rules: Rule[] = [];
  const backends = new Set<RuleSource>();
  for (const [tool, source, family] of SAVERS) {
    const r = await runIn(ns, tool, ['-c']);
    if (r.code !== 0) { gaps.push(`${tool}: ${firstLine(r.stderr, r.code)}`); continue; }
    const parsed = parseIptablesSave(r.stdout, source, family);
    chains.push(...parsed.chains);
    rules.push(...parsed.rules);
    if (parsed.rules.length > 0) backends.add(source);
  }
  const json = await runIn(ns, 'nft', ['-j', 'list', 'ruleset']);
  const text = await runIn(ns, 'nft', ['-a', 'list', 'ruleset']);
  if (json.code !== 0 || text.code !== 0) gaps.push(`nft list ruleset: ${firstLine(json.stderr || text.stderr, json.code || text.code)}`);
  else {
    try {
      readNft(json.stdout, `${text.stdout}\n${text.stderr}`, chains, rules, backends);
    } catch (err) {
      gaps.push(`nft -j list ruleset: unreadable output: ${(err as Error).message}`);
    }
  }
  return { chains, rules, backends: [...backends] };
}

/** Adds the native nft rules, and gives iptables-nft's rules their nft handles (for --trace-rules). */
function readNft(json: string, text: string, chains: Chain[], rules: Rule[], backends: Set<RuleSource>): void {
  const parsed = parseNftRuleset(json, text, iptablesNftTables(rules));
  const handles = handlesByChain(json);
  for (const r of rules) {
    if (r.source !== 'iptables-nft') continue;
    const handle = handles.get(`${r.family === 4 ? 'ip' : 'ip6'} ${r.table} ${r.chain}`)?.[r.id - 1];
    if (handle !== undefined) r.handle = handle;
  }
  chains.push(...parsed.chains);
  rules.push(...parsed.rules);
  if (parsed.rules.length > 0) backends.add('nft');
}

/** "ip nat", "ip6 filter"...: the nft tables iptables-nft wrote, so nft's view of them is skipped. */
function iptablesNftTables(rules: Rule[]): Set<string> {
  return new Set(rules.filter((r) => r.source === 'iptables-nft').map((r) => `${r.family === 4 ? 'ip' : 'ip6'} ${r.table}`));
}

function firstLine(stderr: string, code: number): string {
  return stderr.trim().split('\n')[0] || `exit ${code}`;
}

async function readConntrack(ns: Netns, gaps: string[]): Promise<HostSnapshot['conntrack']> {
  const r = await runIn(ns, 'conntrack', ['-L', '-o', 'extended']);
  if (r.code === 0) return parseConntrack(r.stdout);
  const proc = await runIn(ns, 'cat', ['/proc/net/nf_conntrack']);
  if (proc.code === 0) return parseConntrack(proc.stdout);
  gaps.push(`conntrack: ${firstLine(r.stderr, r.code)}; /proc/net/nf_conntrack: ${firstLine(proc.stderr, proc.code)}`);
  return [];
}

async function readSysctls(ns: Netns, interfaces: string[], gaps: string[]): Promise<Record<string, string>> {
  const names = ['net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding', 'net.ipv4.conf.all.rp_filter',
    'net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'];
  for (const i of interfaces) names.push(`net.ipv4.conf.${i}.rp_filter`, `net.ipv4.conf.${i}.forwarding`, `net.ipv6.conf.${i}.forwarding`);
  const r = await runIn(ns, 'sysctl', ['-e', ...names]);
  if (r.code !== 0) gaps.push(`sysctl: ${firstLine(r.stderr, r.code)}`);
  const out: Record<string, string> = {};
  for (const line of r.stdout.split('\n')) {
    const m = /^(\S+) = (.*)$/.exec(line);
    if (m) out[m[1] as string] = m[2] as string;
  }
  return out;
}

async function probeRoute(ns: Netns, q: RouteQuestion): Promise<RouteProbe> {
  const args = ['-j', `-${q.family}`, 'route', 'get', q.dst];
  if (q.from) args.push('from', q.from);
  if (q.iif) args.push('iif', q.iif);
  const r = await runIn(ns, 'ip', args);
  const probe: RouteProbe = { family: q.family, dst: q.dst, ...(q.from ? { from: q.from } : {}), ...(q.iif ? { iif: q.iif } : {}) };
  if (r.code !== 0) return { ...probe, error: firstLine(r.stderr, r.code).replace(/^RTNETLINK answers: /, '') };
  const [route] = JSON.parse(r.stdout || '[]') as { dev?: string; gateway?: string; type?: string }[];
  if (route?.dev) probe.dev = route.dev;
  if (route?.gateway) probe.via = route.gateway;
  if (route?.type && route.type !== 'unicast') probe.type = route.type;
  return probe;
}

async function readDocker(docker: NonNullable<CollectOptions['docker']>, gaps: string[]): Promise<HostSnapshot['docker']> {
  try {
    const nets = await docker.listNetworks();
    const networks: DockerNetwork[] = nets.map((n) => {
      const options = (n.Options ?? {}) as Record<string, string>;
      const flag = (k: string): boolean | undefined => (options[k] === undefined ? undefined : options[k] === 'true');
      return {
        name: n.Name, id: n.Id, driver: n.Driver, internal: Boolean(n.Internal), options,
        subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => Boolean(s)),
        ...(options['com.docker.network.bridge.name'] ? { bridge: options['com.docker.network.bridge.name'] } : n.Driver === 'bridge' ? { bridge: `br-${n.Id.slice(0, 12)}` } : {}),
        ...(flag('com.docker.network.bridge.enable_icc') !== undefined ? { icc: flag('com.docker.network.bridge.enable_icc') } : {}),
        ...(flag('com.docker.network.bridge.enable_ip_masquerade') !== undefined ? { masquerade: flag('com.docker.network.bridge.enable_ip_masquerade') } : {}),
      };
    });
    const published: PublishedPort[] = (await docker.listContainers()).flatMap((c) => (c.Ports ?? [])
      .filter((p) => p.PublicPort !== undefined)
      .map((p) => ({ container: (c.Names[0] ?? c.Id).replace(/^\//, ''), hostIp: p.IP ?? '', hostPort: p.PublicPort, containerPort: p.PrivatePort, proto: p.Type })));
    return { networks, published };
  } catch (err) {
    gaps.push(`docker: ${(err as Error).message}`);
    return undefined;
  }
}

/** The namespace's interfaces and their MTUs (a packet too big is measured against them). */
async function readLinks(ns: Netns, gaps: string[]): Promise<LinkState[]> {
  const r = await runIn(ns, 'ip', ['-j', 'link', 'show']);
  if (r.code !== 0) {
    gaps.push(`ip link: ${firstLine(r.stderr, r.code)}`);
    return [];
  }
  return (JSON.parse(r.stdout || '[]') as { ifname: string; mtu?: number }[])
    .filter((l) => typeof l.mtu === 'number').map((l) => ({ name: l.ifname, mtu: l.mtu! }));
}

/** The listening TCP sockets and their processes: who answers a published port reached from the host (docker-proxy). */
async function readListeners(ns: Netns, gaps: string[]): Promise<Listener[]> {
  const r = await runIn(ns, 'ss', ['-tlnpH']);
  if (r.code !== 0) {
    gaps.push(`ss -tlnp: ${firstLine(r.stderr, r.code)}`);
    return [];
  }
  return parseListeners(r.stdout);
}

/** `ss -tlnpH` lines: "LISTEN 0 4096 0.0.0.0:8080 0.0.0.0:* users:(("docker-proxy",pid=1234,fd=4))". */
export function parseListeners(text: string): Listener[] {
  const out: Listener[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const local = /^\[?([^\]]*?)\]?(?:%\S+)?:(\d+)$/.exec(fields[3] ?? '');
    const users = /\("([^"]+)",pid=(\d+)/.exec(line);
    if (local && users) out.push({ addr: local[1]!, port: Number(local[2]), process: users[1]!, pid: Number(users[2]) });
  }
  return out;
}

/** Everything attribution needs from one namespace, read now. */
export async function collectSnapshot(ns: Netns, opts: CollectOptions): Promise<HostSnapshot> {
  const gaps: string[] = [];
  const takenAt = Date.now();
  const ruleset = await readRuleset(ns, gaps);
  const conntrack = await readConntrack(ns, gaps);
  const sysctls = await readSysctls(ns, opts.interfaces, gaps);
  const routes: RouteProbe[] = [];
  for (const q of opts.routes) routes.push(await probeRoute(ns, q));
  const neigh = await runIn(ns, 'ip', ['-j', 'neigh', 'show']);
  const neighbours: Neighbour[] = neigh.code === 0
    ? (JSON.parse(neigh.stdout || '[]') as Neighbour[]).map((n) => ({ dst: n.dst, dev: n.dev, state: n.state ?? [] }))
    : [];
  const docker = opts.docker ? await readDocker(opts.docker, gaps) : undefined;
  const links = await readLinks(ns, gaps);
  const listeners = await readListeners(ns, gaps);
  return { takenAt, netns: ns.label, ruleset, conntrack, sysctls, routes, neighbours, links, listeners, ...(docker ? { docker } : {}), gaps };
}

/** The route lookups attribution needs for a flow arriving on `iif`: its way forward and the way back to its source. */
export function routeQuestionsFor(flow: { family: Family; src: string; dst: string; iif: string }): RouteQuestion[] {
  return [
    { family: flow.family, dst: flow.dst, from: flow.src, iif: flow.iif },
    { family: flow.family, dst: flow.src },
  ];
}
