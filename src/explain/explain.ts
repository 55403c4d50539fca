import type { Direction, Finding, FlowReport, Hop, LatencyStep, Rewrite, TtlStep, Verdict } from '../model.js';
import type { DirectionSummary, FlowSummary, ReadonlyDeep } from '../correlate/flows.js';
import type { PathModel } from '../correlate/path.js';
import { rejectionText } from './icmp.js';
import { acrossHosts, tunnelsOf } from './tunnels.js';
import { formatAddress } from '../addresses.js';

/** The path as explain sees it: read-only. */
type PathView = ReadonlyDeep<PathModel>;

/**
 * Turns a flow's sums into the report a person reads: verdict, drop point, rewrites, findings.
 * `originNs` is the trace's earliest timestamp on the flow's clock: times are counted from it.
 */
export function explainFlow(path: PathView, flow: FlowSummary, originNs = 0): FlowReport {
  const names = path.hops.map((h) => h.name);
  const blind = blindHops(flow, path.size);
  const { verdict, drop } = judge(path, flow, blind);
  const requestOrder = travelOrder(path.size, flow.outbound);
  const reached = flow.request.farthest >= 0 ? names[requestOrder[flow.request.farthest]] : names[requestOrder[0]];
  return {
    id: flow.publicId,
    proto: flow.proto,
    initiator: flow.initiator,
    responder: flow.responder,
    verdict,
    reached,
    dropBetween: drop ? [names[drop[0]], names[drop[1]]] : null,
    rewrites: rewritesOf(flow, names),
    ttl: ttlSteps(flow, names),
    latency: latencySteps(flow, path.hops),
    findings: findingsOf(flow, names, blind, verdict),
    ...withTunnels(flow, names),
    packets: { request: flow.request.packets, reply: flow.reply.packets },
    firstSeen: seconds(flow.firstSeen - originNs),
    lastSeen: seconds(flow.lastSeen - originNs),
  };
}

/** The verdict alone, without building the report: cheap enough to ask after every packet. */
export function verdictOf(path: PathView, flow: FlowSummary): Verdict {
  return judge(path, flow, blindHops(flow, path.size)).verdict;
}

function judge(path: PathView, flow: FlowSummary, blind: Set<number>): { verdict: Verdict; drop?: [number, number] } {
  const travel = (direction: Direction) => travelOrder(path.size, (direction === 'request') === flow.outbound);
  return decide(flow, dropPoint(flow.request, travel('request'), blind), dropPoint(flow.reply, travel('reply'), blind));
}

function travelOrder(size: number, increasing: boolean): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  return increasing ? order : order.reverse();
}

/** Hops that saw none of this flow's packets though the packets crossed them (a bridge between two of its ports). */
function blindHops(flow: FlowSummary, size: number): Set<number> {
  const blind = new Set<number>();
  for (let hop = 0; hop < size; hop++) {
    const seen = flow.request.seen[hop] + flow.reply.seen[hop];
    const missed = flow.request.missed[hop] + flow.reply.missed[hop];
    if (seen === 0 && missed > 0) blind.add(hop);
  }
  return blind;
}

/** The hop most packets were last seen at before vanishing, and the next hop that could have seen them. */
function dropPoint(stats: DirectionSummary, order: number[], blind: Set<number>): [number, number] | undefined {
  let worst = -1;
  for (const hop of order) if (stats.vanishedAfter[hop] > 0 && (worst < 0 || stats.vanishedAfter[hop] > stats.vanishedAfter[worst])) worst = hop;
  if (worst < 0) return undefined;
  let next = order.indexOf(worst) + 1;
  while (next < order.length - 1 && blind.has(order[next])) next++;
  return [worst, order[Math.min(next, order.length - 1)]];
}

function vanished(stats: DirectionSummary): number {
  return stats.vanishedAfter.reduce((sum, n) => sum + n, 0);
}

function decide(
  flow: FlowSummary,
  requestDrop: [number, number] | undefined,
  replyDrop: [number, number] | undefined,
): { verdict: Verdict; drop?: [number, number] } {
  if (flow.rejection) return { verdict: 'rejected' };
  if (flow.reply.arrived > 0) return { verdict: 'ok' };
  if (replyDrop) return { verdict: 'reply-dropped', drop: replyDrop };
  if (flow.request.arrived > 0) return { verdict: 'no-reply' };
  if (requestDrop) return { verdict: 'dropped', drop: requestDrop };
  return { verdict: 'no-reply' };
}

function between(names: string[], from: number, to: number): [string, string] {
  return [names[from], names[to]];
}

function rewritesOf(flow: FlowSummary, names: string[]): Rewrite[] {
  return [...flow.rewrites.values()]
    .flat()
    .sort((a, b) => dirRank(a.direction) - dirRank(b.direction) || a.from - b.from || a.to - b.to)
    .map((r) => ({ between: between(names, r.from, r.to), direction: r.direction, field: r.field, from: r.before, to: r.after }));
}

function dirRank(direction: Direction): number {
  return direction === 'request' ? 0 : 1;
}

function sortedSteps(flow: FlowSummary) {
  return [...flow.steps.values()].sort(
    (a, b) => dirRank(a.direction) - dirRank(b.direction) || ((a.direction === 'request') === flow.outbound ? a.from - b.from : b.from - a.from),
  );
}

function ttlSteps(flow: FlowSummary, names: string[]): TtlStep[] {
  return sortedSteps(flow).flatMap((s) =>
    [...s.ttl.keys()].sort((a, b) => a - b).map((decrement) => ({ between: between(names, s.from, s.to), direction: s.direction, decrement })),
  );
}

const us = (ns: number) => Math.round(ns) / 1000;
/** Seconds since the trace's earliest frame, to the microsecond. */
const seconds = (ns: number) => Math.round(ns / 1000) / 1e6;

function latencySteps(flow: FlowSummary, hops: PathView['hops']): LatencyStep[] {
  return sortedSteps(flow).flatMap((s) => {
    const step = acrossHosts(
      { between: [hops[s.from].name, hops[s.to].name], direction: s.direction, samples: s.samples, minUs: us(s.minNs), avgUs: us(s.sumNs / s.samples), maxUs: us(s.maxNs) },
      hops[s.from] as Hop,
      hops[s.to] as Hop,
    );
    return step ? [step] : [];
  });
}

function withTunnels(flow: FlowSummary, names: string[]): Pick<FlowReport, 'tunnels'> {
  const tunnels = tunnelsOf(flow, names);
  return tunnels ? { tunnels } : {};
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function findingsOf(flow: FlowSummary, names: string[], blind: Set<number>, verdict: Verdict): Finding[] {
  const findings: Finding[] = [];
  if (flow.rejection) findings.push({ code: 'rejected', message: `${rejectionText(flow.rejection)} answered the request` });
  if (flow.noSnat) {
    findings.push({
      code: 'no-snat',
      message: `packets leave ${names[flow.noSnat.hop]} with the container's own source ${formatAddress(flow.noSnat.src)}, which is not routable outside: nothing rewrote it (no SNAT/MASQUERADE), so no reply can find its way back`,
    });
  }
  for (let hop = 0; hop < names.length; hop++) {
    const missed = flow.request.missed[hop] + flow.reply.missed[hop];
    if (missed === 0) continue;
    if (blind.has(hop)) {
      findings.push({ code: 'hop-not-seeing-flow', message: `${names[hop]} saw none of this flow's packets though they crossed it (a bridge device does not see traffic forwarded between two of its ports)` });
    } else {
      findings.push({ code: 'capture-gap', message: `${plural(missed, 'packet')} seen at later hops ${missed === 1 ? 'was' : 'were'} missing at ${names[hop]}: capture loss there, not a network drop` });
    }
  }
  for (const [direction, stats] of [['request', flow.request], ['reply', flow.reply]] as const) {
    const lost = vanished(stats);
    const counted = verdict === 'dropped' ? direction === 'request' : verdict === 'reply-dropped' ? direction === 'reply' : false;
    if (lost > 0 && !counted) {
      findings.push({ code: 'partial-loss', message: `${lost} of ${plural(stats.packets, direction)} vanished on the way` });
    }
    if (stats.inFlight > 0) {
      findings.push({ code: 'in-flight', message: `${plural(stats.inFlight, direction)} still on the way when the capture ended` });
    }
  }
  return findings;
}

