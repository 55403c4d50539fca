import type { FlowReport, Hop, Report } from '../model.js';
import type { HostEvidence } from '../evidence/host-file.js';
import type { TraceSession } from '../session.js';
import { discoverPath, refuseUntraceable, type DiscoveredPath } from '../discover/path.js';
import { describeFact } from '../discover/describe.js';
import { vlanTaggedHops } from '../discover/macvlan.js';
import { resolveTarget, sayWaiting, type TargetSpec } from '../discover/target.js';
import { inspectContainer } from '../discover/docker.js';
import type { Netns } from '../discover/netns.js';
import { describeFilters, hopFilter, type FlowSelector } from '../capture/live/bpf.js';
import { liveSource } from '../capture/live/live-session.js';
import { runTrace, type RunOptions } from '../pipeline/run-trace.js';
import type { TraceOptions } from '../pipeline/options.js';
import type { FrameSource } from '../source.js';
import { requireCaptureRights } from '../capture/live/privilege.js';
import type { Traffic } from '../capture/live/traffic.js';
import type { CaptureHelpers } from '../capture/live/helper-process.js';
import type { Interrupt } from './interrupt.js';
import { relayOnlyHop, watchRelays } from '../evidence/relay-source.js';

export interface LiveTraceRequest {
  target: TargetSpec;
  destination?: string;
  selector: FlowSelector;
  /** Traffic to send from inside the traced namespace once every hop captures; none for watch. */
  traffic?: (netns: Netns) => Traffic;
  /** How long to keep capturing after the traffic ended, for late replies. */
  lingerMs: number;
  recordDir?: string;
  /** --trace-rules: trace the flow through the host's rules with a temporary nftables table. */
  traceRules?: boolean;
  /** Slots of libpcap's ring per hop (--ring-packets). */
  ringPackets: number;
  /** --window, --filter: the same options as replay. */
  trace: TraceOptions;
  /** The command as typed, for "run as root: sudo ..." */
  commandLine: string;
  /** Told when the trace starts, what the traffic did, what went wrong on the way. */
  say: (line: string) => void;
  /** `--host name=endpoint` (multi-host, commands/multi-host-trace.ts) and the command run in the container there. */
  hosts?: string[];
  inContainer?: string[];
  /** --pcapng, --html: listeners and frame taps, made once the path (and so the hops) is known. */
  exports?: (hops: Hop[], description: string) => Pick<RunOptions, 'listeners' | 'taps'>;
  /**
   * Where flows retired before the end go (printed, then out of memory); without it every flow
   * is kept to the end. On a single host a retired flow first gets its causes from a reading of
   * the host begun after it was retired (evidence/live.ts), so it arrives here a few seconds later.
   */
  onRetired?: RunOptions['onRetired'];
  /** Given the host's state read around the trace, for the --pcapng export to carry. */
  onHostEvidence?: (evidence: HostEvidence) => void;
  /** Capture helpers started before the path was known (commands/live.ts); the caller ends them. */
  helpers?: CaptureHelpers;
}

/** Shows a running session and returns its final report (the TUI, or waiting and rendering). */
export type Presenter = (session: TraceSession) => Promise<Report>;

/** `interrupt`: listening since the command started, so a Ctrl-C during discovery is heard too. */
export async function runLiveTrace(request: LiveTraceRequest, present: Presenter, interrupt: Interrupt): Promise<Report> {
  requireCaptureRights(request.commandLine);
  // Each namespace's capture helper starts as soon as the namespace is known.
  // A Ctrl-C abandons the wait for Docker; its notice must not follow the line that says so.
  const onDockerWait = (endpoint: string): void => (interrupt.requested ? undefined : sayWaiting(endpoint));
  const target = await interrupt.before(resolveTarget(request.target, onDockerWait, (ns) => request.helpers?.startIn(ns)));
  const path = await interrupt.before(discoverPath(target, request.destination));
  refuseUntraceable(path);
  for (const line of factLines(path)) request.say(line);
  // The host's state before the traffic starts, read while the captures open; read again after
  // flows are retired and after the capture stops, for the causes.
  const onRetired = request.onRetired;
  const watching = import('../evidence/live.js').then((m) => m.watchHost(path, watchOptions(request)));
  watching.catch(() => undefined);
  const filters = captureFilters(path, request.selector);
  const warnings: string[] = [];
  const checks: Promise<void>[] = [];
  let source: FrameSource | undefined;
  const onProblem = problemHandler(path, request, warnings, () => source, checks);
  const description = describeTrace(path, request);
  source = liveSource({
    hops: path.hops,
    where: path.where,
    filters,
    description,
    recordDir: request.recordDir,
    ringPackets: request.ringPackets,
    notes: captureNotes(path, filters),
    onProblem,
    warnings: () => warnings,
    settling: () => Promise.allSettled(checks),
    helpers: request.helpers,
  });
  // The host's lo (relay-only hop) is watched for docker-proxy's relays, off the path.
  const relays = watchRelays(source);
  // A flow retires long after the first reading of the host is done; the promise keeps their order anyway.
  const retire = onRetired
    ? { onRetired: (flow: FlowReport) => void watching.then((host) => host.retired(relays.attachFlow(flow, relays.source.hops), relays.source.hops), () => undefined) }
    : {};
  const session = await runTrace(relays.source, { ...request.trace, ...request.exports?.(relays.source.hops, description), ...retire }).catch(async (error: unknown) => {
    await watching.then((h) => h.stop(), () => undefined);
    throw error;
  });
  const host = await watching.catch(async (error: unknown) => {
    session.stop();
    await session.report.catch(() => undefined);
    throw error;
  });
  interrupt.onStop(() => session.stop());
  noteWatchUplink(path, request);
  const traffic = interrupt.requested ? undefined : request.traffic?.(path.target.netns);
  if (traffic) void sendThenStop(traffic, session, request);
  // The view is given the report with its relays and causes (the host read again as soon as the
  // capture ends), so the TUI's detail can show them before the user quits.
  const finished = session.report.then((r) => host.finish(relays.attach(r), request.recordDir, request.onHostEvidence));
  finished.catch(() => undefined);
  const shown: TraceSession = Object.assign(Object.create(session) as TraceSession, { report: finished });
  try {
    await present(shown);
    traffic?.stop();
  } finally {
    traffic?.stop();
    // This command owns the trace: it ends it, whatever the view did.
    session.stop();
    await session.report.catch(() => undefined);
    await host.stop();
  }
  return finished;
}

/** What discovery established, said before the capture starts. */
export function factLines(path: Pick<DiscoveredPath, 'facts'>): string[] {
  return path.facts.map((fact) => `note: ${describeFact(fact)}`);
}

/** How the host is watched for the causes: with --trace-rules or not, and where retired flows go. */
export function watchOptions(request: Pick<LiveTraceRequest, 'traceRules' | 'onRetired'>): { traceRules: boolean; onRetired?: NonNullable<LiveTraceRequest['onRetired']> } {
  const onRetired = request.onRetired;
  return { traceRules: request.traceRules ?? false, ...(onRetired ? { onRetired } : {}) };
}

/** Each hop's capture filter, for the traced flow. */
export function captureFilters(path: DiscoveredPath, selector: FlowSelector): string[] {
  return path.hops.map((hop) => hopFilter(hop, selector, filterContext(path)));
}

/** The notes the report carries: what discovery established, its own notes, and each hop's capture filter. */
export function captureNotes(path: Pick<DiscoveredPath, 'facts' | 'notes' | 'hops'>, filters: string[]): string[] {
  return [...path.facts.map(describeFact), ...path.notes, ...describeFilters(path.hops, filters)];
}

/** A hop's capture ended on its own: warn, and if the container stopped, end the trace. */
export function problemHandler(path: DiscoveredPath, request: LiveTraceRequest, warnings: string[], source: () => FrameSource | undefined, checks: Promise<void>[]) {
  let stoppedSaid = false;
  return (hop: Hop, message: string): void => {
    warnings.push(`${hop.name}: ${message}`);
    request.say(`warning: ${hop.name}: ${message}`);
    // The source's end waits for this check (settling): the other hops' captures may end too
    // (a vanished veth ends its namespace's helper) before Docker has answered.
    checks.push(
      containerStopped(path).then((why) => {
        if (!why || stoppedSaid) return;
        stoppedSaid = true;
        warnings.push(why);
        request.say(`warning: ${why}`);
        source()?.stop();
      }),
    );
  };
}

function noteWatchUplink(path: DiscoveredPath, request: LiveTraceRequest): void {
  const note = watchUplinkNote(path, request.selector);
  if (note) request.say(note);
}

/** A watch without a filter keeps, at the uplink, every packet of the SNAT's addresses: said so. */
export function watchUplinkNote(path: Pick<DiscoveredPath, 'hops' | 'uplinkAddrs'>, selector: FlowSelector): string | undefined {
  if (selector.proto !== 'any' || selector.userFilter || path.uplinkAddrs.length === 0) return undefined;
  const uplink = (path.hops.find((h) => h.role === 'uplink') ?? path.hops[path.hops.length - 1]!).name;
  return (
    `note: without a filter, ${uplink} keeps every packet to or from ${path.uplinkAddrs.join(', ')} (where the SNAT puts the container's traffic), ` +
    `the host's own included; a filter such as 'host <destination>' narrows it`
  );
}

async function sendThenStop(traffic: Traffic, session: TraceSession, request: LiveTraceRequest): Promise<void> {
  const outcome = await traffic.finished;
  request.say(outcome);
  const linger = setTimeout(() => session.stop(), request.lingerMs);
  void session.report.finally(() => clearTimeout(linger)).catch(() => undefined);
}

export function filterContext(path: DiscoveredPath) {
  const publishedPorts = (path.target.container?.ports ?? []).map((p) => ({
    proto: p.containerPort.split('/')[1] ?? 'tcp',
    port: Number(p.hostPort),
  }));
  const relayOnly = path.hops.filter((h) => relayOnlyHop(h, path.hops)).map((h) => h.name);
  return { addrs: path.addrs, uplinkAddrs: path.uplinkAddrs, publishedPorts, vlanTagged: vlanTaggedHops(path.facts), relayOnly };
}

export function describeTrace(path: Pick<DiscoveredPath, 'target'>, request: Pick<LiveTraceRequest, 'destination' | 'commandLine'>): string {
  const to = request.destination ? ` to ${request.destination}` : '';
  return `hoptrace ${request.commandLine.replace(/^hoptrace /, '')}: ${path.target.description}${to}, recorded live (kernel timestamps of each hop's capture)`;
}

/** A capture ended on its own: if the container stopped, say so and end the trace. */
async function containerStopped(path: DiscoveredPath): Promise<string | undefined> {
  const { docker, container } = path.target;
  if (!docker || !container) return undefined;
  const now = await inspectContainer(docker, container.id).catch(() => undefined);
  return stoppedLine(container.name, now);
}

/** What Docker said of the container after a capture ended on its own (undefined: it could not say). */
export function stoppedLine(name: string, now: { running: boolean } | undefined): string | undefined {
  if (now?.running) return undefined;
  return `container ${name} ${now ? 'stopped' : 'was removed'} during the trace: the report covers what was captured until then`;
}
