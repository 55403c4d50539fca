import { memo } from 'react';
import { Box } from 'ink';
import type { FlowReport } from '../../model.js';
import { rewritePhrases } from './flow-view.js';
import { findingText } from '../findings.js';
import { whyLine } from '../../evidence/words.js';
import { Line } from './Line.js';
import type { Segment } from './text.js';
import type { Theme } from './theme.js';

interface FlowDetailProps {
  flow: FlowReport;
  lines: number;
  width: number;
  theme: Theme;
}

/** What the one-line row cannot hold: every rewrite at its hop pair, TTL steps, findings. */
export const FlowDetail = memo(function FlowDetail({ flow, lines, width, theme }: FlowDetailProps) {
  const all = detailLines(flow, width);
  return (
    <Box flexDirection="column" flexShrink={0}>
      {all.slice(0, lines).map((segments, i) => (
        <Line key={i} segments={segments} width={width} theme={theme} />
      ))}
    </Box>
  );
});

/** A why: line kept whole: wrapped over as many lines as `width` needs (the rule must be read in full). */
function whyRows(why: string, indent: string, width: number): Segment[][] {
  const room = Math.max(20, width - indent.length - 2);
  const rows: Segment[][] = [];
  let rest = why;
  while (rest.length > 0) {
    let cut = rest.length <= room ? rest.length : rest.lastIndexOf(' ', room);
    if (cut <= 0) cut = Math.min(room, rest.length);
    rows.push([{ text: `${rows.length === 0 ? indent : `${indent}  `}${rest.slice(0, cut).trimEnd()}`, tone: 'accent' }]);
    rest = rest.slice(cut).trimStart();
  }
  return rows;
}

/** The why: lines of a direction's rewrites, each rule once (an address and its port share one). */
function rewriteWhys(rewrites: FlowReport['rewrites'], width: number): Segment[][] {
  const whys = [...new Set(rewrites.flatMap((r) => (r.cause ? [whyLine(r.cause)] : [])))];
  return whys.flatMap((why) => whyRows(why, '      ', width));
}

/**
 * Most telling first, since only the first lines may fit: the NAT on the way out and its rule,
 * findings, why the verdict, facts, the NAT undone. The why: lines are the text report's own
 * (render functions of src/evidence/words.ts), wrapped to `width` instead of cut.
 */
export function detailLines(flow: FlowReport, width = 80): Segment[][] {
  const requests = flow.rewrites.filter((r) => r.direction === 'request');
  const replies = flow.rewrites.filter((r) => r.direction === 'reply');
  const request = rewritePhrases(requests);
  const reply = rewritePhrases(replies);
  const nat = (text: string, i: number): Segment[] => [
    { text: i === 0 ? '  NAT ' : '      ', tone: 'muted' },
    { text, tone: 'rewrite', bold: true },
  ];
  const lines: Segment[][] = request.length > 0 ? request.map(nat) : [[{ text: `  NAT none seen on the way out`, tone: 'muted' }]];
  lines.push(...rewriteWhys(requests, width));
  for (const finding of flow.findings) {
    lines.push([{ text: `  ! ${finding.code}: ${findingText(finding)}`, tone: finding.code === 'capture-gap' ? 'warn' : 'bad' }]);
  }
  if (flow.cause) lines.push(...whyRows(whyLine(flow.cause), '  ', width));
  lines.push([{ text: `  ${pathFacts(flow)}`, tone: 'muted' }]);
  lines.push(...reply.map((text) => nat(text, 1)));
  lines.push(...rewriteWhys(replies, width));
  return lines;
}

function pathFacts(flow: FlowReport): string {
  const facts = [`${flow.packets.request} request / ${flow.packets.reply} reply packets`, `reached ${flow.reached}`];
  for (const step of flow.ttl) {
    if (step.direction === 'request' && step.decrement !== 0) facts.push(`TTL -${step.decrement} ${step.between[0]}→${step.between[1]}`);
  }
  return facts.join(' · ');
}
