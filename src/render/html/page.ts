// `--html FILE`: the report as one self-contained page a CI job keeps as an artifact. Inline
// CSS and SVG only: no script, nothing fetched, and a Content-Security-Policy that forbids
// both should a capture ever smuggle markup past the escaping.
import type { FlowReport, Hop, Report, Rewrite } from '../../model.js';
import { causeNotes, describeRewrite, flowHeadline, hopChain, verdictSentence } from '../text.js';
import { whyLine } from '../../evidence/words.js';
import { esc } from './escape.js';
import { findingText } from '../findings.js';
import { renderLadder } from './ladder.js';
import type { FlowLadder } from './ladder-collector.js';
import { PAGE_STYLE } from './style.js';
import { endpointText } from '../values.js';

export const CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'";

export interface PageOptions {
  title?: string;
  description?: string;
  version: string;
  /** Set when flows went without a ladder because this many already had one. */
  laddersLimitedTo?: number;
}

/** Verdicts are words with a shape before them, so the page reads the same without colour. */
const VERDICT_MARK: Record<FlowReport['verdict'], string> = { ok: '✓', partial: '½', 'no-reply': '?', dropped: '✗', rejected: '✗', 'reply-dropped': '✗' };

function flowSection(flow: FlowReport, hops: Hop[], ladder: FlowLadder | undefined, options: PageOptions): string {
  const lines = [`<section class="flow verdict-${esc(flow.verdict)}" id="flow-${flow.id}">`];
  lines.push(`<h2><span class="mark">${VERDICT_MARK[flow.verdict]}</span> ${esc(flowHeadline(flow, false))}</h2>`);
  lines.push(`<p class="verdict"><strong>verdict:</strong> ${esc(verdictSentence(flow))}</p>`);
  if (flow.cause) lines.push(`<p class="why">${esc(whyLine(flow.cause))}</p>`);
  if (flow.rewrites.length > 0) {
    const rewrite = (r: Rewrite): string => `<li>${esc(describeRewrite(r))}${r.cause ? `<br><span class="why">${esc(whyLine(r.cause))}</span>` : ''}</li>`;
    lines.push('<h3>rewrites</h3>', '<ul class="rewrites">', ...flow.rewrites.map(rewrite), '</ul>');
  }
  const findings = flow.findings.filter((f) => f.code !== 'rejected');
  if (findings.length > 0) {
    lines.push('<h3>findings</h3>', '<ul class="findings">', ...findings.map((f) => `<li><code>${esc(f.code)}</code>: ${esc(findingText(f))}</li>`), '</ul>');
  }
  lines.push('<div class="ladder-box">', ladder ? renderLadder(hops, ladder) : `<p>${noLadder(options)}</p>`, '</div>');
  lines.push('</section>');
  return lines.join('\n');
}

/** Flows shown in full on one page; the text and JSON reports list every flow. */
export const MAX_PAGE_FLOWS = 1000;

/** The flows the page shows: those with a ladder, then the not-ok ones, in report order, at most MAX_PAGE_FLOWS. */
function shownFlows(report: Report, ladderOf: (flowId: number) => FlowLadder | undefined): FlowReport[] {
  if (report.flows.length <= MAX_PAGE_FLOWS) return report.flows;
  const shown = new Set(report.flows.filter((f) => ladderOf(f.id) !== undefined).slice(0, MAX_PAGE_FLOWS));
  for (const f of report.flows) {
    if (shown.size >= MAX_PAGE_FLOWS) break;
    if (f.verdict !== 'ok') shown.add(f);
  }
  return report.flows.filter((f) => shown.has(f));
}

function notShown(report: Report, shown: FlowReport[]): string {
  const left = report.flows.length - shown.length;
  if (left === 0) return '';
  const notOk = report.flows.filter((f) => f.verdict !== 'ok').length - shown.filter((f) => f.verdict !== 'ok').length;
  return `<p class="not-shown">${left} more flow${left === 1 ? '' : 's'} (${notOk} not ok) not shown on this page: the text and JSON reports list every flow.</p>`;
}

function summary(report: Report, shown: FlowReport[]): string {
  const rows = shown.map(
    (f) => `<tr><td><a href="#flow-${f.id}">${f.id}</a></td><td>${esc(f.proto)}</td><td>${esc(endpointText(f.initiator))}</td><td>${esc(endpointText(f.responder))}</td><td class="v">${VERDICT_MARK[f.verdict]} ${esc(f.verdict)}</td><td>${f.packets.request}/${f.packets.reply}</td></tr>`,
  );
  const counts = report.hops.map((hop, i) => `${hop.name} ${report.summary.packetsPerHop[i] ?? 0}`).join(', ');
  const out = [
    `<p><strong>path:</strong> ${esc(hopChain(report.hops))}</p>`,
    `<p><strong>packets per hop:</strong> ${esc(counts)}</p>`,
    `<p><strong>timestamps:</strong> ${esc(report.summary.timestamps)}</p>`,
  ];
  if (report.summary.otherFlows > 0) out.push(`<p><strong>left out:</strong> ${report.summary.otherFlows} flow${report.summary.otherFlows === 1 ? '' : 's'} of other hosts on the shared hops</p>`);
  for (const w of report.summary.warnings) out.push(`<p class="warning"><strong>warning:</strong> ${esc(w)}</p>`);
  // Said once per report, as the text report says it: causes not known without the host's state, rules traced, state not read.
  for (const line of causeNotes(report)) if (line !== '') out.push(`<p class="cause-note">${esc(line)}</p>`);
  if (report.flows.length === 0) out.push('<p>No flow of the traced container was seen.</p>');
  else out.push('<table class="flows"><thead><tr><th>flow</th><th>proto</th><th>initiator</th><th>responder</th><th>verdict</th><th>requests/replies</th></tr></thead><tbody>', ...rows, '</tbody></table>');
  out.push(notShown(report, shown));
  return out.join('\n');
}

const LEGEND = `<p class="legend">How to read a ladder: one vertical line per hop, in path order; time runs downwards, one row per packet (rows are spaced evenly, the time of each packet's first sighting is on the left).
<span class="key">──▶ request (solid, filled head)</span> <span class="key">- - ▷ reply (dashed, open head)</span> <span class="key">● seen at this hop</span> <span class="key">○ crossed it without being captured there</span> <span class="key">✗ vanished between two hops</span> <span class="key">◇ still on its way when the capture ended</span> A rewrite is written on the arrow between the hops where it happened.
A packet that ends at a hop with neither mark got as far as it was going on this path.</p>`;

function noLadder(options: PageOptions): string {
  if (options.laddersLimitedTo !== undefined) return `No ladder: ladders are drawn for the first ${options.laddersLimitedTo} flows of the trace only.`;
  return 'No packet of this flow was kept for a ladder.';
}

export function renderHtml(report: Report, ladderOf: (flowId: number) => FlowLadder | undefined, options: PageOptions): string {
  const title = options.title ?? 'hoptrace report';
  const shown = shownFlows(report, ladderOf);
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${esc(title)}</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    '<body>',
    `<h1>${esc(title)}</h1>`,
    options.description ? `<p class="description">${esc(options.description)}</p>` : '',
    summary(report, shown),
    report.flows.length > 0 ? LEGEND : '',
    ...shown.map((flow) => flowSection(flow, report.hops, ladderOf(flow.id), options)),
    `<footer>written by hoptrace ${esc(options.version)}; ${report.flows.length} flow${report.flows.length === 1 ? '' : 's'}, ${report.flows.filter((f) => f.verdict !== 'ok').length} not ok</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
