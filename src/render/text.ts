import type { Direction, FlowReport, Hop, KernelCounts, Report, Rewrite, Verdict } from '../model.js';
import { natName } from './nat.js';
import { findingText, partialText } from './findings.js';
import { crossHostLatency, dropPlace, hostsLine, tunnelLines } from './tunnel.js';
import { endpointText, fieldText } from './values.js';
import { whyLine } from '../evidence/words.js';

export interface TextOptions {
  color: boolean;
  /** The --filter the flows were selected by: an empty report then says the filter kept none. */
  filter?: string;
}

const VERDICT_COLOUR: Record<Verdict, number> = { ok: 32, partial: 33, 'no-reply': 33, dropped: 31, rejected: 31, 'reply-dropped': 31 };

function paint(on: boolean, code: number, text: string): string {
  return on ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/** "1. c1 eth0 (198.18.0.2)  2. veth..." : the numbered hop list people write by hand. */
export function hopChain(hops: Hop[], withAddrs = true): string {
  return hops
    .map((hop, i) => {
      const addrs = withAddrs && hop.addrs.length > 0 ? ` (${hop.addrs.join(', ')})` : '';
      return `${i + 1}. ${hop.name}${addrs}`;
    })
    .join('  ');
}

export function describeRewrite(rewrite: Rewrite): string {
  const [a, b] = rewrite.between;
  const replies = rewrite.direction === 'reply' ? ' (replies)' : '';
  return `${natName(rewrite)} ${rewrite.field} ${fieldText(rewrite.field, rewrite.from)} -> ${fieldText(rewrite.field, rewrite.to)} between ${a} and ${b}${replies}`;
}

function formatUs(us: number): string {
  if (Math.abs(us) >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${Number.isInteger(us) ? us : us.toFixed(1)} us`;
}

/** "12..14 us", in the unit of the larger end. */
function formatRange(minUs: number, maxUs: number): string {
  const ms = Math.abs(maxUs) >= 1000 || Math.abs(minUs) >= 1000;
  const show = (us: number) => (ms ? (us / 1000).toFixed(2) : Number.isInteger(us) ? String(us) : us.toFixed(1));
  return `${show(minUs)}..${show(maxUs)} ${ms ? 'ms' : 'us'}`;
}

function stepText(flow: FlowReport, direction: Direction, a: string, b: string): string | undefined {
  const step = flow.latency.find((s) => s.direction === direction && s.between[0] === a && s.between[1] === b);
  const ttls = flow.ttl.filter((t) => t.direction === direction && t.between[0] === a && t.between[1] === b);
  if (!step && ttls.length === 0) return undefined;
  const ttl = ttls.map((t) => (t.decrement === 0 ? 'ttl same' : `ttl -${t.decrement}`)).join('/');
  const who = direction === 'request' ? 'requests' : 'replies';
  // No latency step beside a TTL step: the two hops are on hosts whose clocks were not compared.
  if (!step) return `${who} (no latency: clocks not compared) ${ttl}`;
  if (step.uncertaintyUs !== undefined) return `${who} ${crossHostLatency(step, formatUs)} ${ttl}`;
  // The mean alone hides an outlier: the range goes with it.
  const range = step.samples > 1 ? ` (${formatRange(step.minUs, step.maxUs)})` : '';
  return `${who} ${formatUs(step.avgUs)}${range} ${ttl}`;
}

/** What happened between hop `i` and the next hop that saw the flow, shown under hop `i`. */
function pairLines(flow: FlowReport, names: string[], i: number, color: boolean): string[] {
  const lines: string[] = [];
  for (let j = i + 1; j < names.length; j++) {
    const [a, b] = [names[i], names[j]];
    const steps = [stepText(flow, 'request', a, b) ?? stepText(flow, 'request', b, a), stepText(flow, 'reply', a, b) ?? stepText(flow, 'reply', b, a)];
    const rewrites = flow.rewrites.filter((r) => (r.between[0] === a && r.between[1] === b) || (r.between[0] === b && r.between[1] === a));
    if (steps.every((x) => x === undefined) && rewrites.length === 0) continue;
    const to = j === i + 1 ? '' : ` (to ${j + 1}. ${b})`;
    lines.push(`       | ${steps.filter(Boolean).join(', ')}${to}`);
    rewrites.forEach((r, k) => {
      lines.push(`       | ${paint(color, 36, describeRewrite(r))}`);
      // Rewrites made by one rule (address and port of a DNAT) share one why: line, after the last.
      const next = rewrites[k + 1];
      if (r.cause && !(next?.cause && whyLine(next.cause) === whyLine(r.cause))) lines.push(`       |   ${whyLine(r.cause)}`);
    });
    for (const t of tunnelLines(flow, a, b)) lines.push(`       | ${paint(color, 36, t)}`);
    break;
  }
  const drop = flow.dropBetween;
  if (drop && drop[0] === names[i]) {
    const what = flow.verdict === 'reply-dropped' || (flow.verdict === 'partial' && !flow.findings.some((f) => f.code === 'partial-loss' && f.direction === 'request')) ? 'replies' : 'requests';
    lines.push(`       ${paint(color, 31, `x ${what} vanished between ${drop[0]} and ${drop[1]}${dropPlace(flow)}`)}`);
  }
  return lines;
}

export function flowHeadline(flow: FlowReport, color: boolean): string {
  const verdict = paint(color, VERDICT_COLOUR[flow.verdict], flow.verdict);
  const counts = `${flow.packets.request} request${flow.packets.request === 1 ? '' : 's'}, ${flow.packets.reply} repl${flow.packets.reply === 1 ? 'y' : 'ies'}`;
  return `flow ${flow.id}: ${flow.proto} ${endpointText(flow.initiator)} -> ${endpointText(flow.responder)}: ${verdict} (${counts})`;
}

/**
 * A flow seen by its answer alone (`watch 'tcp or icmp'` keeps a port unreachable and drops the
 * UDP datagram it answers): whichever left the request out, the reader must know it was not seen.
 */
export const NO_REQUEST_NOTE =
  'note: none of its requests was captured (left out by the capture filter, or sent before the capture started): only the answer was seen';

/** One flow as the numbered hop list people write by hand, each rewrite at the hop pair where it happened. */
export function renderFlow(flow: FlowReport, hops: Hop[], color: boolean): string {
  const names = hops.map((h) => h.name);
  const lines = [flowHeadline(flow, color)];
  names.forEach((name, i) => {
    lines.push(`  ${String(i + 1).padStart(2)}. ${name}`);
    lines.push(...pairLines(flow, names, i, color));
  });
  for (const finding of flow.findings) {
    if (finding.code !== 'rejected') lines.push(`  ${paint(color, 33, finding.code)}: ${findingText(finding)}`);
  }
  if (flow.packets.request === 0) lines.push(`  ${NO_REQUEST_NOTE}`);
  lines.push(`  verdict: ${verdictSentence(flow)}`);
  if (flow.cause) lines.push(`  ${whyLine(flow.cause)}`);
  return lines.join('\n');
}

/** A live hop's kernel counters, after its packet count: " (kernel: 6 received, 0 dropped)". */
function kernelCounts(k: KernelCounts | undefined): string {
  if (!k) return '';
  return ` (kernel: ${k.received} received, ${k.dropped} dropped${k.ifDropped > 0 ? `, ${k.ifDropped} dropped by the interface` : ''})`;
}

/** The whole report as text: the path, then each flow. */
export function renderText(report: Report, options: TextOptions): string {
  const lines = [`path: ${hopChain(report.hops)}`];
  const counts = report.hops.map((hop, i) => `${hop.name} ${report.summary.packetsPerHop[i] ?? 0}${kernelCounts(hop.kernel)}`).join(', ');
  lines.push(`packets per hop: ${counts}`);
  lines.push(`timestamps: ${report.summary.timestamps}`);
  const hosts = hostsLine(report.hops, formatUs);
  if (hosts) lines.push(hosts);
  if (report.summary.otherFlows > 0) {
    lines.push(`left out: ${report.summary.otherFlows} flow${report.summary.otherFlows === 1 ? '' : 's'} of other hosts on the shared hops`);
  }
  lines.push('');
  if (report.flows.length === 0) {
    lines.push(options.filter ? `no flow of the traced container matches --filter '${options.filter}'.` : 'no flow of the traced container was seen.');
  }
  for (const flow of report.flows) lines.push(renderFlow(flow, report.hops, options.color), '');
  lines.push(...causeNotes(report));
  const notOk = report.flows.filter((f) => f.verdict !== 'ok').length;
  lines.push(`${report.flows.length} flow${report.flows.length === 1 ? '' : 's'}, ${notOk} not ok`);
  return `${lines.join('\n')}\n`;
}

/** The verdict in one plain sentence. */
export function verdictSentence(flow: FlowReport): string {
  const drop = flow.dropBetween;
  switch (flow.verdict) {
    case 'ok':
      return `ok: requests reached ${flow.reached} and the answers came back.`;
    case 'no-reply':
      return `no reply: requests reached ${flow.reached} and nothing came back.`;
    case 'dropped':
      return `dropped: requests vanished between ${drop?.[0]} and ${drop?.[1]}${dropPlace(flow)} (last seen at ${drop?.[0]}).`;
    case 'partial':
      return `partial: requests reached ${flow.reached} and some answers came back, not all: ${partialText(flow)}.`;
    case 'rejected': {
      const rejection = flow.findings.find((f) => f.code === 'rejected');
      return `rejected: ${rejection ? findingText(rejection) : 'the answer was an error'}.`;
    }
    case 'reply-dropped':
      return `reply dropped: answers came back as far as ${drop?.[0]} and vanished before ${drop?.[1]}${dropPlace(flow)}.`;
  }
}

/** Said once per report: the rule tracing used, what of the host's state could not be read. */
export function causeNotes(report: Report): string[] {
  const c = report.causes;
  if (!c) return [];
  const lines: string[] = [];
  const note = causeNote(report);
  if (note) lines.push(note, '');
  if (c.traceRules) lines.push('rules traced: --trace-rules added a temporary nftables table that traced these flows during the capture; it was removed at the end', '');
  for (const gap of c.gaps) lines.push(`host state not read: ${gap}`);
  if (c.gaps.length > 0) lines.push('');
  return lines;
}

/** Said once when the captures come without the host's state and something needed a cause. */
export function causeNote(report: Report): string | undefined {
  if (report.causes?.evidence !== 'none') return undefined;
  if (!report.flows.some((f) => f.verdict !== 'ok' || f.rewrites.length > 0)) return undefined;
  return "why: not known: these captures come without the host's state (firewall rules and their counters, conntrack, settings), which `hoptrace --record` writes to host.json beside the pcaps";
}
