import { useMemo, useRef, useState } from 'react';
import { Box, useInput } from 'ink';
import type { FlowReport } from '../../model.js';
import type { TraceStore, TraceView } from './trace-store.js';
import { keyAction, splitKeystrokes, type InputMode, type KeyAction } from './keys.js';
import { FlowDetail, detailLines } from './FlowDetail.js';
import { FlowList, flowColumns } from './FlowList.js';
import { HopChain } from './HopChain.js';
import { Line } from './Line.js';
import { StatusBar } from './StatusBar.js';
import { Legend, Timeline } from './Timeline.js';
import type { Theme } from './theme.js';
import { useTerminalSize } from './useTerminalSize.js';
import { useTraceView } from './useTraceView.js';
import { planLayout } from './layout.js';

export interface TraceAppProps {
  store: TraceStore;
  theme: Theme;
  speedNote?: string;
  /** q or Ctrl-C: the caller stops the capture and unmounts. */
  onQuit: () => void;
  waitingForQuit?: boolean;
  /** The selected flow with its causes (replay of a recording with host.json); without it, the flow as traced. */
  explainFlow?: (flow: FlowReport) => FlowReport;
}

/** The whole screen: hop chain, flows, the selected flow's detail or timeline, status line. */
export function TraceApp({ store, theme, speedNote, onQuit, waitingForQuit = true, explainFlow }: TraceAppProps) {
  const view = useTraceView(store);
  const { columns: width, rows } = useTerminalSize();
  const [pinnedId, setPinnedId] = useState<number | undefined>(undefined);
  const [timelineOpen, setTimelineOpen] = useState(false);
  const [mode, setMode] = useState<InputMode>('browse');
  const [draft, setDraft] = useState('');
  // Rows back from the newest packet; 0 follows the newest.
  const [timelineScroll, setTimelineScroll] = useState(0);
  const [helpOpen, setHelpOpen] = useState(false);
  // Keys can arrive faster than React re-renders: actions read the latest values, not a closure's.
  const latest = useRef({ draft, mode, page: 1, timelinePage: 1, timelineMax: 0 });

  // Until the user moves, the selection follows the newest flow.
  const pinnedIndex = pinnedId === undefined ? -1 : view.flows.findIndex((row) => row.flow.id === pinnedId);
  const selectedIndex = Math.max(0, pinnedIndex);
  const selected = view.flows[selectedIndex];
  // Only the selected flow is explained, once per change of it: the list never needs causes.
  const detailFlow = useMemo(() => (selected && explainFlow ? explainFlow(selected.flow) : selected?.flow), [selected?.flow, explainFlow]);
  const layout = planLayout({
    rows,
    flowCount: view.flows.length,
    selectedIndex,
    timelineOpen: timelineOpen && selected !== undefined,
    detailCount: detailFlow ? detailLines(detailFlow, width).length : 0,
  });
  const shownRows = view.flows.slice(layout.flowStart, layout.flowStart + layout.flowLines);
  const cols = useMemo(() => flowColumns(shownRows, width), [shownRows, width]);
  const split = selected ? shownRows.indexOf(selected) + 1 : shownRows.length;

  latest.current.page = layout.flowLines;
  latest.current.timelinePage = Math.max(1, layout.timelineLines - 2);
  const kept = selected ? (view.journeys.get(selected.flow.id)?.length ?? 0) : 0;
  latest.current.timelineMax = Math.max(0, kept - latest.current.timelinePage);
  useInput((chunk, chunkKey) => {
    const switchMode = (next: InputMode): void => {
      latest.current.mode = next;
      setMode(next);
    };
    for (const [input, key] of splitKeystrokes(chunk, chunkKey)) {
      const action = keyAction(input, key, latest.current.mode);
      if (action) {
        const ctx = { store, latest: latest.current, setPinnedId, setTimelineOpen, setTimelineScroll, setHelpOpen, setMode: switchMode, setDraft, onQuit };
        applyAction(action, ctx);
      }
    }
  });

  return (
    <Box flexDirection="column" width={width}>
      <HopChain hops={view.hops} status={view.hopStatus} missed={view.hopMissed} width={width} theme={theme} />
      {helpOpen ? (
        <Legend notes={view.notes} lines={1 + layout.flowLines + layout.detailLines + layout.timelineLines} width={width} theme={theme} />
      ) : (
        <Line segments={flowsHeader(view)} width={width} theme={theme} />
      )}
      {helpOpen ? null : view.flows.length === 0 ? (
        <Line segments={[{ text: emptyText(view), tone: 'muted' }]} width={width} theme={theme} />
      ) : (
        <FlowList rows={shownRows.slice(0, split)} selectedId={selected?.flow.id} columns={cols} width={width} theme={theme} />
      )}
      {/* The selected flow's detail and timeline sit right under its row, not under the list. */}
      {selected && !helpOpen && layout.detailLines > 0 && <FlowDetail flow={detailFlow ?? selected.flow} lines={layout.detailLines} width={width} theme={theme} />}
      {selected && !helpOpen && layout.timelineLines > 0 && (
        <Timeline
          flow={selected.flow}
          journeys={view.journeys.get(selected.flow.id) ?? []}
          hops={view.hops}
          lines={layout.timelineLines}
          scroll={timelineScroll}
          width={width}
          theme={theme}
        />
      )}
      {!helpOpen && split < shownRows.length && <FlowList rows={shownRows.slice(split)} selectedId={selected?.flow.id} columns={cols} width={width} theme={theme} />}
      <StatusBar view={view} mode={mode} draft={draft} speedNote={speedNote} waitingForQuit={waitingForQuit} timelineOpen={layout.timelineLines > 0} width={width} theme={theme} />
    </Box>
  );
}

function flowsHeader(view: TraceView) {
  const count =
    view.filter && view.matchingFlows !== view.totalFlows
      ? `${view.matchingFlows} of ${view.totalFlows} match "${view.filter}"`
      : `${view.totalFlows}`;
  const capped = view.flows.length < view.matchingFlows ? `, newest ${view.flows.length} kept` : '';
  return [{ text: `Flows ${count}${capped} · newest first`, bold: true }];
}

function emptyText(view: TraceView): string {
  if (view.filter && view.totalFlows > 0) return `  no flow matches "${view.filter}" (esc clears the filter)`;
  return view.state === 'running' ? '  no flows yet: waiting for packets' : '  no flows in this trace';
}

interface ActionContext {
  store: TraceStore;
  latest: { draft: string; mode: InputMode; page: number; timelinePage: number; timelineMax: number };
  setPinnedId: (update: (id: number | undefined) => number | undefined) => void;
  setTimelineOpen: (update: (open: boolean) => boolean) => void;
  setTimelineScroll: (update: (rows: number) => number) => void;
  setHelpOpen: (update: (open: boolean) => boolean) => void;
  setMode: (mode: InputMode) => void;
  setDraft: (update: string | ((draft: string) => string)) => void;
  onQuit: () => void;
}

function applyAction(action: KeyAction, ctx: ActionContext): void {
  const move = (delta: number): void =>
    ctx.setPinnedId((id) => {
      const flows = ctx.store.getSnapshot().flows;
      const index = Math.max(0, id === undefined ? 0 : flows.findIndex((row) => row.flow.id === id));
      return flows[Math.min(flows.length - 1, Math.max(0, index + delta))]?.flow.id;
    });
  switch (action.type) {
    case 'select-up':
      ctx.setTimelineScroll(() => 0);
      return move(-1);
    case 'select-down':
      ctx.setTimelineScroll(() => 0);
      return move(1);
    case 'timeline-older':
      // Clamped again where it is drawn: the number of kept packets changes under it.
      return ctx.setTimelineScroll((rows) => Math.min(ctx.latest.timelineMax, rows + ctx.latest.timelinePage));
    case 'timeline-newer':
      return ctx.setTimelineScroll((rows) => Math.max(0, Math.min(ctx.latest.timelineMax, rows) - ctx.latest.timelinePage));
    case 'toggle-help':
      return ctx.setHelpOpen((open) => !open);
    case 'select-page-up':
      return move(-Math.max(1, ctx.latest.page));
    case 'select-page-down':
      return move(Math.max(1, ctx.latest.page));
    case 'toggle-timeline':
      return ctx.setTimelineOpen((open) => !open);
    case 'toggle-pause': {
      // Nothing is coming any more once the trace ended: there is nothing to pause.
      const snapshot = ctx.store.getSnapshot();
      return snapshot.state === 'ended' ? undefined : ctx.store.setPaused(!snapshot.paused);
    }
    case 'filter-start':
      ctx.latest.draft = ctx.store.getSnapshot().filter;
      ctx.setDraft(ctx.latest.draft);
      return ctx.setMode('filter');
    case 'filter-type':
      ctx.latest.draft += action.text;
      return ctx.setDraft(ctx.latest.draft);
    case 'filter-erase':
      ctx.latest.draft = ctx.latest.draft.slice(0, -1);
      return ctx.setDraft(ctx.latest.draft);
    case 'filter-apply':
      ctx.store.setFilter(ctx.latest.draft.trim());
      return ctx.setMode('browse');
    case 'filter-clear':
      ctx.latest.draft = '';
      ctx.setDraft('');
      ctx.store.setFilter('');
      return ctx.setMode('browse');
    case 'quit':
      return ctx.onQuit();
  }
}
