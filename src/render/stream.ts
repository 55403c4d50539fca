import type { TraceSession } from '../session.js';
import type { FlowReport, Verdict } from '../model.js';
import { flowHeadline } from './text.js';

export interface StreamOptions {
  /** The matching window: a verdict that held this long after it was reached is printed. */
  windowMs?: number;
  /** Runs `fn` after `ms` and returns what cancels it (tests pass their own clock). */
  schedule?: (fn: () => void, ms: number) => () => void;
}

const wallClock = (fn: () => void, ms: number): (() => void) => {
  const timer = setTimeout(fn, ms);
  timer.unref?.();
  return () => clearTimeout(timer);
};

/**
 * Without the UI, a live trace prints a line for each flow once its verdict can no longer change
 * within the matching window: every packet still being matched when the verdict changed has
 * settled by then (a request settles before the reply that came a millisecond after it, so
 * "no-reply" printed at once would be false). A later change (new packets) prints again.
 * Returns the function that stops the stream; it prints what was still waiting, since the
 * trace has ended and those verdicts are final.
 */
export function streamFlowLines(
  trace: Pick<TraceSession, 'subscribe'> & Partial<Pick<TraceSession, 'snapshot'>>,
  write: (line: string) => void,
  color: boolean,
  options: StreamOptions = {},
): () => void {
  const windowMs = options.windowMs ?? 500;
  const schedule = options.schedule ?? wallClock;
  const shown = new Map<number, Verdict>();
  const waiting = new Map<number, { flow: FlowReport; cancel: () => void }>();
  // A flow event comes only when the verdict changes, and its counts stop there: print the flow as
  // it stands now (the requests and replies since then included), else "ok (1 request, 1 reply)"
  // would stand for a ping whose three echoes were all answered.
  const current = (flow: FlowReport): FlowReport => trace.snapshot?.().flows.find((f) => f.id === flow.id) ?? flow;
  const print = (event: FlowReport) => {
    waiting.delete(event.id);
    const flow = current(event);
    if (shown.get(flow.id) === flow.verdict) return;
    shown.set(flow.id, flow.verdict);
    write(`${flowHeadline(flow, color)}\n`);
  };
  const unsubscribe = trace.subscribe((event) => {
    if (event.kind !== 'flow') return;
    const { flow } = event;
    waiting.get(flow.id)?.cancel();
    waiting.set(flow.id, { flow, cancel: schedule(() => print(flow), windowMs) });
  });
  return () => {
    unsubscribe();
    for (const { flow, cancel } of [...waiting.values()]) {
      cancel();
      print(flow);
    }
  };
}
