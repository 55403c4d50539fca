import { memo } from 'react';
import { Box } from 'ink';
import { endpointsText, mainRewrite, verdictSegment, type FlowRow } from './flow-view.js';
import { Line } from './Line.js';
import { fit, type Segment } from './text.js';
import type { Theme } from './theme.js';

export interface FlowColumns {
  /** The flow's number, as the final report numbers it. */
  id: number;
  endpoints: number;
  verdict: number;
  /** 0 when the terminal is too narrow: the rewrite then shows in the detail lines below. */
  rewrite: number;
}

const MARKER = 2;
const PROTO = 7;

/** Column widths from the rows on screen, so short addresses leave room for the verdict. */
export function flowColumns(rows: FlowRow[], width: number): FlowColumns {
  const id = Math.max(1, ...rows.map((row) => String(row.flow.id).length)) + 1;
  const longestEndpoints = Math.max(12, ...rows.map((row) => endpointsText(row.flow).length));
  const endpoints = Math.min(longestEndpoints, Math.max(24, Math.floor(width * 0.42))) + 2;
  const rest = Math.max(0, width - MARKER - id - PROTO - endpoints);
  if (width < 110) return { id, endpoints, verdict: rest, rewrite: 0 };
  const longestVerdict = Math.max(14, ...rows.map((row) => verdictSegment(row).text.length));
  const verdict = Math.min(longestVerdict, 44) + 2;
  return { id, endpoints, verdict, rewrite: Math.max(0, rest - verdict) };
}

interface FlowListProps {
  rows: FlowRow[];
  selectedId: number | undefined;
  columns: FlowColumns;
  width: number;
  theme: Theme;
}

/**
 * Not Ink's <Static>: that writes rows once above the live area, for good, which would take
 * them out of the 24 lines, out of selection and out of the newest-first order. A finished
 * flow's row is memoised instead: the store hands out the same row object while it does not change.
 */
export function FlowList({ rows, selectedId, columns, width, theme }: FlowListProps) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      {rows.map((row) => (
        <FlowLine key={row.flow.id} row={row} selected={row.flow.id === selectedId} columns={columns} width={width} theme={theme} />
      ))}
    </Box>
  );
}

interface FlowLineProps {
  row: FlowRow;
  selected: boolean;
  columns: FlowColumns;
  width: number;
  theme: Theme;
}

/** Memoised on the row object, which the store keeps while the flow does not change. */
const FlowLine = memo(function FlowLine({ row, selected, columns, width, theme }: FlowLineProps) {
  return <Line segments={flowSegments(row, selected, columns)} width={width} theme={theme} highlight={selected} />;
});

export function flowSegments(row: FlowRow, selected: boolean, columns: FlowColumns): Segment[] {
  const verdict = verdictSegment(row);
  const segments: Segment[] = [
    { text: selected ? '› ' : '  ', tone: 'selected', bold: true },
    { text: String(row.flow.id).padStart(columns.id - 1) + ' ', tone: 'muted' },
    { text: fit(row.flow.proto, PROTO - 1) + ' ' },
    { text: fit(endpointsText(row.flow), columns.endpoints - 2) + '  ' },
    { ...verdict, text: columns.rewrite > 0 ? fit(verdict.text, columns.verdict) : verdict.text },
  ];
  const rewrite = columns.rewrite > 0 ? mainRewrite(row.flow) : undefined;
  if (rewrite) segments.push({ text: rewrite, tone: 'rewrite' });
  return segments;
}
