import { memo, useMemo } from 'react';
import { Box } from 'ink';
import type { FlowReport, Hop, Journey } from '../../model.js';
import { endpointText } from '../values.js';
import { Line } from './Line.js';
import { fit, fitSegments, type Segment } from './text.js';
import type { Theme } from './theme.js';
import { cellSegments, inPathOrder, timelineRow } from './timeline.js';

interface TimelineProps {
  flow: FlowReport;
  journeys: readonly Journey[];
  hops: Hop[];
  /** Lines available, header included. */
  lines: number;
  /** Rows back from the newest packet ([ and ] move it); clamped here to what is kept. */
  scroll: number;
  width: number;
  theme: Theme;
}

/** What the marks and keys mean, and the trace's notes: behind `?`, so the packets keep the lines. */
export const LEGEND_LINES = [
  'Timeline marks (? closes this):',
  '  ● +time  seen at this hop; time since its first hop on the path',
  '  src* dst* sport* dport* id*  rewritten here: the first hop where it differs',
  '  ttl* TTL changed here · ✗ vanished before this hop · ? not captured · · not on its way',
  'Keys: ↑↓ select · enter timeline · [ ] scroll it · p pause · / filter · q quit',
];

interface LegendProps {
  notes: readonly string[];
  lines: number;
  width: number;
  theme: Theme;
}

export const Legend = memo(function Legend({ notes, lines, width, theme }: LegendProps) {
  const noteLines = notes.flatMap((note) => wrap(`note: ${note}`, width, '  '));
  const all = [...LEGEND_LINES.map((text, i) => ({ text, head: i === 0 })), ...noteLines.map((text) => ({ text, head: false }))];
  return (
    <Box flexDirection="column" flexShrink={0}>
      {all.slice(0, lines).map(({ text, head }, i) => (
        <Line key={i} segments={[{ text, tone: head ? 'accent' : 'muted', bold: head }]} width={width} theme={theme} />
      ))}
    </Box>
  );
});

/** Words to lines of `width`, continuation lines indented: notes are read whole, not cut. */
export function wrap(text: string, width: number, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent + word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/**
 * The selected flow's packets: one row each, one column per hop in path order, in time order
 * of their first sighting. Every kept packet can be reached by scrolling; the title says which
 * ones are on screen.
 */
export const Timeline = memo(function Timeline({ flow, journeys, hops, lines, scroll, width, theme }: TimelineProps) {
  const label = Math.min(34, Math.max(22, Math.floor(width * 0.22)));
  const cell = Math.max(6, Math.floor((width - label) / Math.max(1, hops.length)));
  const room = Math.max(0, lines - 2);
  // Packets settle out of order (a vanished one waits out the window): show them in time order.
  const ordered = useMemo(() => [...journeys].sort((a, b) => firstTime(a) - firstTime(b)), [journeys]);
  const back = Math.min(scroll, Math.max(0, ordered.length - room));
  const end = ordered.length - back;
  const shown = ordered.slice(Math.max(0, end - room), end);
  const from = end - shown.length + 1;
  const title = `Timeline of flow ${flow.id} (${flow.proto} ${endpointText(flow.initiator)} → ${endpointText(flow.responder)}): ${
    journeys.length === 0
      ? 'no packet kept (only the most recently active flows keep theirs)'
      : `packets ${from}-${end} of ${journeys.length} kept`
  }`;
  const header: Segment[] = [
    { text: fit('packet', label), tone: 'muted' },
    ...hops.map((hop, i) => ({ text: fit(`${i + 1} ${hop.name}`, cell - 1) + ' ', tone: 'accent' as const, bold: true })),
  ];
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Line segments={[{ text: title, bold: true }]} width={width} theme={theme} />
      <Line segments={header} width={width} theme={theme} />
      {shown.map((journey, i) => (
        <JourneyLine key={i} journey={journey} hopCount={hops.length} label={label} cell={cell} width={width} theme={theme} />
      ))}
    </Box>
  );
});

const firstTime = (journey: Journey): number => inPathOrder(journey)[0]?.t ?? 0;

interface JourneyLineProps {
  journey: Journey;
  hopCount: number;
  label: number;
  cell: number;
  width: number;
  theme: Theme;
}

const JourneyLine = memo(function JourneyLine({ journey, hopCount, label, cell, width, theme }: JourneyLineProps) {
  const row = timelineRow(journey, hopCount);
  const segments: Segment[] = [{ text: fit(row.label, label - 1) + ' ', tone: journey.direction === 'request' ? undefined : 'muted' }];
  for (const c of row.cells) segments.push(...padCell(cellSegments(c, cell - 1), cell));
  return <Line segments={segments} width={width} theme={theme} />;
});

/** A cell's segments cut to its column and padded, so the next column starts where it should. */
function padCell(segments: Segment[], width: number): Segment[] {
  const fitted = fitSegments(segments, width - 1);
  const used = fitted.reduce((sum, s) => sum + s.text.length, 0);
  return [...fitted, { text: ' '.repeat(width - used) }];
}
