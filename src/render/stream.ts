import type { TraceSession } from '../session.js';
import type { Verdict } from '../model.js';
import { flowHeadline } from './text.js';

/**
 * Without the UI, a live trace prints a line for each flow as its verdict settles or
 * changes (a flow in progress can go from no-reply to ok), then the full report at the end.
 * Returns the function that stops the stream.
 */
export function streamFlowLines(trace: Pick<TraceSession, 'subscribe'>, write: (line: string) => void, color: boolean): () => void {
  const shown = new Map<number, Verdict>();
  return trace.subscribe((event) => {
    if (event.kind !== 'flow') return;
    const { flow } = event;
    if (shown.get(flow.id) === flow.verdict) return;
    shown.set(flow.id, flow.verdict);
    write(`${flowHeadline(flow, color)}\n`);
  });
}
