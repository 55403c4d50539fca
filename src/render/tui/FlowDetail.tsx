import { memo } from 'react';
import { Box } from 'ink';
import type { FlowReport } from '../../model.js';
import { rewritePhrases } from './flowView.js';
import { findingText } from '../findings.js';
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
  const all = detailLines(flow);
  return (
    <Box flexDirection="column" flexShrink={0}>
      {all.slice(0, lines).map((segments, i) => (
        <Line key={i} segments={segments} width={width} theme={theme} />
      ))}
    </Box>
  );
});

/** Most telling first, since only the first lines may fit: the NAT on the way out, findings, facts, the NAT undone. */
export function detailLines(flow: FlowReport): Segment[][] {
  const request = rewritePhrases(flow.rewrites.filter((r) => r.direction === 'request'));
  const reply = rewritePhrases(flow.rewrites.filter((r) => r.direction === 'reply'));
  const nat = (text: string, i: number): Segment[] => [
    { text: i === 0 ? '  NAT ' : '      ', tone: 'muted' },
    { text, tone: 'rewrite', bold: true },
  ];
  const lines: Segment[][] = request.length > 0 ? request.map(nat) : [[{ text: `  NAT none seen on the way out`, tone: 'muted' }]];
  for (const finding of flow.findings) {
    lines.push([{ text: `  ! ${finding.code}: ${findingText(finding)}`, tone: finding.code === 'capture-gap' ? 'warn' : 'bad' }]);
  }
  lines.push([{ text: `  ${pathFacts(flow)}`, tone: 'muted' }]);
  lines.push(...reply.map((text) => nat(text, 1)));
  return lines;
}

function pathFacts(flow: FlowReport): string {
  const facts = [`${flow.packets.request} request / ${flow.packets.reply} reply packets`, `reached ${flow.reached}`];
  for (const step of flow.ttl) {
    if (step.direction === 'request' && step.decrement !== 0) facts.push(`TTL -${step.decrement} ${step.between[0]}→${step.between[1]}`);
  }
  return facts.join(' · ');
}
