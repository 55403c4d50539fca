// `hoptrace doctor <container> [destination]`: "why can't my container reach the outside?"
// Checks the default route and the resolver, then an ICMP echo, a TCP connect and a DNS
// query, each between two readings of the Docker host's state, and names the cause of each
// failure with the attribution of src/evidence.
import type Docker from 'dockerode';
import { readFileSync } from 'node:fs';
import { type ContainerFacts, dockerClient, dockerdPid, dockerSocketPath, inspectContainer } from '../discover/docker.js';
import { type Netns, OWN_NETNS, ipJson, netnsOfPid } from '../discover/netns.js';
import { routeTo } from '../discover/links.js';
import { ExitCode } from '../errors.js';
import { collectSnapshot, routeQuestionsFor } from '../evidence/collect.js';
import { explainDrop, flowEntries } from '../evidence/attribute.js';
import { type ProbeResult, probeDns, probeIcmp, probeTcp } from '../evidence/probes.js';
import type { Cause, HostSnapshot, PacketAtHop } from '../evidence/types.js';
import { whyText } from '../evidence/words.js';

/** Where `doctor` looks when no destination is given (tests always name one inside the lab). */
export const DEFAULT_DESTINATION = '1.1.1.1';

export type StepName = 'default-route' | 'resolver' | 'icmp' | 'tcp' | 'dns';

export interface DoctorStep {
  step: StepName;
  ok: boolean;
  /** What was checked, e.g. "203.0.113.2:80" or "via 198.18.0.1 dev eth0". */
  subject: string;
  probe?: ProbeResult;
  resolverKind?: 'embedded' | 'dns-option' | 'copied';
  cause?: Cause;
}

export interface DoctorReport {
  container: string;
  destination: string;
  steps: DoctorStep[];
}

export interface DoctorOptions {
  container: string;
  destination: string;
  port: number;
  /** The name the DNS probe asks for; any answer (NXDOMAIN too) means the resolver works. */
  dnsName: string;
  docker: Docker;
  /** The Docker host's namespace (dockerd's); found from the Docker socket when not given. */
  hostNs?: Netns;
}

interface Flow {
  container: ContainerFacts;
  ns: Netns;
  hostNs: Netns;
  bridge: string;
  uplink: string;
}

/** The default route step, read in the container's namespace (none when it cannot be read). */
export async function defaultRoute(ns: Netns): Promise<DoctorStep> {
  const rows = await ipJson<{ gateway?: string; dev?: string }[]>(ns, ['route', 'show', 'default']).catch(() => []);
  return routeStep(rows);
}

/** The container's default route, as `ip -j route show default` lists it there. */
export function routeStep(rows: { gateway?: string; dev?: string }[]): DoctorStep {
  const row = rows[0];
  if (!row) return { step: 'default-route', ok: false, subject: 'none' };
  return { step: 'default-route', ok: true, subject: `${row.gateway ? `via ${row.gateway} ` : ''}dev ${row.dev ?? '?'}` };
}

/** The resolver of the container (process `pid`), from its /etc/resolv.conf. */
export function resolver(pid: number, hostConfigDns: string[]): DoctorStep & { server?: string } {
  let text: string | undefined;
  try {
    text = readFileSync(`/proc/${pid}/root/etc/resolv.conf`, 'utf8');
  } catch {
    // None there: the step says so.
  }
  return resolverStep(text, hostConfigDns);
}

/** The resolver step from the container's resolv.conf (undefined: there is none) and its --dns servers. */
export function resolverStep(text: string | undefined, hostConfigDns: string[]): DoctorStep & { server?: string } {
  if (text === undefined) return { step: 'resolver', ok: false, subject: 'no /etc/resolv.conf in the container' };
  const servers = [...text.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1] as string);
  const server = servers[0];
  if (!server) return { step: 'resolver', ok: false, subject: 'no nameserver in /etc/resolv.conf' };
  const resolverKind = server === '127.0.0.11' ? 'embedded' : hostConfigDns.length > 0 ? 'dns-option' : 'copied';
  return { step: 'resolver', ok: true, subject: servers.join(', '), resolverKind, server };
}

/** Runs a probe between two readings of the Docker host and explains a failure. */
async function traced(flow: Flow, packet: PacketAtHop, run: () => Promise<ProbeResult>): Promise<{ probe: ProbeResult; cause?: Cause }> {
  const opts = snapshotOptions(flow, packet);
  const before = await collectSnapshot(flow.hostNs, opts);
  const probe = await run();
  if (probe.outcome === 'ok') return { probe };
  const after = await collectSnapshot(flow.hostNs, opts);
  return { probe, cause: causeOf(flow, withSport(packet, probe), before, after) };
}

/** What a reading of the host around a probe reads: the bridge's and uplink's counters, the routes both ways. */
export function snapshotOptions(flow: Pick<Flow, 'bridge' | 'uplink'>, packet: PacketAtHop): { interfaces: string[]; routes: ReturnType<typeof routeQuestionsFor> } {
  return { interfaces: [flow.bridge, flow.uplink], routes: routeQuestionsFor({ ...packet, iif: flow.bridge }) };
}

/** The probe's packet with the source port it used, when the probe knows it (TCP, DNS). */
export function withSport(packet: PacketAtHop, probe: ProbeResult): PacketAtHop {
  return { ...packet, ...(probe.sport ? { sport: probe.sport } : {}) };
}

/** Why a probe's packet found no answer, from the readings before and after it. */
export function causeOf(flow: Pick<Flow, 'bridge' | 'uplink'>, packet: PacketAtHop, before: HostSnapshot, after: HostSnapshot): Cause {
  // A conntrack entry is confirmed only once its first packet has passed POSTROUTING: an
  // entry for the flow means the packets left this host.
  const leftHost = flowEntries(packet, after.conntrack).length > 0;
  return explainDrop({ packet, inIface: flow.bridge, outIface: flow.uplink, leftHost, count: 1, ctState: 'NEW' }, before, after);
}

/** A probe's step: ok when it was answered, with the probe and the cause of a failure. */
export function probeStep(step: StepName, subject: string, result: { probe: ProbeResult; cause?: Cause }): DoctorStep {
  return { step, ok: result.probe.outcome === 'ok', subject, ...result };
}

/** The container's address the probes leave from: its first network's (none: empty). */
export function sourceAddress(container: Pick<ContainerFacts, 'networks'>): string {
  return container.networks[0]?.ip ?? '';
}

/** The packets the probes send to `dst`, as the host's rules see them: an echo request, a TCP connect to `port`, a DNS query (UDP 53). */
export function probePackets(src: string, dst: string, port: number): { icmp: PacketAtHop; tcp: PacketAtHop; dns: PacketAtHop } {
  const base = { family: 4 as const, src, dst };
  return { icmp: { ...base, proto: 1, icmpType: 8 }, tcp: { ...base, proto: 6, dport: port }, dns: { ...base, proto: 17, dport: 53 } };
}

export async function diagnose(o: DoctorOptions): Promise<DoctorReport> {
  const container = await inspectContainer(o.docker, o.container);
  const ns = netnsOfPid(container.pid, `container:${container.name}`);
  const hostNs = o.hostNs ?? hostNamespace();
  const src = sourceAddress(container);
  const bridge = (await routeTo(hostNs, src))?.dev ?? '?';
  const uplink = (await routeTo(hostNs, o.destination))?.dev ?? '?';
  const flow: Flow = { container, ns, hostNs, bridge, uplink };
  const info = await o.docker.getContainer(container.id).inspect();
  const steps: DoctorStep[] = [await defaultRoute(ns)];
  const res = resolver(container.pid, info.HostConfig.Dns ?? []);
  const { server, ...resStep } = res;
  steps.push(resStep);
  const packets = probePackets(src, o.destination, o.port);
  const icmp = await traced(flow, packets.icmp, () => probeIcmp(ns, o.destination));
  steps.push(probeStep('icmp', o.destination, icmp));
  const tcp = await traced(flow, packets.tcp, () => probeTcp(ns, o.destination, o.port));
  steps.push(probeStep('tcp', `${o.destination}:${o.port}`, tcp));
  if (server) steps.push(await dnsStep(flow, ns, src, server, o.dnsName));
  return { container: container.name, destination: o.destination, steps };
}

async function dnsStep(flow: Flow, ns: Netns, src: string, server: string, name: string): Promise<DoctorStep> {
  const subject = `${name} via ${server}`;
  // The embedded DNS answers inside the container's namespace; dockerd forwards from its own.
  if (server === '127.0.0.11') return embeddedDnsStep(subject, await probeDns(ns, server, name));
  const r = await traced(flow, probePackets(src, server, 53).dns, () => probeDns(ns, server, name));
  return probeStep('dns', subject, r);
}

/** Docker's embedded DNS: asked in the container's namespace; a failure is not followed to dockerd's resolvers. */
export function embeddedDnsStep(subject: string, probe: ProbeResult): DoctorStep {
  const cause: Cause | undefined = probe.outcome === 'ok' ? undefined : {
    kind: 'unknown', evidence: { counters: [], conntrack: [], sysctls: {} },
    detail: { type: 'not-known', reason: 'Docker\'s embedded DNS (127.0.0.11) did not answer; dockerd forwards such queries to the Docker host\'s resolvers, which this check does not follow' },
  };
  return { step: 'dns', ok: probe.outcome === 'ok', subject, probe, ...(cause ? { cause } : {}) };
}

/** The Docker host's namespace: dockerd's, found from its socket; ours when there is none. */
export function hostNamespace(): Netns {
  const socket = dockerSocketPath();
  const pid = socket ? dockerdPid(socket) : undefined;
  return pid ? netnsOfPid(pid, 'docker host') : OWN_NETNS;
}

const STEP_WORDS: Record<StepName, string> = {
  'default-route': 'default route', resolver: 'resolver', icmp: 'ICMP echo to', tcp: 'TCP connect to', dns: 'DNS query for',
};
const OUTCOME_WORDS = { ok: 'answered', refused: 'refused', timeout: 'no answer', error: 'failed' } as const;
const RESOLVER_WORDS = {
  embedded: 'Docker\'s embedded DNS (user-defined network): dockerd answers container names and forwards the rest',
  'dns-option': 'set with --dns',
  copied: 'copied from the Docker host\'s resolv.conf (default bridge)',
} as const;

export function renderDoctor(r: DoctorReport): string {
  const lines = [`doctor ${r.container} -> ${r.destination}`];
  for (const s of r.steps) {
    const how = s.probe ? `: ${OUTCOME_WORDS[s.probe.outcome]}${s.probe.outcome === 'error' && s.probe.message ? ` (${s.probe.message})` : ''}` : '';
    const kind = s.resolverKind ? ` (${RESOLVER_WORDS[s.resolverKind]})` : '';
    const subject = s.step === 'default-route' && !s.ok ? 'none: the container reaches only its own networks' : s.subject;
    lines.push(`${s.ok ? 'ok  ' : 'FAIL'}  ${STEP_WORDS[s.step]} ${subject}${kind}${how}`);
    if (s.cause) lines.push(`      why: ${whyText(s.cause)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The command: prints the report, returns the exit code (0 when every step works). */
export async function doctorCommand(container: string, destination: string, flags: { port?: number; name?: string; json?: boolean }): Promise<number> {
  const report = await diagnose({ container, destination, port: flags.port ?? 80, dnsName: flags.name ?? 'example.com', docker: dockerClient() });
  const out = doctorOutput(report, flags.json ?? false);
  process.stdout.write(out.text);
  return out.code;
}

/** What doctor prints and its exit code (0 when every step works). */
export function doctorOutput(report: DoctorReport, json: boolean): { text: string; code: number } {
  return { text: json ? `${JSON.stringify(report, null, 2)}\n` : renderDoctor(report), code: report.steps.every((s) => s.ok) ? ExitCode.OK : ExitCode.NOT_OK };
}
