// The stage after explain: each not-ok verdict and each rewrite of a report gets the cause
// found in the Docker host's state around the trace. Pure; the verdicts are not touched.
import type { FlowReport, Hop, Report, Rewrite } from '../model.js';
import { explainDrop, explainMissingSnat, explainRewrite } from './attribute.js';
import type { HostEvidence } from './host-file.js';
import { type RouteQuestion, routeQuestionsFor } from './collect.js';
import { endpointOf, packetAt, travelOrder } from './packets.js';
import type { Cause, DropQuery, HostSnapshot } from './types.js';
import type { TraceEvent } from './trace-rules.js';
import { tracedDrop } from './traced.js';
import { explainHostIcmp, hostMadeError } from './host-icmp.js';
import { withProxy } from './relay.js';
export type { CauseSource } from './types.js';


const HOST_ROLES = new Set(['veth', 'bridge', 'uplink', 'host']);
const INNER_ROLES = new Set(['veth', 'bridge']);

interface Scene {
  hops: Hop[];
  ruleTrace?: TraceEvent[];
  before: HostSnapshot;
  after: HostSnapshot;
}

/** The interface the host's IP layer sees a packet on at this hop: a bridge port is its bridge. */
function ipIface(hops: Hop[], i: number): string | undefined {
  const hop = hops[i];
  if (!hop || !HOST_ROLES.has(hop.role)) return undefined;
  if (hop.role === 'veth') return hops.find((h) => h.role === 'bridge')?.iface ?? hop.iface;
  return hop.iface ?? hop.name;
}

const notKnown = (reason: string): Cause => ({ kind: 'unknown', detail: { type: 'not-known', reason }, evidence: { counters: [], conntrack: [], sysctls: {} } });

function hostEvidenceOf(evidence: HostEvidence | undefined): { before: HostSnapshot; after: HostSnapshot } | undefined {
  return evidence?.namespaces.find((n) => n.role === 'host');
}

/** Where the flow's packets of a not-ok verdict stopped: the last hop that saw them and the next one. */
function stopPoint(flow: FlowReport, hops: Hop[]): { direction: 'request' | 'reply'; from: number; to?: number } | undefined {
  const index = (name: string): number => hops.findIndex((h) => h.name === name);
  if (flow.dropBetween) {
    return { direction: flow.verdict === 'reply-dropped' ? 'reply' : 'request', from: index(flow.dropBetween[0]), to: index(flow.dropBetween[1]) };
  }
  const order = travelOrder(flow, hops, 'request');
  const at = order.indexOf(index(flow.reached));
  if (at < 0) return undefined;
  return { direction: 'request', from: order[at]!, ...(at + 1 < order.length ? { to: order[at + 1] } : {}) };
}

/**
 * How many of the flow's packets stopped there: a rule must have counted at least these. When
 * only some vanished (partial-loss), those; otherwise every packet of that direction.
 */
function stoppedCount(flow: FlowReport, hops: Hop[], stop: { direction: 'request' | 'reply'; from: number; to?: number }): number {
  const [from, to] = [hops[stop.from]?.name, stop.to === undefined ? undefined : hops[stop.to]?.name];
  for (const f of flow.findings) {
    if (f.code === 'partial-loss' && f.direction === stop.direction && 'between' in f && f.between[0] === from && f.between[1] === to) return Math.max(1, f.count);
  }
  return Math.max(1, stop.direction === 'reply' ? flow.packets.reply : flow.packets.request);
}

function verdictCause(flow: FlowReport, s: Scene): Cause | undefined {
  if (flow.verdict === 'ok') return undefined;
  const stop = stopPoint(flow, s.hops);
  if (!stop) return notKnown('the hop where the packets stopped is not on the path');
  const packet = packetAt(flow, s.hops, stop.direction, stop.from);
  if (!packet) return notKnown(`a ${flow.proto} flow between ${endpointOf(flow.initiator).addr} and ${endpointOf(flow.responder).addr} cannot be matched against rules`);
  const inIface = ipIface(s.hops, stop.from);
  const outIface = stop.to === undefined ? undefined : ipIface(s.hops, stop.to);
  const lastHost = stop.to === undefined || outIface === undefined;
  // A path that ends at a bridge or veth (the host had no route on) was not left by it.
  const leftHost = lastHost && !INNER_ROLES.has(s.hops[stop.from]?.role ?? '');
  if (flow.findings.some((f) => f.code === 'no-snat') && inIface) {
    return explainMissingSnat(packet, inIface, s.before, s.after);
  }
  if (!inIface) return notKnown(`the packets were last seen at ${s.hops[stop.from]?.name}, outside this host's network namespace`);
  const made = hostMadeError(flow, s.hops);
  const own = made && explainHostIcmp(made.error, packet, inIface, s.hops, s.after);
  if (own) return own;
  const q: DropQuery = {
    packet, inIface, leftHost, ctState: stop.direction === 'reply' ? 'ESTABLISHED' : 'NEW',
    count: stoppedCount(flow, s.hops, stop),
    ...(leftHost ? { outIface: inIface } : outIface === undefined ? {} : { outIface }),
  };
  // --trace-rules saw the kernel drop these very packets: that names the rule exactly.
  const traced = s.ruleTrace && !lastHost ? tracedDrop(s.ruleTrace, packet, s.after) : undefined;
  return traced ?? explainDrop(q, s.before, s.after);
}

function rewriteCause(flow: FlowReport, r: Rewrite, s: Scene): Cause | undefined {
  const index = (name: string): number => s.hops.findIndex((h) => h.name === name);
  const [a, b] = [index(r.between[0]), index(r.between[1])];
  const before = packetAt(flow, s.hops, r.direction, a);
  const after = packetAt(flow, s.hops, r.direction, b);
  const inIface = ipIface(s.hops, a);
  const outIface = ipIface(s.hops, b);
  if (!before || !after || !inIface || !outIface) return notKnown(`the rewrite between ${r.between[0]} and ${r.between[1]} is not made in this host's namespace`);
  return explainRewrite({ before, after, inIface, outIface }, s.before, s.after);
}

function withCauses(flow: FlowReport, s: Scene): FlowReport {
  // A relay tied from the frames (relay.ts) gets its proxy's name and pid from the host's sockets.
  const relay = flow.cause?.detail.type === 'relay' ? withProxy(flow.cause, s.after.listeners) : undefined;
  const cause = relay ?? verdictCause(flow, s);
  // Rewrites between the same two hops, the same way, were made by the same rule: asked once.
  const asked = new Map<string, Cause | undefined>();
  const rewrites = flow.rewrites.map((r) => {
    const key = `${r.direction}|${r.between.join('|')}`;
    if (!asked.has(key)) asked.set(key, rewriteCause(flow, r, s));
    const c = asked.get(key);
    return c ? { ...r, cause: c } : r;
  });
  return { ...flow, rewrites, ...(cause ? { cause } : {}) };
}

/**
 * The report with a `cause` on each not-ok flow and each rewrite, from the host's state before
 * and after the trace; without that state, the report says once that causes cannot be known.
 */
export function attachCauses(report: Report, evidence: HostEvidence | undefined, options: { traceRules?: boolean } = {}): Report {
  const host = hostEvidenceOf(evidence);
  const traceRules = options.traceRules ?? false;
  if (!host) return { ...report, causes: { evidence: 'none', traceRules, gaps: [] } };
  const scene: Scene = { hops: report.hops, before: host.before, after: host.after, ...(evidence?.ruleTrace ? { ruleTrace: evidence.ruleTrace } : {}) };
  const gaps = [...new Set([...host.before.gaps, ...host.after.gaps])];
  return { ...report, flows: report.flows.map((f) => withCauses(f, scene)), causes: { evidence: 'host', traceRules, gaps } };
}

/**
 * Causes for flows written out before the end of a live trace, by the same rules as
 * attachCauses, from a reading of the host begun after they were retired (evidence/live.ts).
 */
export function flowCauses(flows: FlowReport[], hops: Hop[], evidence: HostEvidence): FlowReport[] {
  const host = hostEvidenceOf(evidence);
  if (!host) return flows;
  const scene: Scene = { hops, before: host.before, after: host.after, ...(evidence.ruleTrace ? { ruleTrace: evidence.ruleTrace } : {}) };
  return flows.map((f) => withCauses(f, scene));
}

/** The route lookups attribution asks of the host for these flows: where each stopped or left, and the way back. */
export function routeQuestionsOf(report: Pick<Report, 'hops' | 'flows'>, limit = 32): RouteQuestion[] {
  const questions: RouteQuestion[] = [];
  for (const flow of report.flows.slice(0, limit)) {
    const stop = stopPoint(flow, report.hops);
    const packet = stop && packetAt(flow, report.hops, stop.direction, stop.from);
    const iif = stop && ipIface(report.hops, stop.from);
    if (packet && iif) questions.push(...routeQuestionsFor({ family: packet.family, src: packet.src, dst: packet.dst, iif }));
  }
  const seen = new Set<string>();
  return questions.filter((q) => !seen.has(JSON.stringify(q)) && seen.add(JSON.stringify(q)));
}
