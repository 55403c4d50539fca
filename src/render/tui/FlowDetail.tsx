import { memo } from 'react';
import { Box } from 'ink';
import type { FlowReport } from '../../model.js';
import { rewritePhrases } from './flowView.js';
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

export function detailLines(flow: FlowReport): Segment[][] {
  const nat = rewritePhrases(flow.rewrites);
  const lines: Segment[][] = [
    nat.length > 0
      ? [{ text: '  NAT ', tone: 'muted' }, ...nat.flatMap((text, i) => [...(i ? [{ text: ' · ', tone: 'muted' as const }] : []), { text, tone: 'rewrite' as const, bold: true }])]
      : [{ text: '  NAT none seen on this path', tone: 'muted' }],
    [{ text: `  ${pathFacts(flow)}`, tone: 'muted' }],
  ];
  for (const finding of flow.findings) {
    lines.push([{ text: `  ! ${finding.code}: ${finding.message}`, tone: finding.code === 'capture-gap' ? 'warn' : 'bad' }]);
  }
  return lines;
}

function pathFacts(flow: FlowReport): string {
  const facts = [`${flow.packets.request} request / ${flow.packets.reply} reply packets`, `reached ${flow.reached}`];
  for (const step of flow.ttl) {
    if (step.direction === 'request' && step.decrement !== 0) facts.push(`TTL -${step.decrement} ${step.between[0]}→${step.between[1]}`);
  }
  return facts.join(' · ');
}
