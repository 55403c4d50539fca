import type { FlowReport, Hop, Journey, Report, TraceEvent } from '../../model.js';
import type { HopStatus, TraceSession } from '../../session.js';
import { matchesFilter, type FlowRow } from './flow-view.js';

export type RunState = 'running' | 'stopping' | 'ended';

/** Everything the UI draws, immutable: a new object each time something visible changed. */
export interface TraceView {
  hops: Hop[];
  hopStatus: HopStatus[];
  /** Packets per hop that a later hop saw but this one did not (capture loss there). */
  hopMissed: number[];
  /** Newest first, filtered, at most `maxFlows`. */
  flows: FlowRow[];
  /** Flows in the trace that match the filter, including those beyond the cap. */
  matchingFlows: number;
  totalFlows: number;
  /** The last `maxJourneysPerFlow` settled packets of the flows in view that keep a timeline. */
  journeys: ReadonlyMap<number, readonly Journey[]>;
  warnings: string[];
  notes: string[];
  filter: string;
  paused: boolean;
  /** Packets followed to their end while the display was paused. */
  packetsWhilePaused: number;
  state: RunState;
  elapsedMs: number;
}

export interface TraceStoreOptions {
  flushMs?: number;
  maxFlows?: number;
  maxJourneysPerFlow?: number;
  /** How many flows keep packets for their timeline: the ones that had a packet most recently. */
  timelineFlows?: number;
  /** Wall clock, injectable for tests. */
  now?: () => number;
  /** A flow that changed this recently (wall clock) is shown as still in progress. */
  activeMs?: number;
}

export interface TraceStore {
  subscribe(listener: () => void): () => void;
  getSnapshot(): TraceView;
  /** Starts listening to the tracer and the flush timer. */
  start(): void;
  /** Stops the timer and the tracer subscription. */
  stop(): void;
  /** Takes the tracer's state now, as the timer would. */
  flush(): void;
  setPaused(paused: boolean): void;
  setFilter(filter: string): void;
  setState(state: RunState): void;
  /** The trace is over: show the final report, every flow settled. */
  finalize(report: Report): void;
}

/**
 * The UI's data, kept outside React: tracer events are queued as they come (cheap, bounded)
 * and turned into a new TraceView at a fixed rate, so a burst of packets costs one redraw.
 */
export function createTraceStore(session: TraceSession, options: TraceStoreOptions = {}): TraceStore {
  const flushMs = options.flushMs ?? 100;
  const maxFlows = options.maxFlows ?? 500;
  // A timeline shows one packet a line: 64 fill the tallest screen, and a journey holds every
  // sighting's decoded packet (about 2-3 kB), so more would only cost memory.
  const maxJourneys = options.maxJourneysPerFlow ?? 64;
  const now = options.now ?? Date.now;
  const startedAt = now();
  const listeners = new Set<() => void>();
  const queue = createJourneyQueue(maxJourneys, options.timelineFlows ?? 100);
  const activeMs = options.activeMs ?? 1000;
  const hopMissed = session.hops.map(() => 0);
  let report: Report | undefined;
  let final = false;
  let pendingEvents = 0;
  let pendingJourneys = 0;
  let timer: ReturnType<typeof setInterval> | undefined;
  let unsubscribe: (() => void) | undefined;
  let view = emptyView(session);
  let rows = new Map<number, { row: FlowRow; changedAt: number }>();

  const publish = (next: TraceView): void => {
    view = next;
    for (const listener of listeners) listener();
  };

  const onEvent = (event: TraceEvent): void => {
    pendingEvents += 1;
    if (event.kind === 'journey') {
      pendingJourneys += 1;
      queue.push(event.journey);
      for (const hop of event.journey.missedAt ?? []) if (hop in hopMissed) hopMissed[hop]! += 1;
    }
  };

  const rebuild = (): void => {
    const flows = selectFlows(report?.flows ?? [], view.filter, maxFlows);
    const nextRows = new Map<number, { row: FlowRow; changedAt: number }>();
    const at = now();
    const shown = flows.shown.map((flow) => {
      const kept = nextRow(rows.get(flow.id), flow, final, at, activeMs);
      nextRows.set(flow.id, kept);
      return kept.row;
    });
    rows = nextRows;
    publish({
      ...view,
      hopStatus: session.hopStatus(),
      hopMissed: [...hopMissed],
      flows: shown,
      matchingFlows: flows.matching,
      totalFlows: report?.flows.length ?? 0,
      journeys: queue.view(nextRows),
      warnings: report?.summary.warnings ?? [],
      packetsWhilePaused: 0,
      elapsedMs: now() - startedAt,
    });
  };

  const tick = (): void => {
    if (view.paused) {
      if (pendingJourneys !== view.packetsWhilePaused) publish({ ...view, packetsWhilePaused: pendingJourneys });
      return;
    }
    const status = session.hopStatus();
    const changed = pendingEvents > 0 || !sameHopStatus(status, view.hopStatus);
    if (changed && !final) report = session.snapshot();
    pendingEvents = 0;
    pendingJourneys = 0;
    if (changed) rebuild();
    // Once a second even when nothing came: the clock moves and quiet flows stop being "in progress".
    else if (view.state !== 'ended' && secondOf(now() - startedAt) !== secondOf(view.elapsedMs)) rebuild();
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => view,
    start() {
      unsubscribe ??= session.subscribe(onEvent);
      timer ??= setInterval(tick, flushMs);
      timer.unref?.();
    },
    stop() {
      unsubscribe?.();
      unsubscribe = undefined;
      if (timer) clearInterval(timer);
      timer = undefined;
    },
    flush() {
      if (!final) report = session.snapshot();
      pendingEvents = 0;
      pendingJourneys = 0;
      rebuild();
    },
    setPaused(paused) {
      if (paused === view.paused) return;
      publish({ ...view, paused, packetsWhilePaused: 0 });
      if (!paused) this.flush();
    },
    setFilter(filter) {
      view = { ...view, filter };
      // A paused display keeps its frozen report; the filter applies to what is on screen.
      rebuild();
    },
    setState(state) {
      publish({ ...view, state, elapsedMs: now() - startedAt });
    },
    finalize(finalReport) {
      report = finalReport;
      final = true;
      pendingEvents = 0;
      pendingJourneys = 0;
      view = { ...view, state: 'ended', paused: false };
      rebuild();
    },
  };
}

function emptyView(session: TraceSession): TraceView {
  return {
    hops: session.hops,
    hopStatus: session.hops.map(() => ({ packets: 0 })),
    hopMissed: session.hops.map(() => 0),
    flows: [],
    matchingFlows: 0,
    totalFlows: 0,
    journeys: new Map(),
    warnings: [],
    notes: [...session.notes],
    filter: '',
    paused: false,
    packetsWhilePaused: 0,
    state: 'running',
    elapsedMs: 0,
  };
}

/**
 * Newest first, at most `max`. The tracer lists flows in the order they started, so the newest
 * are at the end: only those are sorted, never the whole trace.
 */
export function selectFlows(flows: FlowReport[], filter: string, max: number): { shown: FlowReport[]; matching: number } {
  const matching = filter ? flows.filter((flow) => matchesFilter(flow, filter)) : flows;
  const shown = matching.slice(-max);
  shown.sort((a, b) => b.firstSeen - a.firstSeen || b.id - a.id);
  return { shown, matching: matching.length };
}

/** The same row object while nothing shown changed, so React.memo skips finished flows. */
function nextRow(
  previous: { row: FlowRow; changedAt: number } | undefined,
  flow: FlowReport,
  final: boolean,
  at: number,
  activeMs: number,
): { row: FlowRow; changedAt: number } {
  const unchanged = previous && (previous.row.flow === flow || sameFlowShown(previous.row.flow, flow));
  const changedAt = unchanged ? previous.changedAt : at;
  const active = !final && at - changedAt < activeMs;
  if (unchanged && previous.row.final === final && previous.row.active === active) return previous;
  return { row: { flow, final, active }, changedAt };
}

function sameFlowShown(a: FlowReport, b: FlowReport): boolean {
  return (
    a.verdict === b.verdict &&
    a.reached === b.reached &&
    a.packets.request === b.packets.request &&
    a.packets.reply === b.packets.reply &&
    a.rewrites.length === b.rewrites.length &&
    a.findings.length === b.findings.length &&
    a.dropBetween?.join() === b.dropBetween?.join()
  );
}

function sameHopStatus(a: HopStatus[], b: HopStatus[]): boolean {
  return a.length === b.length && a.every((s, i) => s.packets === b[i]!.packets && s.problem === b[i]!.problem);
}

function secondOf(ms: number): number {
  return Math.floor(ms / 1000);
}

/** Settled packets of the `flows` most recently active flows, the last `perFlow` of each. */
function createJourneyQueue(perFlow: number, flows: number) {
  const byFlow = new Map<number, Journey[]>();
  const dirty = new Set<number>();
  let published = new Map<number, readonly Journey[]>();
  return {
    push(journey: Journey): void {
      let list = byFlow.get(journey.flowId);
      if (list) {
        // Re-inserting keeps the Map in order of last activity: the first key is the stalest flow.
        byFlow.delete(journey.flowId);
      } else {
        list = [];
        if (byFlow.size >= flows) byFlow.delete(byFlow.keys().next().value!);
      }
      byFlow.set(journey.flowId, list);
      list.push(journey);
      // Trim in batches so a burst costs amortised O(1) per packet.
      if (list.length >= perFlow + (perFlow >> 1)) list.splice(0, list.length - perFlow);
      dirty.add(journey.flowId);
    },
    /** Copies only the flows that changed since the last view. */
    view(inView: ReadonlyMap<number, unknown>): ReadonlyMap<number, readonly Journey[]> {
      const next = new Map<number, readonly Journey[]>();
      for (const id of inView.keys()) {
        const list = byFlow.get(id);
        if (!list) continue;
        const old = published.get(id);
        next.set(id, old && !dirty.has(id) ? old : list.slice(-perFlow));
      }
      dirty.clear();
      published = next;
      return next;
    },
  };
}
