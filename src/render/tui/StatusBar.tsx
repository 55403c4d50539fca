import { memo } from 'react';
import { Box } from 'ink';
import { FILTER_HELP, KEY_HELP, TIMELINE_KEY_HELP, type InputMode } from './keys.js';
import { Line } from './Line.js';
import { formatElapsed, type Segment } from './text.js';
import type { Theme } from './theme.js';
import type { TraceView } from './trace-store.js';

interface StatusBarProps {
  view: TraceView;
  mode: InputMode;
  draft: string;
  speedNote?: string;
  /** The trace ended and the UI waits for q. */
  waitingForQuit: boolean;
  timelineOpen?: boolean;
  width: number;
  theme: Theme;
}

/** Two lines: what is going on (state, clock, packets per hop, warnings), then the keys. */
export const StatusBar = memo(function StatusBar({ view, mode, draft, speedNote, waitingForQuit, timelineOpen = false, width, theme }: StatusBarProps) {
  return (
    <Box flexDirection="column" flexShrink={0}>
      <Line segments={stateSegments(view, speedNote)} width={width} theme={theme} />
      <Line segments={keySegments(view, mode, draft, waitingForQuit, timelineOpen)} width={width} theme={theme} />
    </Box>
  );
});

export function stateSegments(view: TraceView, speedNote?: string): Segment[] {
  const segments: Segment[] = [stateTag(view), { text: ` ${formatElapsed(view.elapsedMs)}` }];
  if (speedNote) segments.push({ text: ` ${speedNote}`, tone: 'muted' });
  segments.push({ text: ` · pkts ${view.hopStatus.map((s) => s.packets).join('/')}` });
  for (const warning of captureWarnings(view)) segments.push({ text: ` · ! ${warning}`, tone: 'warn' });
  if (view.filter) segments.push({ text: ` · filter "${view.filter}"`, tone: 'accent' });
  // The trace's notes are behind `?`: the warnings above must not be cut for them.
  if (view.notes.length > 0) segments.push({ text: ` · ? ${view.notes.length === 1 ? 'a note' : `${view.notes.length} notes`}`, tone: 'muted' });
  return segments;
}

function stateTag(view: TraceView): Segment {
  if (view.paused && view.state !== 'ended') {
    const since = view.packetsWhilePaused > 0 ? ` (+${view.packetsWhilePaused} packets)` : '';
    return { text: `‖ PAUSED, capture goes on${since}`, tone: 'warn', bold: true };
  }
  if (view.state === 'stopping') return { text: '… stopping', tone: 'warn', bold: true };
  if (view.state === 'ended') return { text: '■ ended', tone: 'muted', bold: true };
  return { text: '● running', tone: 'ok', bold: true };
}

/** Hop capture problems, packets a hop missed, and the tracer's own warnings: what to distrust. */
export function captureWarnings(view: TraceView): string[] {
  const warnings: string[] = [];
  view.hops.forEach((hop, i) => {
    const problem = view.hopStatus[i]?.problem;
    if (problem) warnings.push(`${hop.name}: ${problem}`);
    const missed = view.hopMissed[i] ?? 0;
    if (missed > 0) warnings.push(`capture gap at ${hop.name}: ${missed} not captured`);
  });
  return [...warnings, ...view.warnings];
}

function keySegments(view: TraceView, mode: InputMode, draft: string, waitingForQuit: boolean, timelineOpen: boolean): Segment[] {
  if (mode === 'filter') {
    return [
      { text: `/ filter: ${draft}_`, tone: 'accent', bold: true },
      ...FILTER_HELP.map(([keys, what]) => ({ text: `  ${keys} ${what}`, tone: 'muted' as const })),
    ];
  }
  // Once the trace has ended, q is what the user is waiting to press: say what it does.
  const ended = waitingForQuit && view.state === 'ended';
  const keys = timelineOpen ? [...KEY_HELP.slice(0, 2), TIMELINE_KEY_HELP, ...KEY_HELP.slice(2)] : KEY_HELP;
  // p does nothing once nothing more is coming: its room goes to what q does.
  const help = view.state === 'ended' ? keys.filter(([key]) => key !== 'p') : keys;
  return help.map(([keys, what], i) => {
    const text = `${i ? '  ' : ''}${keys} ${ended && keys === 'q' ? 'quit, print report' : what}`;
    return ended && keys === 'q' ? { text, tone: 'accent' as const, bold: true } : { text, tone: 'muted' as const };
  });
}
