import { memo } from 'react';
import { Box } from 'ink';
import type { FlowReport, Hop, Journey } from '../../model.js';
import { endpointText } from '../values.js';
import { Line } from './Line.js';
import { fit, fitSegments, type Segment } from './text.js';
import type { Theme } from './theme.js';
import { cellSegments, timelineRow } from './timeline.js';

interface TimelineProps {
  flow: FlowReport;
  journeys: readonly Journey[];
  hops: Hop[];
  /** Lines available, header included. */
  lines: number;
  width: number;
  theme: Theme;
}

const LEGEND = '● seen, +time since its first hop · field* changed here · ✗ vanished · ? not captured';

/**
 * The selected flow's packets: one row each, one column per hop in path order, newest at the
 * bottom. Only the last rows that fit are drawn; the header says how many there are.
 */
export const Timeline = memo(function Timeline({ flow, journeys, hops, lines, width, theme }: TimelineProps) {
  const label = Math.min(34, Math.max(22, Math.floor(width * 0.22)));
  const cell = Math.max(6, Math.floor((width - label) / Math.max(1, hops.length)));
  const withLegend = lines >= 6;
  const room = Math.max(0, lines - 2 - (withLegend ? 1 : 0));
  // Packets settle out of order (a vanished one waits out the window): show them in time order.
  const shown = journeys.slice(-room).sort((a, b) => (a.sightings[0]?.t ?? 0) - (b.sightings[0]?.t ?? 0));
  const title = `Timeline of flow ${flow.id} (${flow.proto} ${endpointText(flow.initiator)} → ${endpointText(flow.responder)}): ${
    journeys.length === 0
      ? 'no packet kept (only the most recently active flows keep theirs)'
      : `last ${shown.length} of ${journeys.length} packets kept`
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
      {withLegend && <Line segments={[{ text: LEGEND, tone: 'muted' }]} width={width} theme={theme} />}
    </Box>
  );
});

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
