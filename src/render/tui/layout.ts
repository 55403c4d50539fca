/** How the screen's lines are shared out; the sum never exceeds the terminal's rows minus one. */
export interface Layout {
  flowStart: number;
  flowLines: number;
  detailLines: number;
  timelineLines: number;
}

export interface LayoutInput {
  rows: number;
  flowCount: number;
  selectedIndex: number;
  timelineOpen: boolean;
  detailCount: number;
}

const HOP_LINES = 3;
const FLOW_HEADER = 1;
const STATUS_LINES = 2;

/**
 * One line is left free: Ink clears the whole terminal (scrollback included) on every frame
 * once the output is as tall as the screen.
 */
export function planLayout({ rows, flowCount, selectedIndex, timelineOpen, detailCount }: LayoutInput): Layout {
  const usable = Math.max(12, rows - 1);
  const body = usable - HOP_LINES - FLOW_HEADER - STATUS_LINES;
  let flowLines: number;
  let detailLines: number;
  let timelineLines = 0;
  if (timelineOpen) {
    detailLines = Math.min(1, detailCount);
    flowLines = Math.min(Math.max(1, flowCount), Math.max(2, Math.min(8, Math.floor(body * 0.25))));
    timelineLines = body - flowLines - detailLines;
  } else {
    // Up to 8: a why: line is wrapped, never cut, and wants room beside the NAT and findings.
    detailLines = Math.min(detailCount, 8, Math.max(0, body - 4));
    flowLines = body - detailLines;
  }
  const start = Math.min(Math.max(0, selectedIndex - Math.floor(flowLines / 2)), Math.max(0, flowCount - flowLines));
  return { flowStart: start, flowLines: Math.max(1, flowLines), detailLines, timelineLines };
}
