import type { AnsweringSide, Direction, Finding, FlowReport, Hop, LatencyStep, Place, Rewrite, TtlStep, Verdict } from '../model.js';
import type { DirectionSummary, FlowSummary, ReadonlyDeep } from '../correlate/flows.js';
import type { PathModel } from '../correlate/path.js';
import { acrossHosts, tunnelsOf } from './tunnels.js';

/** The path as explain sees it: read-only. */
type PathView = ReadonlyDeep<PathModel>;

/** What explain works out of a flow before judging it: which hops are on its path and which could not see it. */
interface FlowShape {
  /** Request travel order (hop indexes). */
  order: number[];
  /** The hop where the flow turns back (answers first appeared there before the path's end), if it does. */
  turnHop?: number;
  /** Hops past the turn that saw none of the flow: not on its path. */
  offPath: Set<number>;
  /** Hops on the path that saw none of the flow's packets though the packets crossed them. */
  blind: Set<number>;
  /** Per hop, requests last seen there that did not arrive (those delivered at the turn left out). */
  requestVanished: number[];
}

/**
 * Turns a flow's sums into the report a person reads: verdict, drop point, rewrites, findings (as values).
 * `originNs` is the trace's earliest timestamp on the flow's clock: times are counted from it.
 */
export function explainFlow(path: PathView, flow: FlowSummary, originNs = 0): FlowReport {
  const names = path.hops.map((h) => h.name);
  const shape = shapeOf(path, flow);
  const { verdict, drop } = judge(flow, shape);
  const reached = flow.request.farthest >= 0 ? names[shape.order[flow.request.farthest]] : names[shape.order[0]];
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
    findings: findingsOf(path, flow, shape, verdict),
    ...withTunnels(flow, names),
    packets: { request: flow.request.packets, reply: flow.reply.packets },
    firstSeen: seconds(flow.firstSeen - originNs),
    lastSeen: seconds(flow.lastSeen - originNs),
  };
}

/** The verdict alone, without building the report: cheap enough to ask after every packet. */
export function verdictOf(path: PathView, flow: FlowSummary): Verdict {
  return judge(flow, shapeOf(path, flow)).verdict;
}

function shapeOf(path: PathView, flow: FlowSummary): FlowShape {
  const order = travelOrder(path.size, flow.outbound);
  const turnHop = flow.turn >= 0 && flow.turn < path.size - 1 ? order[flow.turn] : undefined;
  const offPath = new Set<number>();
  const blind = new Set<number>();
  for (let pos = 0; pos < path.size; pos++) {
    const hop = order[pos];
    const seen = flow.request.seen[hop] + flow.reply.seen[hop];
    const missed = flow.request.missed[hop] + flow.reply.missed[hop];
    if (seen > 0) continue;
    if (turnHop !== undefined && pos > flow.turn) offPath.add(hop);
    else if (missed > 0) blind.add(hop);
  }
  const requestVanished = [...flow.request.vanishedAfter];
  if (turnHop !== undefined) requestVanished[turnHop] = 0;
  return { order, turnHop, offPath, blind, requestVanished };
}

function judge(flow: FlowSummary, shape: FlowShape): { verdict: Verdict; drop?: [number, number] } {
  const requestDrop = dropPoint(shape.requestVanished, shape.order, shape.blind);
  const replyDrop = dropPoint(flow.reply.vanishedAfter, [...shape.order].reverse(), shape.blind);
  if (flow.rejection && flow.answers === 0) return { verdict: 'rejected' };
  if (flow.answers > 0) {
    const lost = sum(shape.requestVanished) + sum(flow.reply.vanishedAfter) + flow.request.unanswered + (flow.request.unansweredNotCaptured ?? 0);
    return lost > 0 ? { verdict: 'partial', drop: requestDrop ?? replyDrop } : { verdict: 'ok' };
  }
  if (replyDrop) return { verdict: 'reply-dropped', drop: replyDrop };
  if (flow.request.arrived > 0) return { verdict: 'no-reply' };
  if (requestDrop) return { verdict: 'dropped', drop: requestDrop };
  return { verdict: 'no-reply' };
}

function travelOrder(size: number, increasing: boolean): number[] {
  const order = Array.from({ length: size }, (_, i) => i);
  return increasing ? order : order.reverse();
}

/** The hop most packets were last seen at before vanishing, and the next hop that could have seen them. */
function dropPoint(vanishedAfter: ReadonlyArray<number>, order: number[], blind: Set<number>): [number, number] | undefined {
  let worst = -1;
  for (const hop of order) if (vanishedAfter[hop] > 0 && (worst < 0 || vanishedAfter[hop] > vanishedAfter[worst])) worst = hop;
  if (worst < 0) return undefined;
  let next = order.indexOf(worst) + 1;
  while (next < order.length - 1 && blind.has(order[next])) next++;
  return [worst, order[Math.min(next, order.length - 1)]];
}

const sum = (values: ReadonlyArray<number>) => values.reduce((total, n) => total + n, 0);

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

/**
 * Where an ICMP error or reset was made: past the farthest hop the requests reached (or the hop
 * it first appeared at, if farther). Before the path's end, a hop of the path made it; at the
 * end, the hop owning its source made it, or it came from beyond.
 */
function rejectionPlace(path: PathView, flow: FlowSummary, order: number[]): { side: AnsweringSide; netns?: string } & Place {
  const names = path.hops.map((h) => h.name);
  const appeared = flow.rejectionHop === undefined ? -1 : order.indexOf(flow.rejectionHop);
  const pos = Math.max(flow.request.farthest, appeared, 0);
  const hop = order[pos];
  if (pos < order.length - 1) {
    const next = order[pos + 1];
    const netns = path.hops[hop].netns !== undefined && path.hops[hop].netns === path.hops[next].netns ? path.hops[hop].netns : undefined;
    return { side: 'path', between: [names[hop], names[next]], ...(netns === undefined ? {} : { netns }) };
  }
  if (flow.rejection && path.hopOwning(flow.rejection.from) === hop) return { side: 'destination', at: names[hop] };
  return { side: 'beyond', beyond: names[hop] };
}

function findingsOf(path: PathView, flow: FlowSummary, shape: FlowShape, verdict: Verdict): Finding[] {
  const names = path.hops.map((h) => h.name);
  const findings: Finding[] = [];
  if (flow.rejection) findings.push({ code: 'rejected', count: flow.rejections, answer: flow.rejection, ...rejectionPlace(path, flow, shape.order) });
  if (flow.resetClose) findings.push({ code: 'reset-close', ...flow.resetClose });
  // A missing SNAT predicts that no reply comes back: never said beside replies that came.
  if (flow.noSnat && flow.answers === 0 && flow.reply.packets === 0) findings.push({ code: 'no-snat', at: names[flow.noSnat.hop], src: flow.noSnat.src });
  for (const hop of shape.order) {
    const missed = flow.request.missed[hop] + flow.reply.missed[hop];
    if (missed === 0 || shape.offPath.has(hop)) continue;
    if (shape.blind.has(hop)) findings.push({ code: 'hop-not-seeing-flow', at: names[hop], count: missed, bridge: path.hops[hop].role === 'bridge' });
    else findings.push({ code: 'capture-gap', at: names[hop], count: missed });
  }
  findings.push(...lossFindings(flow, shape, names, verdict));
  return findings;
}

/** Packets that vanished while others of their direction got through; unanswered echoes; what was still on its way. */
function lossFindings(flow: FlowSummary, shape: FlowShape, names: string[], verdict: Verdict): Finding[] {
  const findings: Finding[] = [];
  const directions: [Direction, DirectionSummary, ReadonlyArray<number>, number[]][] = [
    ['request', flow.request, shape.requestVanished, shape.order],
    ['reply', flow.reply, flow.reply.vanishedAfter, [...shape.order].reverse()],
  ];
  for (const [direction, stats, vanishedAfter, order] of directions) {
    const lost = sum(vanishedAfter);
    // The verdict already tells of these: all requests dropped, all answers dropped, requests rejected.
    const told = direction === 'request' ? verdict === 'dropped' || verdict === 'rejected' : verdict === 'reply-dropped';
    const drop = dropPoint(vanishedAfter, order, shape.blind);
    if (lost > 0 && lost < stats.packets && !told && drop) {
      findings.push({ code: 'partial-loss', direction, count: lost, of: stats.packets, between: [names[drop[0]], names[drop[1]]] });
    }
    // Without any answer, the verdict (no reply) already says that none came.
    const end = names[shape.turnHop ?? shape.order[Math.max(flow.request.farthest, 0)]];
    if (direction === 'request' && stats.unanswered > 0 && flow.answers > 0) {
      findings.push({ code: 'unanswered', count: stats.unanswered, of: stats.packets, beyond: end });
    }
    if (stats.inFlight > 0) findings.push({ code: 'in-flight', direction, count: stats.inFlight });
    // The requests among them that no answer came back for are told once, on the first such hop.
    let unanswered = direction === 'request' ? (stats.unansweredNotCaptured ?? 0) : 0;
    for (const hop of order) {
      const count = stats.notCaptured?.[hop] ?? 0;
      if (count === 0) continue;
      findings.push({ code: 'not-captured', direction, count, at: names[hop], ...(unanswered > 0 ? { unanswered } : {}) });
      unanswered = 0;
    }
    if (direction === 'request' && stats.awaiting > 0 && flow.answers > 0) findings.push({ code: 'in-flight', direction, count: stats.awaiting, beyond: end });
  }
  return findings;
}
