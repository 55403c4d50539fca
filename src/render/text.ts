import type { Direction, FlowReport, Hop, Report, Rewrite, Verdict } from '../model.js';
import { verdictSentence } from '../explain/explain.js';

export interface TextOptions {
  color: boolean;
}

const VERDICT_COLOUR: Record<Verdict, number> = { ok: 32, 'no-reply': 33, dropped: 31, rejected: 31, 'reply-dropped': 31 };

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

/** How NAT people name a rewrite: SNAT/DNAT on the way out, the undoing of it on the way back. */
export function rewriteLabel(rewrite: Rewrite): string {
  const source = rewrite.field === 'src' || rewrite.field === 'sport' || rewrite.field === 'icmp-id';
  if (rewrite.direction === 'request') return source ? 'SNAT' : 'DNAT';
  return rewrite.field === 'icmp-id' || !source ? 'un-SNAT' : 'un-DNAT';
}

export function describeRewrite(rewrite: Rewrite): string {
  const [a, b] = rewrite.between;
  const replies = rewrite.direction === 'reply' ? ' (replies)' : '';
  return `${rewriteLabel(rewrite)} ${rewrite.field} ${rewrite.from} -> ${rewrite.to} between ${a} and ${b}${replies}`;
}

function formatUs(us: number): string {
  if (Math.abs(us) >= 1000) return `${(us / 1000).toFixed(2)} ms`;
  return `${us.toFixed(1)} us`;
}

function stepsLine(flow: FlowReport, direction: Direction): string | undefined {
  const steps = flow.latency.filter((s) => s.direction === direction);
  if (steps.length === 0) return undefined;
  const parts = steps.map((s) => {
    const ttl = flow.ttl
      .filter((t) => t.direction === direction && t.between[0] === s.between[0] && t.between[1] === s.between[1])
      .map((t) => `ttl -${t.decrement}`)
      .join('/');
    return `${s.between[0]} -> ${s.between[1]} (${ttl}, ${formatUs(s.avgUs)})`;
  });
  return `${direction === 'request' ? 'requests' : 'replies '}  ${parts.join('  ')}`;
}

export function flowHeadline(flow: FlowReport, color: boolean): string {
  const verdict = paint(color, VERDICT_COLOUR[flow.verdict], flow.verdict);
  return `flow ${flow.id}: ${flow.proto} ${flow.initiator} -> ${flow.responder}: ${verdict}`;
}

export function renderFlow(flow: FlowReport, color: boolean): string {
  const lines = [flowHeadline(flow, color)];
  lines.push(`  packets: ${flow.packets.request} request${flow.packets.request === 1 ? '' : 's'}, ${flow.packets.reply} repl${flow.packets.reply === 1 ? 'y' : 'ies'}`);
  for (const direction of ['request', 'reply'] as const) {
    const line = stepsLine(flow, direction);
    if (line) lines.push(`  ${line}`);
  }
  for (const rewrite of flow.rewrites) lines.push(`  ${paint(color, 36, describeRewrite(rewrite))}`);
  for (const finding of flow.findings) {
    if (finding.code !== 'rejected') lines.push(`  ${paint(color, 33, finding.code)}: ${finding.message}`);
  }
  lines.push(`  verdict: ${verdictSentence(flow)}`);
  return lines.join('\n');
}

/** The whole report as text: the path, then each flow. */
export function renderText(report: Report, options: TextOptions): string {
  const lines = [`path: ${hopChain(report.hops)}`];
  const counts = report.hops.map((hop, i) => `${hop.name} ${report.summary.packetsPerHop[i] ?? 0}`).join(', ');
  lines.push(`packets per hop: ${counts}`);
  lines.push(`timestamps: ${report.summary.timestamps}`);
  if (report.summary.otherFlows > 0) {
    lines.push(`left out: ${report.summary.otherFlows} flow${report.summary.otherFlows === 1 ? '' : 's'} of other hosts on the shared hops`);
  }
  lines.push('');
  if (report.flows.length === 0) lines.push('no flow of the traced container was seen.');
  for (const flow of report.flows) lines.push(renderFlow(flow, options.color), '');
  const notOk = report.flows.filter((f) => f.verdict !== 'ok').length;
  lines.push(`${report.flows.length} flow${report.flows.length === 1 ? '' : 's'}, ${notOk} not ok`);
  return `${lines.join('\n')}\n`;
}
